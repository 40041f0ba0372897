// parse_settings(): the only reader of the rfc2136 table. The Settings here are built the way
// the host hands them over (provider.toml defaults already applied), without loading the module.
#include <catch2/catch.hpp>

#include "settings.hpp"

using dns01::provider::Failure;
using dns01::provider::Settings;
using dns01::provider::StatusCode;
using dns01::provider::Value;
using dns01::provider::ValueKind;

namespace {

constexpr const char* kSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I=";

Value make(ValueKind kind, std::string text) {
  Value v;
  v.kind = kind;
  v.text = std::move(text);
  return v;
}
Value text(std::string s) { return make(ValueKind::string, std::move(s)); }
Value integer(std::int64_t i) {
  Value v = make(ValueKind::integer, std::to_string(i));
  v.integer = i;
  return v;
}
Value duration_ms(std::int64_t ms) {
  Value v = make(ValueKind::duration, std::to_string(ms) + "ms");
  v.integer = ms;
  return v;
}
Value boolean(bool b) {
  Value v = make(ValueKind::boolean, b ? "true" : "false");
  v.boolean = b;
  return v;
}

// A table as the host passes it: the keys given plus provider.toml's defaults.
Settings table(std::map<std::string, Value, std::less<>> given) {
  Settings s;
  s.instance = "internal";
  s.code = "rfc2136";
  s.zones = {"example.test"};
  s.values = {{"algorithm", text("hmac-sha256")},
              {"ttl", integer(60)},
              {"timeout", duration_ms(10000)},
              {"tcp", boolean(false)},
              {"server", text("192.0.2.53")}};
  for (auto& [key, value] : given) s.values[key] = value;
  return s;
}

dns01::provider::Status refusal(const Settings& s) {
  try {
    rfc2136::parse_settings(s);
  } catch (const Failure& f) {
    return f.status();
  }
  FAIL("the settings were accepted");
  return {};
}

}  // namespace

TEST_CASE("rfc2136 settings: a full table is read into one struct", "[rfc2136]") {
  const auto s = rfc2136::parse_settings(table({{"server", text("[2001:db8::53]:5353")},
                                                {"zone", text("Example.TEST.")},
                                                {"key_name", text("DNS01-acme.")},
                                                {"secret", text(kSecret)},
                                                {"algorithm", text("HMAC-MD5")},
                                                {"ttl", integer(120)},
                                                {"timeout", duration_ms(2500)},
                                                {"tcp", boolean(true)}}));
  CHECK(s.instance == "internal");
  CHECK(s.server.host == "2001:db8::53");
  CHECK(s.server.port == 5353);
  CHECK(s.server.str() == "[2001:db8::53]:5353");
  CHECK(s.zone == "example.test");
  REQUIRE(s.key);
  CHECK(s.key->name == "dns01-acme");
  CHECK(s.key->algorithm == "hmac-md5.sig-alg.reg.int.");
  CHECK(s.key->secret == kSecret);
  CHECK(s.ttl == 120);
  CHECK(s.timeout == std::chrono::milliseconds(2500));
  CHECK(s.tcp);
}

TEST_CASE("rfc2136 settings: the host's defaults are used as given, none are invented",
          "[rfc2136]") {
  const auto s = rfc2136::parse_settings(table({}));
  CHECK(s.server.str() == "192.0.2.53:53");
  CHECK(s.zone.empty());
  CHECK_FALSE(s.key);  // no key_name, no secret: unsigned updates
  CHECK(s.ttl == 60);
  CHECK(s.timeout == std::chrono::seconds(10));
  CHECK_FALSE(s.tcp);
  // A defaulted key missing means the host did not apply provider.toml: a bug, said so.
  auto no_ttl = table({});
  no_ttl.values.erase("ttl");
  const auto status = refusal(no_ttl);
  CHECK(status.code == StatusCode::internal);
  CHECK(status.message ==
        "the host passed no value for ttl, which provider.toml requires or gives a default");
  // So is a value of another type than provider.toml declares (the host checked it).
  const auto kind = refusal(table({{"tcp", text("yes")}}));
  CHECK(kind.code == StatusCode::internal);
  CHECK(kind.step == "read setting tcp");
  CHECK(kind.message ==
        "the host passed tcp as another type than a boolean, which provider.toml declares");
}

