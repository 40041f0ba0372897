#include <catch2/catch.hpp>

#include "dns01/acme/ari.hpp"
#include "dns01/acme/keys.hpp"
#include "dns01/encoding.hpp"

using namespace dns01;
using namespace dns01::acme;

namespace {
// A certificate with the AKI keyIdentifier and serial of RFC 9773 §4.1's example.
X509Ptr example_certificate() {
  X509Ptr cert{X509_new()};
  BignumPtr bn{nullptr};
  BN_hex2bn(dns01::out_ptr(bn), "87654321");
  Asn1IntegerPtr serial{BN_to_ASN1_INTEGER(bn.get(), nullptr)};
  X509_set_serialNumber(cert.get(), serial.get());
  AuthorityKeyIdPtr akid{AUTHORITY_KEYID_new()};
  const Bytes keyid = hex_decode("69885B6B87464041E1B37B847BA0AE2CDE01C8D4");
  akid->keyid = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(akid->keyid, keyid.data(), static_cast<int>(keyid.size()));
  X509_add1_ext_i2d(cert.get(), NID_authority_key_identifier, akid.get(), 0, 0);
  return cert;
}
}  // namespace

TEST_CASE("ARI CertID matches RFC 9773's example", "[acme]") {
  const Bytes aki = hex_decode("69885B6B87464041E1B37B847BA0AE2CDE01C8D4");
  const Bytes serial = hex_decode("0087654321");
  CHECK(ari_cert_id(aki, serial) == "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
  // From a certificate: the serial's leading zero byte (DER of a positive 0x87...) is kept.
  X509Ptr cert = example_certificate();
  CHECK(ari_cert_id(cert.get()) == "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
}

TEST_CASE("ARI CertID needs an AKI", "[acme]") {
  X509Ptr cert{X509_new()};
  CHECK_THROWS_AS(ari_cert_id(cert.get()), AcmeError);
}

TEST_CASE("renewal info parses and a time inside the window is chosen", "[acme]") {
  const RenewalInfo info = parse_renewal_info(R"({
    "suggestedWindow": {"start": "2025-01-02T04:00:00Z", "end": "2025-01-03T04:00:00Z"},
    "explanationURL": "https://ca.test/docs/ari"})");
  CHECK(info.explanation_url == "https://ca.test/docs/ari");
  const auto before = *parse_rfc3339("2025-01-01T00:00:00Z");
  CHECK(choose_renewal_time(info, before, 0.0) == info.window_start);
  CHECK(choose_renewal_time(info, before, 1.0) == info.window_end);
  CHECK(choose_renewal_time(info, before, 0.5) == *parse_rfc3339("2025-01-02T16:00:00Z"));
  for (int i = 0; i < 20; ++i) {
    const auto t = choose_renewal_time(info, before);
    CHECK((t >= info.window_start && t <= info.window_end));
  }
  const auto after = *parse_rfc3339("2025-02-01T00:00:00Z");
  CHECK(choose_renewal_time(info, after) == after);  // window passed: renew now
  CHECK_THROWS_AS(parse_renewal_info(R"({"suggestedWindow": {"start": "2025-01-03T04:00:00Z", "end": "2025-01-02T04:00:00Z"}})"),
                  AcmeError);
  CHECK_THROWS_AS(parse_renewal_info(R"({"suggestedWindow": {"start": 1}})"), AcmeError);
}
