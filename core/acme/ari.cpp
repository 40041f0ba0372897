#include "dns01/acme/ari.hpp"

#include <random>

#include "dns01/encoding.hpp"

namespace dns01::acme {

std::string ari_cert_id(std::span<const std::uint8_t> aki, std::span<const std::uint8_t> serial) {
  return base64url_encode(aki) + "." + base64url_encode(serial);
}

std::string ari_cert_id(X509* cert) {
  // Decoded directly rather than through X509_get0_authority_key_id(), whose extension cache
  // is not filled for certificates OpenSSL cannot fully digest.
  AuthorityKeyIdPtr akid{static_cast<AUTHORITY_KEYID*>(
      X509_get_ext_d2i(cert, NID_authority_key_identifier, nullptr, nullptr))};
  const ASN1_OCTET_STRING* keyid = akid ? akid->keyid : nullptr;
  if (!keyid || ASN1_STRING_length(keyid) <= 0)
    throw AcmeError("compute ARI CertID", "the certificate has no Authority Key Identifier keyIdentifier",
                    "ARI needs certificates from a CA that sets the AKI extension");
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  unsigned char* der = nullptr;
  const int len = i2d_ASN1_INTEGER(serial, &der);
  if (len <= 2) throw AcmeError("compute ARI CertID", "cannot encode the serial number");
  OpensslBytesPtr owner{der};
  // Skip the tag and the (short or long form) length to keep only the content octets.
  std::size_t off = 2;
  if (der[1] & 0x80) off += der[1] & 0x7f;
  if (off >= static_cast<std::size_t>(len)) throw AcmeError("compute ARI CertID", "malformed serial number");
  return ari_cert_id({ASN1_STRING_get0_data(keyid), static_cast<std::size_t>(ASN1_STRING_length(keyid))},
                     {der + off, static_cast<std::size_t>(len) - off});
}

Clock::time_point choose_renewal_time(const RenewalInfo& info, Clock::time_point now, double u) {
  if (info.window_end <= now) return now;
  u = std::clamp(u, 0.0, 1.0);
  const auto span = info.window_end - info.window_start;
  const auto t = info.window_start + std::chrono::duration_cast<Clock::duration>(span * u);
  return t < now ? now : t;
}

Clock::time_point choose_renewal_time(const RenewalInfo& info, Clock::time_point now) {
  std::random_device rd;
  std::uniform_real_distribution<double> dist(0.0, 1.0);
  return choose_renewal_time(info, now, dist(rd));
}

}  // namespace dns01::acme
