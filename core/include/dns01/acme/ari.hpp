#pragma once
// ACME Renewal Information (RFC 9773) helpers that need no network.
//
// CertID = base64url(AKI keyIdentifier) "." base64url(serial), where the serial is the content
// octets of its DER INTEGER encoding — a leading 0x00 byte kept (RFC 9773 §4.1). The client
// fetches the window with AcmeClient::renewal_info(cert_id) and passes the CertID as `replaces`
// in the renewal order. Thread-safe, pure functions.
#include <span>
#include <string>

#include "dns01/acme/documents.hpp"
#include "dns01/raii.hpp"

namespace dns01::acme {

// From the raw AKI keyIdentifier and the DER INTEGER content bytes of the serial.
std::string ari_cert_id(std::span<const std::uint8_t> aki_key_id, std::span<const std::uint8_t> serial_der_value);
// From a certificate; AcmeError when it has no Authority Key Identifier with a keyIdentifier.
std::string ari_cert_id(X509* certificate);

// A time uniformly chosen in the suggested window (`u` in [0,1] picks the point; the overload
// without `u` draws it at random). A window already over yields `now` (renew at once).
Clock::time_point choose_renewal_time(const RenewalInfo& info, Clock::time_point now, double u);
Clock::time_point choose_renewal_time(const RenewalInfo& info, Clock::time_point now);

}  // namespace dns01::acme
