// parse_settings(): every credential source (table, environment aliases arrive as table values,
// certbot's cloudflare.ini) and every refusal, without loading the module.
#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "settings.hpp"
#include "settings_support.hpp"

using namespace cloudflare;
using namespace cloudflare::test;
using Catch::Matchers::Contains;
using dns01::provider::Failure;
using dns01::provider::StatusCode;

namespace {

// A config failure's message; fails the test when parse_settings() succeeds.
std::string refusal(const dns01::provider::Settings& s) {
  try {
    parse_settings(s);
  } catch (const Failure& f) {
    CHECK(f.status().code == StatusCode::config);
    return f.status().message;
  }
  FAIL("parse_settings accepted the table");
  return {};
}

// A certbot credentials file with `mode`, in a fresh temporary directory.
struct IniFile {
  std::filesystem::path dir, path;
  IniFile(const std::string& text, mode_t mode) {
    char tmpl[] = "/tmp/cf-settings-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    path = dir / "cloudflare.ini";
    std::ofstream(path) << text;
    REQUIRE(chmod(path.c_str(), mode) == 0);
  }
  ~IniFile() { std::filesystem::remove_all(dir); }
};

}  // namespace

TEST_CASE("cloudflare settings: an API token is sent as Bearer, for zones and records") {
  auto s = parse_settings(token_table());
  CHECK(s.dns.is_token());
  CHECK(s.source == "api_token");
  CHECK(s.endpoint == "https://api.cloudflare.com/client/v4");
  CHECK(s.ttl == 60);
  CHECK(s.zone_id.empty());
  REQUIRE(s.dns.headers() == dns01::provider::HttpHeaders{{"Authorization", "Bearer tok-SECRET-123"}});
  CHECK(s.zone.headers() == s.dns.headers());
  CHECK(s.learnt_secrets.empty());  // the host registered the table's secrets already
}

TEST_CASE("cloudflare settings: an email next to a token is ignored, as lego does") {
  auto t = token_table();
  t.values["email"] = text("me@example.com");
  auto s = parse_settings(t);
  CHECK(s.dns.headers().size() == 1);
}

TEST_CASE("cloudflare settings: the global key goes with the email") {
  auto t = table();
  t.values["api_key"] = text("0123abcd", true);
  t.values["email"] = text("me@example.com");
  auto s = parse_settings(t);
  CHECK_FALSE(s.dns.is_token());
  CHECK(s.dns.headers() == dns01::provider::HttpHeaders{{"X-Auth-Email", "me@example.com"},
                                                        {"X-Auth-Key", "0123abcd"}});
  t.values.erase("email");
  CHECK_THAT(refusal(t), Contains("api_key needs email"));
}

TEST_CASE("cloudflare settings: a separate zone token reads zones, the DNS token writes") {
  auto t = token_table("dns-token");
  t.values["zone_api_token"] = text("zone-token", true);
  auto s = parse_settings(t);
  CHECK(s.zone.headers() == dns01::provider::HttpHeaders{{"Authorization", "Bearer zone-token"}});
  CHECK(s.dns.headers() == dns01::provider::HttpHeaders{{"Authorization", "Bearer dns-token"}});
  auto k = table();
  k.values["api_key"] = text("k", true);
  k.values["email"] = text("me@example.com");
  k.values["zone_api_token"] = text("zone-token", true);
  CHECK_THAT(refusal(k), Contains("zone_api_token only works together with api_token"));
}

TEST_CASE("cloudflare settings: no credentials names every way to give them") {
  const auto message = refusal(table());
  CHECK_THAT(message, Contains("api_token") && Contains("api_key") && Contains("email") &&
                          Contains("credentials"));
}

TEST_CASE("cloudflare settings: two credential sources are refused") {
  auto t = token_table();
  t.values["api_key"] = text("k", true);
  t.values["email"] = text("me@example.com");
  CHECK_THAT(refusal(t), Contains("exactly one of"));
}

TEST_CASE("cloudflare settings: certbot's cloudflare.ini with a token") {
  IniFile ini("# certbot\ndns_cloudflare_api_token = 0123456789abcdef-FILE\n", 0600);
  auto t = table();
  t.values["credentials"] = text(ini.path.string());
  auto s = parse_settings(t);
  CHECK(s.dns.token == "0123456789abcdef-FILE");
  CHECK(s.learnt_secrets == std::vector<std::string>{"0123456789abcdef-FILE"});
  CHECK_THAT(s.source, Contains(ini.path.string()));
}

TEST_CASE("cloudflare settings: certbot's cloudflare.ini with email and global key") {
  IniFile ini("dns_cloudflare_email = me@example.com\ndns_cloudflare_api_key = KEY-FILE\n", 0600);
  auto t = table();
  t.values["credentials"] = text(ini.path.string());
  auto s = parse_settings(t);
  CHECK(s.dns.headers() == dns01::provider::HttpHeaders{{"X-Auth-Email", "me@example.com"},
                                                        {"X-Auth-Key", "KEY-FILE"}});
  CHECK(s.learnt_secrets == std::vector<std::string>{"KEY-FILE"});
}

TEST_CASE("cloudflare settings: a cloudflare.ini certbot would refuse is refused") {
  auto t = table();
  SECTION("both a token and a key") {
    IniFile ini("dns_cloudflare_api_token = T\ndns_cloudflare_email = e@x\n"
                "dns_cloudflare_api_key = K\n", 0600);
    t.values["credentials"] = text(ini.path.string());
    CHECK_THAT(refusal(t), Contains("both dns_cloudflare_api_token and dns_cloudflare_api_key"));
  }
  SECTION("a key without email") {
    IniFile ini("dns_cloudflare_api_key = K\n", 0600);
    t.values["credentials"] = text(ini.path.string());
    CHECK_THAT(refusal(t), Contains("neither dns_cloudflare_api_token"));
  }
  SECTION("readable by others, and the secret is not in the message") {
    IniFile ini("dns_cloudflare_api_token = LEAKED-TOKEN\n", 0644);
    t.values["credentials"] = text(ini.path.string());
    const auto message = refusal(t);
    CHECK_THAT(message, Contains(ini.path.string()));
    CHECK_THAT(message, !Contains("LEAKED-TOKEN"));
  }
  SECTION("missing") {
    t.values["credentials"] = text("/nonexistent/cloudflare.ini");
    CHECK_THAT(refusal(t), Contains("/nonexistent/cloudflare.ini"));
  }
}

TEST_CASE("cloudflare settings: zone_id, ttl and endpoint are checked") {
  auto t = token_table();
  t.values["zone_id"] = text("023E105F4ECEF8AD9CA31A8372D0C353");
  t.values["ttl"] = integer(1);
  t.values["endpoint"] = text("https://127.0.0.1:8443/client/v4/");
  auto s = parse_settings(t);
  CHECK(s.zone_id == "023e105f4ecef8ad9ca31a8372d0c353");
  CHECK(s.ttl == 1);
  CHECK(s.endpoint == "https://127.0.0.1:8443/client/v4");

  t.values["zone_id"] = text("example.com");
  t.values["ttl"] = integer(30);
  t.values["endpoint"] = text("http://api.cloudflare.com/client/v4");
  const auto message = refusal(t);  // every problem at once
  CHECK_THAT(message, Contains("zone_id must be") && Contains("ttl must be 1") &&
                          Contains("endpoint must be an https://"));
}
