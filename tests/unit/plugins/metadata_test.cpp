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
      meta, {});
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
                                         meta, {});
  CHECK(settings.integer("ttl") == 30);
  CHECK(settings.boolean("tcp"));
  CHECK(settings.duration("timeout", {}) == std::chrono::minutes(2));
  CHECK(settings.strings("views") == std::vector<std::string>{"a", "b", "c"});
  auto issues = validate_provider_settings(table({{"server", in_env("h")},
                                                  {"ttl", in_env("thirty")}}),
                                           meta, {});
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
      meta, {});
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

namespace {

// provider.toml v2: env aliases, choices, bounds and table-level rules.
constexpr const char* kMetaV2 = R"(code = "cloudy"
name = "Cloudy"
description = "A cloud API."
[[config]]
key = "api_token"
type = "string"
secret = true
env = ["CLOUDY_DNS_API_TOKEN", "CY_TOKEN"]
description = "Token."
[[config]]
key = "api_key"
type = "string"
secret = true
env = ["CLOUDY_API_KEY"]
description = "Legacy key."
[[config]]
key = "email"
type = "string"
env = ["CLOUDY_EMAIL"]
description = "Account e-mail."
[[config]]
key = "ttl"
type = "integer"
default = 120
min = 60
max = 86400
description = "TTL."
[[config]]
key = "timeout"
type = "duration"
default = "30s"
max = "5m"
description = "Timeout."
[[config]]
key = "environment"
type = "string"
default = "public"
choices = ["public", "china"]
description = "Cloud."
[[one_of]]
keys = ["api_token", "api_key"]
required = true
[[requires]]
key = "api_key"
keys = ["email"]
)";

std::string issues_text(const std::vector<ConfigIssue>& issues) {
  std::string all;
  for (const auto& i : issues) all += i.str() + "\n";
  return all;
}

}  // namespace

TEST_CASE("provider.toml v2 fields are parsed", "[plugins][metadata]") {
  auto meta = parse_provider_metadata(kMetaV2, "provider.toml");
  CHECK(meta.find("api_token")->env == std::vector<std::string>{"CLOUDY_DNS_API_TOKEN", "CY_TOKEN"});
  CHECK(meta.find("environment")->choices == std::vector<std::string>{"public", "china"});
  CHECK(*meta.find("ttl")->min == 60);
  CHECK(*meta.find("timeout")->max == 300'000);
  REQUIRE(meta.one_of.size() == 1);
  CHECK(meta.one_of[0].required);
  REQUIRE(meta.requirements.size() == 1);
  CHECK(meta.requirements[0].key == "api_key");
}

TEST_CASE("provider.toml v2 mistakes are reported with their place", "[plugins][metadata]") {
  try {
    parse_provider_metadata(R"(code = "x"
name = "X"
description = "d"
[[config]]
key = "n"
type = "integer"
choices = ["a"]
min = 5
max = 1
env = ["lower_case"]
description = "d"
[[one_of]]
keys = ["n", "nope"]
[[requires]]
key = "ghost"
keys = ["n"]
)", "p.toml");
    FAIL("no ConfigError");
  } catch (const ConfigError& e) {
    const std::string all = issues_text(e.issues());
    CHECK_THAT(all, Contains("choices are for string keys"));
    CHECK_THAT(all, Contains("min is larger than max"));
    CHECK_THAT(all, Contains("env 'lower_case' is not an upper-case variable name"));
    CHECK_THAT(all, Contains("[[one_of]] names 'nope', which no [[config]] declares"));
    CHECK_THAT(all, Contains("[[requires]] names 'ghost'"));
  }
}

TEST_CASE("env aliases supply keys the table leaves out, in order", "[plugins][validation]") {
  auto meta = parse_provider_metadata(kMetaV2, "provider.toml");
  const Environment env{{"CY_TOKEN", "second-choice-token"},
                        {"CLOUDY_DNS_API_TOKEN", "first-choice-token-1234"}};
  auto settings = make_provider_settings(table({}), meta, env);
  CHECK(settings.string("api_token") == "first-choice-token-1234");
  CHECK(settings.find("api_token")->secret);
  CHECK(Redactor::global().apply("t=first-choice-token-1234") == "t=[REDACTED]");
  // The table wins over the environment.
  auto given = make_provider_settings(table({{"api_token", in_file(std::string("from-table"))}}),
                                      meta, env);
  CHECK(given.string("api_token") == "from-table");
}

TEST_CASE("choices, bounds, one_of and requires are enforced", "[plugins][validation]") {
  auto meta = parse_provider_metadata(kMetaV2, "provider.toml");
  SECTION("both halves of a one_of") {
    auto issues = validate_provider_settings(
        table({{"api_token", in_file(std::string("t"), 4)},
               {"api_key", in_file(std::string("k"), 5)},
               {"email", in_file(std::string("a@example.com"), 6)}}),
        meta, {});
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].str() == "dns01.toml:5:1: [providers.main] (type cloudy) gives api_token and "
                             "api_key: use only one of api_token, api_key");
  }
  SECTION("neither half of a required one_of, named with its variables") {
    auto issues = validate_provider_settings(table({}), meta, {});
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].str() ==
          "dns01.toml:2:1: [providers.main] (type cloudy) needs one of api_token, api_key");
  }
  SECTION("a key that needs another") {
    auto issues = validate_provider_settings(table({{"api_key", in_file(std::string("k"), 7)}}),
                                             meta, {});
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].str() == "dns01.toml:7:1: [providers.main] (type cloudy): 'api_key' needs "
                             "email too");
  }
  SECTION("the other half through the environment satisfies requires") {
    auto issues = validate_provider_settings(table({{"api_key", in_file(std::string("k"), 7)}}),
                                             meta, {{"CLOUDY_EMAIL", "a@example.com"}});
    CHECK(issues.empty());
  }
  SECTION("out of choices and bounds") {
    auto issues = validate_provider_settings(
        table({{"api_token", in_file(std::string("t"))},
               {"environment", in_file(std::string("usgov"), 8)},
               {"ttl", in_file(std::int64_t{30}, 9)},
               {"timeout", in_file(std::string("10m"), 10)}}),
        meta, {});
    const std::string all = issues_text(issues);
    REQUIRE(issues.size() == 3);
    CHECK_THAT(all, Contains("dns01.toml:8:1: 'environment' in [providers.main] must be one of "
                             "public, china (got 'usgov')"));
    CHECK_THAT(all, Contains("dns01.toml:9:1: 'ttl' in [providers.main] must be at least 60 "
                             "(got 30)"));
    CHECK_THAT(all, Contains("dns01.toml:10:1: 'timeout' in [providers.main] must be at most "
                             "300000 ms (got 600000 ms)"));
  }
}

TEST_CASE("a settings accessor of the wrong kind fails instead of falling back",
          "[plugins][validation]") {
  auto meta = parse_provider_metadata(kMetaV2, "provider.toml");
  auto settings = make_provider_settings(table({{"api_token", in_file(std::string("t"))}}), meta, {});
  CHECK(settings.integer("absent", 7) == 7);
  try {
    (void)settings.integer("api_token");
    FAIL("no Failure for a kind mismatch");
  } catch (const provider::Failure& f) {
    CHECK(f.status().code == provider::StatusCode::internal);
    CHECK_THAT(f.status().step, Contains("api_token"));
  }
}