TEST_CASE("rfc2136 settings: servers in every written form", "[rfc2136]") {
  struct Case {
    const char* text;
    const char* host;
    std::uint16_t port;
  };
  for (const Case& c : {Case{"127.0.0.1", "127.0.0.1", 53}, Case{"127.0.0.1:5353", "127.0.0.1", 5353},
                        Case{"::1", "::1", 53}, Case{"[::1]", "::1", 53},
                        Case{"[::1]:54", "::1", 54}, Case{"ns1.example.test", "ns1.example.test", 53},
                        Case{"ns1.example.test:5300", "ns1.example.test", 5300}}) {
    INFO(c.text);
    const auto server = rfc2136::parse_server(c.text);
    CHECK(server.host == c.host);
    CHECK(server.port == c.port);
  }
}

TEST_CASE("rfc2136 settings: each bad value is refused with the key and a fix", "[rfc2136]") {
  struct Case {
    std::map<std::string, Value, std::less<>> given;
    const char* step;
    const char* message;
  };
  const std::vector<Case> cases = {
      {{{"server", text("127.0.0.1:99999")}}, "check server", "the port 99999 is not between 1 and 65535"},
      {{{"server", text("127.0.0.1:123456")}}, "check server", "the port '123456' is not a number from 1 to 65535"},
      {{{"server", text("127.0.0.1:-1")}}, "check server", "the port '-1' is not a number from 1 to 65535"},
      {{{"server", text("127.0.0.1:0")}}, "check server", "the port 0 is not between 1 and 65535"},
      {{{"server", text("[::1")}}, "check server", "'[' without ']'"},
      {{{"server", text("fe80::zz")}}, "check server", "'fe80::zz' is not an IPv6 address (write [IPv6]:port)"},
      {{{"server", text("bad host!")}}, "check server", "'bad host!' is neither an IP address nor a host name"},
      {{{"key_name", text("k")}}, "check secret", "key_name is set but no secret"},
      {{{"secret", text(kSecret)}}, "check key_name", "a secret is set but no key_name"},
      {{{"key_name", text("k")}, {"secret", text("not base64!")}}, "check secret", "the secret is not base64 text"},
      {{{"algorithm", text("hmac-whirlpool")}}, "check algorithm", "unknown TSIG algorithm 'hmac-whirlpool'"},
      {{{"ttl", integer(-5)}}, "check ttl", "the ttl must be between 0 and 86400 seconds"},
      {{{"ttl", integer(86401)}}, "check ttl", "the ttl must be between 0 and 86400 seconds"},
      {{{"timeout", duration_ms(99)}}, "check timeout", "the timeout is below 100ms"},
  };
  for (const auto& c : cases) {
    INFO(c.message);
    const auto status = refusal(table(c.given));
    CHECK(status.code == StatusCode::config);
    CHECK(status.step == c.step);
    CHECK(status.message == c.message);
    CHECK_FALSE(status.hint.empty());
    CHECK(status.message.find(kSecret) == std::string::npos);
  }
}

TEST_CASE("rfc2136 settings: hmac-sha224 and hmac-sha384 are refused, saying why", "[rfc2136]") {
  auto status = refusal(table({{"algorithm", text("hmac-sha224")}}));
  CHECK(status.message ==
        "hmac-sha224 is not supported: ldns 1.8.3, the DNS library dns01 uses, does not implement it");
  CHECK(status.hint == "create the key with hmac-sha256 (tsig-keygen -a hmac-sha256 NAME)");
  status = refusal(table({{"algorithm", text("hmac-sha384.")}}));
  CHECK(status.message ==
        "hmac-sha384 is not supported: ldns 1.8.3, the DNS library dns01 uses, signs it under a "
        "misspelt algorithm name, so servers answer BADKEY");
  for (const char* ok : {"hmac-sha256", "hmac-sha512.", "HMAC-SHA1", "hmac-md5.sig-alg.reg.int."}) {
    INFO(ok);
    CHECK_NOTHROW(rfc2136::parse_settings(table({{"algorithm", text(ok)}})));
  }
}
