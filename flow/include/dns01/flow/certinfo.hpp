#pragma once
// What `dns01 certificates`, the `--json` results and the renewal decision need to know about a
// certificate, read from its PEM (OpenSSL EVP/X509 APIs).
//
// Errors: StorageError("read certificate", ...) when the PEM holds no parsable certificate.
// Thread-safe, pure.
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace dns01::flow {

struct CertInfo {
  std::string serial;                 // lower-case hex, no separators ("03a1...")
  std::string subject_cn;
  std::string issuer_cn;
  std::vector<std::string> dns_names; // subjectAltName dNSName entries, in order
  std::string key_type;               // "ec256", "ec384", "rsa2048", ... or "unknown"
  std::chrono::system_clock::time_point not_before, not_after;
  std::string ari_cert_id;            // RFC 9773 CertID; "" when the cert has no AKI
};

// Parses the first certificate of a PEM text. `origin` names the source in errors.
CertInfo inspect_certificate(std::string_view pem, std::string_view origin = "certificate");

// Whole days from `now` to not_after (negative when expired).
long days_left(const CertInfo& info, std::chrono::system_clock::time_point now);

}  // namespace dns01::flow
