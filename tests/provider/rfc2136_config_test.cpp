// provider-rfc2136.so refuses unusable settings when it is created, before any packet is sent
// (the servers below are never contacted: creation does no I/O).
#include <catch2/catch.hpp>

#include "dns01/plugins/loader.hpp"
#include "suite_support.hpp"

using namespace dns01;
using namespace dns01::plugins;
using Catch::Matchers::Contains;

namespace {

ProviderInstanceConfig rfc2136(std::map<std::string, ProviderScalar> settings) {
  auto config = test::instance("internal", "rfc2136", {"example.test"});
  config.settings["server"] = test::value(std::string("127.0.0.1:53"));
  config.settings["key_name"] = test::value(std::string("dns01-acme"));
  config.settings["secret"] =
      test::value(std::string("c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I="), true);
  for (auto& [key, value] : settings) config.settings[key] = test::value(value);
  return config;
}

Error creation_error(std::map<std::string, ProviderScalar> settings) {
  try {
    ProviderSet::load({rfc2136(std::move(settings))}, {{test::kProviderBuildDir}, {}});
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
                                "hmac-md5.sig-alg.reg.int."}) {
    INFO(algorithm);
    auto set = ProviderSet::load({rfc2136({{"algorithm", std::string(algorithm)}})},
                                 {{test::kProviderBuildDir}, {}});
    CHECK(set.at(0).hints().default_ttl == std::chrono::seconds(60));
  }
  for (const char* server : {"127.0.0.1", "[::1]:5353", "::1", "ns1.example.test:53"}) {
    INFO(server);
    CHECK(ProviderSet::load({rfc2136({{"server", std::string(server)}})},
                            {{test::kProviderBuildDir}, {}})
              .size() == 1);
  }
}

TEST_CASE("rfc2136 refuses hmac-sha224 and hmac-sha384, saying why", "[provider][rfc2136]") {
  auto e = creation_error({{"algorithm", std::string("hmac-sha224")}});
  CHECK(e.category() == ErrorCategory::config);
  CHECK_THAT(std::string(e.what()), Contains("hmac-sha224 is not supported"));
  CHECK_THAT(std::string(e.what()), Contains("ldns 1.8.3"));
  CHECK_THAT(e.hint(), Contains("tsig-keygen -a hmac-sha256"));
  e = creation_error({{"algorithm", std::string("hmac-sha384")}});
  CHECK_THAT(std::string(e.what()), Contains("misspelt"));
  e = creation_error({{"algorithm", std::string("hmac-whirlpool")}});
  CHECK_THAT(std::string(e.what()), Contains("unknown TSIG algorithm"));
}

TEST_CASE("rfc2136 refuses bad servers, keys and secrets with a config error",
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
      {{{"timeout", std::string("10ms")}}, "below 100ms"},
      {{{"ttl", std::int64_t{-5}}}, "between 0 and 86400"},
  };
  for (const auto& c : cases) {
    INFO(c.expected);
    auto e = creation_error(c.settings);
    CHECK(e.category() == ErrorCategory::config);
    CHECK_THAT(std::string(e.what()), Contains(c.expected));
    CHECK_THAT(std::string(e.what()), Contains("rfc2136[internal]"));
  }
  auto no_secret = rfc2136({});
  no_secret.settings.erase("secret");
  try {
    ProviderSet::load({no_secret}, {{test::kProviderBuildDir}, {}});
    FAIL("accepted a key without secret");
  } catch (const Error& e) {
    CHECK_THAT(std::string(e.what()), Contains("key_name is set but no secret"));
    CHECK_THAT(e.hint(), Contains("secret_file"));
  }
}

TEST_CASE("rfc2136 secrets never appear in errors", "[provider][rfc2136]") {
  auto e = creation_error({{"server", std::string("nowhere:0")}});
  CHECK_THAT(std::string(e.what()) + e.hint(),
             !Contains("c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I="));
}
