// provider.toml parsing, and [providers.<name>] tables validated against it.
#include <catch2/catch.hpp>

#include "dns01/log.hpp"
#include "dns01/plugins/metadata.hpp"

using namespace dns01;
using namespace dns01::plugins;
using Catch::Matchers::Contains;

namespace {

constexpr const char* kMeta = R"(code = "demo"
name = "Demo"
description = "A provider for tests."
[[links]]
title = "API"
url = "https://example.com/api"
[[config]]
key = "server"
type = "string"
required = true
description = "Where."
[[config]]
key = "token"
type = "string"
secret = true
description = "Secret."
[[config]]
key = "ttl"
type = "integer"
default = 120
description = "TTL."
[[config]]
key = "timeout"
type = "duration"
default = "30s"
description = "Timeout."
[[config]]
key = "tcp"
type = "boolean"
default = false
description = "TCP."
[[config]]
key = "views"
type = "strings"
description = "Views."
)";

ProviderInstanceConfig table(std::map<std::string, ProviderValue> settings) {
  ProviderInstanceConfig c;
  c.name = "main";
  c.type = "demo";
  c.zones = {"example.com"};
  c.settings = std::move(settings);
  c.where = {"dns01.toml", 2, 1};
  return c;
}

ProviderValue in_file(ProviderScalar v, int line = 4) {
  return ProviderValue{std::move(v), {"dns01.toml", line, 1}, false};
}
ProviderValue in_env(std::string v) {
  return ProviderValue{std::move(v), {"environment", 0, 0}, false};
}

}  // namespace

TEST_CASE("provider.toml parses into ordered keys with typed defaults", "[plugins][metadata]") {
  auto meta = parse_provider_metadata(kMeta, "provider.toml");
  CHECK(meta.code == "demo");
  REQUIRE(meta.links.size() == 1);
  CHECK(meta.links[0].url == "https://example.com/api");
  REQUIRE(meta.keys.size() == 6);
  CHECK(meta.keys[0].key == "server");
  CHECK(meta.keys[0].required);
  CHECK(meta.find("token")->secret);
  CHECK(meta.find("ttl")->default_value->integer == 120);
  CHECK(meta.find("timeout")->default_value->integer == 30000);
  CHECK(meta.find("views")->kind == provider::ValueKind::string_list);
  CHECK(meta.find("nope") == nullptr);
}

TEST_CASE("broken provider.toml files are reported with locations", "[plugins][metadata]") {
  try {
    parse_provider_metadata(R"(code = "Bad-Code"
name = "x"
[[config]]
key = "api_file"
type = "float"
default = 1
required = true
)",
                            "p.toml");
    FAIL("accepted");
  } catch (const ConfigError& e) {
    const std::string all = e.what();
    CHECK_THAT(all, Contains("p.toml:1:1: code 'Bad-Code'"));
    CHECK_THAT(all, Contains("provider.toml needs 'description'"));
    CHECK_THAT(all, Contains("'*_file' are reserved"));
    CHECK_THAT(all, Contains("unknown type 'float'"));
    CHECK_THAT(all, Contains("a required key has no default"));
  }
  CHECK_THROWS_AS(parse_provider_metadata("code = ", "p.toml"), ConfigError);
}

TEST_CASE("a valid table becomes typed settings with defaults", "[plugins][validation]") {
  auto meta = parse_provider_metadata(kMeta, "provider.toml");
  auto settings = make_provider_settings(
      table({{"server", in_file(std::string("192.0.2.1"))},
             {"token", ProviderValue{std::string("tok-abcdef-123"), {"environment", 0, 0}, true}},
             {"timeout", in_file(std::int64_t{5})},
             {"views", in_file(std::vector<std::string>{"a", "b"})}}),
      meta);
  CHECK(settings.instance == "main");
  CHECK(settings.code == "demo");
  CHECK(settings.zones == std::vector<std::string>{"example.com"});
  CHECK(settings.string("server") == "192.0.2.1");
  CHECK(settings.integer("ttl") == 120);
  CHECK(settings.duration("timeout", {}) == std::chrono::seconds(5));
  CHECK(settings.boolean("tcp", true) == false);
  CHECK(settings.strings("views") == std::vector<std::string>{"a", "b"});
  CHECK(settings.find("token")->secret);
  CHECK(Redactor::global().apply("x tok-abcdef-123 y") == "x [REDACTED] y");
}

TEST_CASE("environment values are converted to the declared type", "[plugins][validation]") {
  auto meta = parse_provider_metadata(kMeta, "provider.toml");
  auto settings = make_provider_settings(table({{"server", in_env("h")},
                                                {"ttl", in_env("30")},
                                                {"tcp", in_env("yes")},
                                                {"timeout", in_env("2m")},
                                                {"views", in_env("a, b,,c")}}),
                                         meta);
  CHECK(settings.integer("ttl") == 30);
  CHECK(settings.boolean("tcp"));
  CHECK(settings.duration("timeout", {}) == std::chrono::minutes(2));
  CHECK(settings.strings("views") == std::vector<std::string>{"a", "b", "c"});
  auto issues = validate_provider_settings(table({{"server", in_env("h")},
                                                  {"ttl", in_env("thirty")}}),
                                           meta);
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].str() == "environment: 'ttl' in [providers.main] must be an integer");
}

TEST_CASE("every problem of a table is listed, without secrets", "[plugins][validation]") {
  auto meta = parse_provider_metadata(kMeta, "provider.toml");
  auto issues = validate_provider_settings(
      table({{"sever", in_file(std::string("x"), 5)},
             {"ttl", in_file(std::string("60"), 6)},
             {"tcp", in_file(std::int64_t{1}, 7)},
             {"timeout", in_file(std::string("soon"), 8)},
             {"token", in_file(std::int64_t{123456}, 9)}}),
      meta);
  REQUIRE(issues.size() == 6);
  std::string all;
  for (const auto& i : issues) all += i.str() + "\n";
  CHECK_THAT(all, Contains("dns01.toml:5:1: 'sever' in [providers.main]: unknown key for "
                           "provider 'demo' (did you mean 'server'?)"));
  CHECK_THAT(all, Contains("dns01.toml:6:1: 'ttl' in [providers.main] must be an integer (got a "
                           "string)"));
  CHECK_THAT(all, Contains("'tcp' in [providers.main] must be a boolean (got an integer)"));
  CHECK_THAT(all, Contains("'timeout' in [providers.main] is not a duration"));
  CHECK_THAT(all, Contains("dns01.toml:2:1: [providers.main] (type demo) needs 'server': Where."));
  CHECK_THAT(all, Contains("'token' in [providers.main] must be a string (got an integer)"));
  CHECK_THAT(all, !Contains("123456"));
}
