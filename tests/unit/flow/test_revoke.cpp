// flow/revoke.hpp: revocation reasons as `--reason` spells them, and the option checks that
// come before any file or CA is touched. Revocation itself runs against pebble in
// tests/e2e/test_lifecycle.py.
#include <catch2/catch.hpp>

#include "dns01/error.hpp"
#include "dns01/flow/revoke.hpp"
#include "temp_dir.hpp"

using namespace dns01;
using dns01::test::TempDir;

TEST_CASE("revocation reasons: certbot's names, case-insensitive, round trip", "[revoke]") {
  using acme::RevocationReason;
  for (auto r : {RevocationReason::unspecified, RevocationReason::key_compromise,
                 RevocationReason::affiliation_changed, RevocationReason::superseded,
                 RevocationReason::cessation_of_operation})
    CHECK(flow::parse_revocation_reason(flow::revocation_reason_name(r)) == r);
  CHECK(flow::parse_revocation_reason("keyCompromise") == RevocationReason::key_compromise);
  try {
    flow::parse_revocation_reason("stolen");
    FAIL("no error");
  } catch (const UsageError& e) {
    CHECK_THAT(e.what(), Catch::Contains("stolen"));
    CHECK_THAT(e.hint(), Catch::Contains("keycompromise"));
  }
}

TEST_CASE("revoke: exactly one of --cert-name and --cert-path; unknown lineages named", "[revoke]") {
  TempDir tmp("dns01-revoke");
  Config config;
  config.storage.dir = tmp.path();
  CHECK_THROWS_AS(flow::revoke(config, {}), UsageError);
  flow::RevokeOptions both;
  both.cert_name = "a";
  both.cert_path = "/b";
  CHECK_THROWS_AS(flow::revoke(config, both), UsageError);
  flow::RevokeOptions missing;
  missing.cert_name = "example.test";
  CHECK_THROWS_WITH(flow::revoke(config, missing), Catch::Contains("no certificate named 'example.test'"));
  CHECK_THROWS_AS(flow::delete_certificate(config, "example.test"), StorageError);
}
