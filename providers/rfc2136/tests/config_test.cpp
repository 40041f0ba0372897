// provider-rfc2136.so refuses unusable settings when it is created, before any packet is sent
// (the servers below are never contacted: creation does no I/O). parse_settings() itself is
// covered in settings_test.cpp; this checks the module and the loader agree.
#include <catch2/catch.hpp>

#include "load_support.hpp"

using namespace dns01;
using namespace dns01::plugins;
using Catch::Matchers::Contains;

namespace {

constexpr const char* kSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I=";

ProviderInstanceConfig rfc2136(std::map<std::string, ProviderScalar> settings) {
  std::map<std::string, ProviderScalar> all = {{"server", std::string("127.0.0.1:53")},
                                               {"key_name", std::string("dns01-acme")},
                                               {"secret", std::string(kSecret)}};
  for (auto& [key, value] : settings) all[key] = value;
  return rfc2136_test::table(all);
}

Error creation_error(std::map<std::string, ProviderScalar> settings) {
  try {
    rfc2136_test::load(rfc2136(std::move(settings)));
  } catch (const Error& e) {
    return e;
  }
  FAIL("the settings were accepted");
  return Error(ErrorCategory::internal, "", "", "");
}

}  // namespace

TEST_CASE("rfc2136 accepts a complete table and the supported algorithms",
          "[provider][rfc2136]") {
  for (const char* algorithm : {"hmac-sha256", "HMAC-SHA512", "hmac-sha1", "hmac-md5",
                                "hmac-md5.sig-alg.reg.int"}) {
    INFO(algorithm);
    auto set = rfc2136_test::load(rfc2136({{"algorithm", std::string(algorithm)}}));
    CHECK(set.at(0).hints().default_ttl == std::chrono::seconds(60));  // provider.toml's default
  }
  for (const char* server : {"127.0.0.1", "[::1]:5353", "::1", "ns1.example.test:53"}) {
    INFO(server);
    CHECK(rfc2136_test::load(rfc2136({{"server", std::string(server)}})).size() == 1);
  }
  CHECK(rfc2136_test::load(rfc2136({{"ttl", std::int64_t{300}}})).at(0).hints().default_ttl ==
        std::chrono::seconds(300));
}

// provider.toml's `choices` refuse them before the module is loaded (so `config check` does
// too), and the key's description says why; settings.cpp keeps its own explanation as a second
// line of defence (settings_test.cpp).
TEST_CASE("rfc2136 refuses hmac-sha224 and hmac-sha384, saying why", "[provider][rfc2136]") {
  for (const char* algorithm : {"hmac-sha224", "hmac-sha384", "hmac-whirlpool"}) {
    INFO(algorithm);
    auto e = creation_error({{"algorithm", std::string(algorithm)}});
    CHECK(e.category() == ErrorCategory::config);
    CHECK_THAT(std::string(e.what()), Contains("dns01.toml:7:1: 'algorithm' in [providers.internal] "
                                               "must be one of hmac-sha256, hmac-sha512"));
    CHECK_THAT(std::string(e.what()), Contains(std::string("(got '") + algorithm + "')"));
    CHECK_THAT(std::string(e.what()), Contains("hmac-sha224 and hmac-sha384 are refused"));
    CHECK_THAT(std::string(e.what()), Contains("ldns 1.8.3"));
  }
}

TEST_CASE("rfc2136: the module refuses bad servers and secrets with a config error",
          "[provider][rfc2136]") {
  struct Case {
    std::map<std::string, ProviderScalar> settings;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {{{"server", std::string("127.0.0.1:99999")}}, "not between 1 and 65535"},
      {{{"server", std::string("[::1")}}, "without ']'"},
      {{{"server", std::string("fe80::zz")}}, "not an IPv6 address"},
      {{{"server", std::string("bad host!")}}, "neither an IP address nor a host name"},
      {{{"secret", std::string("not base64!")}}, "not base64"},
  };
  for (const auto& c : cases) {
    INFO(c.expected);
    auto e = creation_error(c.settings);
    CHECK(e.category() == ErrorCategory::config);
    CHECK_THAT(std::string(e.what()), Contains(c.expected));
    CHECK_THAT(std::string(e.what()), Contains("rfc2136[internal]"));
  }
}

TEST_CASE("rfc2136: provider.toml's bounds and key pairs are checked by the host, with file:line",
          "[provider][rfc2136]") {
  // These never reach the module: `dns01 config check` reports them the same way.
  struct Case {
    std::map<std::string, ProviderScalar> settings;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {{{"timeout", std::string("10ms")}}, "'timeout' in [providers.internal] must be at least 100 ms"},
      {{{"ttl", std::int64_t{-5}}}, "'ttl' in [providers.internal] must be at least 0"},
      {{{"ttl", std::int64_t{86401}}}, "'ttl' in [providers.internal] must be at most 86400"},
  };
  for (const auto& c : cases) {
    INFO(c.expected);
    auto e = creation_error(c.settings);
    CHECK(e.category() == ErrorCategory::config);
    CHECK_THAT(std::string(e.what()), Contains("dns01.toml:7:1"));
    CHECK_THAT(std::string(e.what()), Contains(c.expected));
  }
  auto no_secret = rfc2136({});
  no_secret.settings.erase("secret");
  auto no_key = rfc2136({});
  no_key.settings.erase("key_name");
  for (const auto& [table, expected] :
       {std::pair{no_secret, "'key_name' needs secret too"}, std::pair{no_key, "'secret' needs key_name too"}}) {
    INFO(expected);
    try {
      rfc2136_test::load(table);
      FAIL("accepted half a TSIG key");
    } catch (const Error& e) {
      CHECK(e.category() == ErrorCategory::config);
      CHECK_THAT(std::string(e.what()), Contains(expected));
    }
  }
}

TEST_CASE("rfc2136 secrets never appear in errors", "[provider][rfc2136]") {
  auto e = creation_error({{"server", std::string("nowhere:0")}});
  CHECK_THAT(std::string(e.what()) + e.hint(), !Contains(kSecret));
}
