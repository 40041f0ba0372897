// Certificate facts for listings, results and renewal decisions (certinfo.hpp).
#include "dns01/flow/certinfo.hpp"

#include <fmt/format.h>
#include <openssl/asn1.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "dns01/acme/ari.hpp"
#include "dns01/acme/csr.hpp"
#include "dns01/error.hpp"
#include "dns01/raii.hpp"

namespace dns01::flow {

namespace {

using Clock = std::chrono::system_clock;

Clock::time_point to_time_point(const ASN1_TIME* t, std::string_view origin, const char* which) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1)
    throw StorageError("read certificate", fmt::format("{}: the {} date cannot be read", origin, which),
                       "replace the file with the certificate the CA issued");
  return Clock::from_time_t(::timegm(&tm));
}

std::string serial_hex(X509* cert) {
  BignumPtr bn{ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)};
  if (!bn) return {};
  OpensslCharPtr hex{BN_bn2hex(bn.get())};
  if (!hex) return {};
  std::string out(hex.get());
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// "ec256", "rsa2048": the names --key-type accepts, so a listing reads like the option.
std::string key_type_of(X509* cert) {
  EVP_PKEY* key = X509_get0_pubkey(cert);  // borrowed from the certificate
  if (key == nullptr) return "unknown";
  const int bits = EVP_PKEY_get_bits(key);
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_EC: return fmt::format("ec{}", bits);
    case EVP_PKEY_RSA: return fmt::format("rsa{}", bits);
    case EVP_PKEY_ED25519: return "ed25519";
    default: return "unknown";
  }
}

std::string cert_id_or_empty(X509* cert) {
  // Without an AKI keyIdentifier there is no CertID: ARI is then simply not used.
  const ASN1_OCTET_STRING* keyid = X509_get0_authority_key_id(cert);
  if (keyid == nullptr || ASN1_STRING_length(keyid) <= 0) return {};
  try {
    return acme::ari_cert_id(cert);
  } catch (const Error&) {
    return {};
  }
}

}  // namespace

CertInfo inspect_certificate(std::string_view pem, std::string_view origin) {
  std::vector<X509Ptr> certs;
  try {
    certs = acme::parse_pem_certificates(pem);
  } catch (const Error&) {
    certs.clear();
  }
  if (certs.empty())
    throw StorageError("read certificate", fmt::format("{} holds no PEM certificate", origin),
                       "replace it with the certificate the CA issued (or issue again)");
  X509* cert = certs.front().get();
  CertInfo info;
  info.serial = serial_hex(cert);
  info.subject_cn = acme::subject_common_name(cert);
  info.issuer_cn = acme::issuer_common_name(cert);
  info.dns_names = acme::certificate_dns_names(cert);
  info.key_type = key_type_of(cert);
  info.not_before = to_time_point(X509_get0_notBefore(cert), origin, "notBefore");
  info.not_after = to_time_point(X509_get0_notAfter(cert), origin, "notAfter");
  info.ari_cert_id = cert_id_or_empty(cert);
  return info;
}

long days_left(const CertInfo& info, std::chrono::system_clock::time_point now) {
  // Floor, like certbot's timedelta.days: 23 hours left is 0 days, 1 hour ago is -1.
  const auto left = std::chrono::floor<std::chrono::days>(info.not_after - now);
  return static_cast<long>(left.count());
}

}  // namespace dns01::flow
