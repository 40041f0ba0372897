// The due rules of `dns01 renew` and `dns01 issue` (renew.hpp): pure functions of the
// certificate, the CA's ARI window and the time.
#include <fmt/format.h>

#include <random>

#include "dns01/acme/ari.hpp"
#include "dns01/flow/renew.hpp"

namespace dns01::flow {

namespace {

using Clock = std::chrono::system_clock;

long whole_days(Clock::duration d) { return static_cast<long>(std::chrono::floor<std::chrono::days>(d).count()); }

RenewalDecision lifetime_rule(const CertInfo& cert, Clock::time_point now) {
  RenewalDecision d;
  const auto lifetime = cert.not_after - cert.not_before;
  const auto left = cert.not_after - now;
  // certbot 4: renew with a third of the lifetime left; short-lived certificates (< 10 days)
  // at half, so a 6-day certificate is renewed with 3 days to spare.
  const auto threshold = lifetime < std::chrono::days(10) ? lifetime / 2 : lifetime / 3;
  d.due = left < threshold;
  const long lifetime_days =
      static_cast<long>(std::chrono::round<std::chrono::days>(lifetime).count());
  if (left < Clock::duration::zero())
    d.reason = fmt::format("expired {} days ago", whole_days(now - cert.not_after));
  else
    d.reason = fmt::format("{} of {} days left", whole_days(left), lifetime_days);
  return d;
}

}  // namespace

RenewalDecision renewal_due_in_days(const CertInfo& cert, Clock::time_point now, int days) {
  RenewalDecision d = lifetime_rule(cert, now);
  d.due = cert.not_after - now < std::chrono::days(days);
  d.reason += fmt::format(", renewing below {} days (--days)", days);
  return d;
}

RenewalDecision renewal_due(const CertInfo& cert, const std::optional<acme::RenewalInfo>& ari,
                            Clock::time_point now, double u) {
  if (!ari) return lifetime_rule(cert, now);
  return ari_decision(*ari, acme::choose_renewal_time(*ari, now, u), now);
}

RenewalDecision ari_decision(const acme::RenewalInfo& info, Clock::time_point when, Clock::time_point now) {
  RenewalDecision d;
  d.ari = true;
  d.renewal_time = when;
  d.due = now >= when;
  const std::string start = acme::format_rfc3339(info.window_start);
  if (d.due)
    d.reason = fmt::format("ARI window opened {}", start);
  else if (now < info.window_start)
    d.reason = fmt::format("ARI window starts {}", start);
  else
    d.reason = fmt::format("ARI window opened {}, renewal planned at {}", start, acme::format_rfc3339(when));
  return d;
}

RenewalDecision renewal_due(const CertInfo& cert, const std::optional<acme::RenewalInfo>& ari,
                            Clock::time_point now) {
  std::mt19937_64 rng{std::random_device{}()};
  return renewal_due(cert, ari, now, std::uniform_real_distribution<double>(0.0, 1.0)(rng));
}

}  // namespace dns01::flow
