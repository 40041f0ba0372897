#pragma once
// Self-signed test certificates made in-process: SANs, a subject key id and an AKI (so an ARI
// CertID exists), chosen validity and key type. For the [flow] tests only.
#include <chrono>
#include <string>
#include <vector>

#include "dns01/acme/csr.hpp"
#include "dns01/acme/keys.hpp"
#include "dns01/raii.hpp"

namespace dns01::test {

struct TestCertSpec {
  std::vector<std::string> names = {"example.test", "*.example.test"};
  std::chrono::system_clock::time_point not_before = std::chrono::system_clock::now() - std::chrono::hours(24);
  std::chrono::system_clock::time_point not_after = std::chrono::system_clock::now() + std::chrono::hours(24 * 89);
  acme::KeyType key_type = acme::KeyType::ec256;
  long serial = 0x1234abcd;
  bool with_aki = true;
};

struct TestCert {
  std::string pem;
  std::string key_pem;
};

inline void add_ext(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509ExtensionPtr ext{X509V3_EXT_conf_nid(nullptr, &ctx, nid, value)};
  if (!ext) throw std::runtime_error(std::string("test cert: extension ") + value);
  X509_add_ext(cert, ext.get(), -1);
}

inline TestCert make_test_cert(const TestCertSpec& spec = {}) {
  using Clock = std::chrono::system_clock;
  acme::PrivateKey key = acme::PrivateKey::generate(spec.key_type);
  X509Ptr cert{X509_new()};
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), spec.serial);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), Clock::to_time_t(spec.not_before));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), Clock::to_time_t(spec.not_after));
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.names.front().c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key.get());
  std::string san;
  for (const auto& n : spec.names) san += (san.empty() ? "DNS:" : ",DNS:") + n;
  add_ext(cert.get(), NID_subject_alt_name, san.c_str());
  if (spec.with_aki) {
    add_ext(cert.get(), NID_subject_key_identifier, "hash");
    add_ext(cert.get(), NID_authority_key_identifier, "keyid:always");
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) throw std::runtime_error("test cert: sign");
  return {acme::certificate_pem(cert.get()), key.to_pem()};
}

}  // namespace dns01::test
