// parse_settings(): the only reader of the route53 table.
#include <catch2/catch.hpp>

#include "settings.hpp"
#include "test_values.hpp"

using dns01::provider::Failure;
using dns01::provider::StatusCode;
using namespace route53::test;

namespace {
dns01::provider::Status refusal(const dns01::provider::Settings& s) {
  try {
    route53::parse_settings(s);
  } catch (const Failure& f) {
    return f.status();
  }
  FAIL("the settings were accepted");
  return {};
}
}  // namespace

TEST_CASE("route53 settings: defaults and every key", "[route53]") {
  const auto d = route53::parse_settings(table());
  CHECK(d.endpoint == "https://route53.amazonaws.com");
  CHECK(d.ttl == 60);
  CHECK(d.insync_timeout == std::chrono::minutes(5));
  CHECK(d.access_key_id.empty());
  CHECK_FALSE(d.private_zone);

  const auto s = route53::parse_settings(table({{"endpoint", text("https://127.0.0.1:8443/")},
                                                {"access_key_id", text("AKIDEXAMPLE")},
                                                {"secret_access_key", text("s3cr3t")},
                                                {"session_token", text("tok")},
                                                {"profile", text("dns")},
                                                {"role_arn", text("arn:aws:iam::1:role/r")},
                                                {"hosted_zone_id", text("/hostedzone/Z123ABC")},
                                                {"private_zone", flag(true)},
                                                {"ttl", integer(30)}}));
  CHECK(s.instance == "aws");
  CHECK(s.endpoint == "https://127.0.0.1:8443");
  CHECK(s.access_key_id == "AKIDEXAMPLE");
  CHECK(s.secret_access_key == "s3cr3t");
  CHECK(s.session_token == "tok");
  CHECK(s.profile == "dns");
  CHECK(s.role_arn == "arn:aws:iam::1:role/r");
  CHECK(s.hosted_zone_id == "Z123ABC");
  CHECK(s.private_zone);
  CHECK(s.ttl == 30);
}

TEST_CASE("route53 settings: bad values are refused together, without secrets", "[route53]") {
  const auto st = refusal(table({{"endpoint", text("route53.amazonaws.com")},
                                 {"sts_endpoint", text("https://sts.amazonaws.com/x")},
                                 {"hosted_zone_id", text("example.com")},
                                 {"role_arn", text("dns-role")},
                                 {"secret_access_key", text("TOPSECRET")}}));
  CHECK(st.code == StatusCode::config);
  CHECK(st.message.find("endpoint = \"route53.amazonaws.com\"") != std::string::npos);
  CHECK(st.message.find("sts_endpoint") != std::string::npos);
  CHECK(st.message.find("hosted_zone_id") != std::string::npos);
  CHECK(st.message.find("role_arn") != std::string::npos);
  CHECK(st.message.find("TOPSECRET") == std::string::npos);
}
