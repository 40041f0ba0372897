#include <catch2/catch.hpp>

#include "dns01/acme/ari.hpp"
#include "dns01/error.hpp"
#include "dns01/flow/certinfo.hpp"
#include "test_certs.hpp"

using namespace dns01;
using namespace dns01::flow;
using Clock = std::chrono::system_clock;

TEST_CASE("inspect_certificate reads names, serial, key type, dates and the ARI CertID", "[flow]") {
  test::TestCertSpec spec;
  spec.not_before = Clock::from_time_t(1767225600);  // 2026-01-01T00:00:00Z
  spec.not_after = Clock::from_time_t(1767225600 + 90 * 86400);
  spec.serial = 0x0a1b2c;
  const auto cert = test::make_test_cert(spec);
  const CertInfo info = inspect_certificate(cert.pem + "\n" + cert.pem);  // first one counts
  CHECK(info.serial == "0a1b2c");
  CHECK(info.subject_cn == "example.test");
  CHECK(info.issuer_cn == "example.test");
  CHECK(info.dns_names == std::vector<std::string>{"example.test", "*.example.test"});
  CHECK(info.key_type == "ec256");
  CHECK(info.not_before == spec.not_before);
  CHECK(info.not_after == spec.not_after);
  auto parsed = acme::parse_pem_certificates(cert.pem);
  CHECK(!info.ari_cert_id.empty());
  CHECK(info.ari_cert_id == acme::ari_cert_id(parsed.front().get()));
}

TEST_CASE("inspect_certificate names the key types like --key-type", "[flow]") {
  test::TestCertSpec spec;
  spec.key_type = acme::KeyType::ec384;
  CHECK(inspect_certificate(test::make_test_cert(spec).pem).key_type == "ec384");
  spec.key_type = acme::KeyType::rsa2048;
  CHECK(inspect_certificate(test::make_test_cert(spec).pem).key_type == "rsa2048");
}

TEST_CASE("a certificate without AKI has no ARI CertID", "[flow]") {
  test::TestCertSpec spec;
  spec.with_aki = false;
  CHECK(inspect_certificate(test::make_test_cert(spec).pem).ari_cert_id.empty());
}

TEST_CASE("inspect_certificate refuses text without a certificate", "[flow]") {
  CHECK_THROWS_AS(inspect_certificate("not a pem", "live/x/cert.pem"), StorageError);
  try {
    inspect_certificate("", "live/x/cert.pem");
    FAIL("no exception");
  } catch (const StorageError& e) {
    CHECK(std::string(e.what()).find("live/x/cert.pem") != std::string::npos);
    CHECK(!e.hint().empty());
  }
}

TEST_CASE("days_left counts whole days, negative once expired", "[flow]") {
  CertInfo info;
  const auto now = Clock::from_time_t(1767225600);
  info.not_after = now + std::chrono::hours(24 * 57 + 5);
  CHECK(days_left(info, now) == 57);
  info.not_after = now + std::chrono::hours(23);
  CHECK(days_left(info, now) == 0);
  info.not_after = now - std::chrono::hours(1);
  CHECK(days_left(info, now) == -1);
  info.not_after = now - std::chrono::hours(24 * 3 + 1);
  CHECK(days_left(info, now) == -4);
}
