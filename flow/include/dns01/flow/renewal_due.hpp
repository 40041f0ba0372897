#pragma once
// When a certificate is due for renewal: pure functions of the certificate, the CA's ARI window
// (RFC 9773) and the time. Used by `dns01 renew` (which fetches the window) and by issue/apply
// (which decide "not_due" without network, from the ARI time `renew` saved). Thread-safe.
#include <chrono>
#include <optional>
#include <string>

#include "dns01/acme/documents.hpp"
#include "dns01/flow/certinfo.hpp"

namespace dns01::flow {

struct RenewalDecision {
  bool due = false;
  std::string reason;  // "31 of 90 days left", "ARI window starts 2026-...", "forced"
  bool ari = false;    // the decision used the CA's suggested window
  std::optional<std::chrono::system_clock::time_point> renewal_time;  // chosen ARI time
};

// Due decision without network. With `ari`: due when now >= a time chosen uniformly in the
// window (`u` in [0,1] picks it; the overload without `u` draws it at random). Without: due when
// less than a third of the lifetime is left (half when the lifetime is under 10 days).
RenewalDecision renewal_due(const CertInfo& cert, const std::optional<acme::RenewalInfo>& ari,
                            std::chrono::system_clock::time_point now, double u);
RenewalDecision renewal_due(const CertInfo& cert, const std::optional<acme::RenewalInfo>& ari,
                            std::chrono::system_clock::time_point now);
// `renew --days N`: due with fewer than N whole days left (certbot's renew_before_expiry); the
// reason says how much of the lifetime is left.
RenewalDecision renewal_due_in_days(const CertInfo& cert, std::chrono::system_clock::time_point now,
                                    int days);
// The ARI decision for a renewal time already chosen in `ari`'s window (renew keeps the time it
// drew in the renewal file and decides with it on later runs while the window stays the same).
RenewalDecision ari_decision(const acme::RenewalInfo& ari, std::chrono::system_clock::time_point when,
                             std::chrono::system_clock::time_point now);

}  // namespace dns01::flow
