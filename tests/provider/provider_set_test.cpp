// The host side of the ABI end to end, through the real provider-test.so: records, batches,
// routing between instances, validation against provider.toml, Status -> Error mapping and
// redaction of what a provider logs.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include "dns01/plugins/loader.hpp"
#include "suite_support.hpp"

using namespace dns01;
using namespace dns01::plugins;
using Catch::Matchers::Contains;

namespace {

std::vector<std::string> lines_of(const std::filesystem::path& file) {
  std::vector<std::string> lines;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

struct Fixture {
  test::TempDir dir{"dns01-provider-set"};
  std::filesystem::path state = dir / "records";

  ProviderInstanceConfig config(const std::string& name, std::vector<std::string> zones,
                                const std::filesystem::path& state_path) {
    auto c = test::instance(name, "test", std::move(zones));
    c.settings["state_path"] = test::value(state_path.string());
    return c;
  }
  ProviderSet load(std::vector<ProviderInstanceConfig> configs, Logger* logger = nullptr) {
    return ProviderSet::load(configs, {{test::kTestModuleDir}, {logger, {}}});
  }
};

provider::TxtRecord txt(std::string name, std::string value) {
  return {std::move(name), std::move(value), {}, 0};
}

}  // namespace

TEST_CASE_METHOD(Fixture, "two values at one name coexist and are removed one by one",
                 "[provider][records]") {
  auto set = load({config("files", {"example.com"}, state)});
  auto [instance, zone] = set.route("_acme-challenge.example.com");
  CHECK(zone == "example.com");
  instance->add(txt("_acme-challenge.example.com", "apex-token"));
  instance->add(txt("_acme-challenge.example.com", "wildcard-token"));
  instance->add(txt("_acme-challenge.example.com", "apex-token"));  // already there: no-op
  CHECK(lines_of(state) == std::vector<std::string>{"_acme-challenge.example.com apex-token",
                                                    "_acme-challenge.example.com wildcard-token"});
  instance->remove(txt("_acme-challenge.example.com", "apex-token"));
  CHECK(lines_of(state) ==
        std::vector<std::string>{"_acme-challenge.example.com wildcard-token"});
  instance->remove(txt("_acme-challenge.example.com", "apex-token"));  // absent: success
  CHECK(lines_of(state).size() == 1);
}

TEST_CASE_METHOD(Fixture, "a batch reaches the provider as one call; remove_all falls back",
                 "[provider][records]") {
  auto set = load({config("files", {"example.com"}, state)});
  auto& instance = set.at(0);
  std::vector<provider::TxtRecord> batch;
  for (int i = 0; i < 3; ++i) batch.push_back(txt("_acme-challenge.h" + std::to_string(i) +
                                                  ".example.com", "v" + std::to_string(i)));
  instance.add_all(batch);
  CHECK(lines_of(state).size() == 3);
  instance.remove_all(batch);  // the test provider has no batch remove: default loops
  CHECK(lines_of(state).empty());
  auto ops = lines_of(state.string() + ".ops");
  REQUIRE(ops.size() == 4);
  CHECK(ops[0] == "add_all 3");
  CHECK_THAT(ops[1], Contains("remove _acme-challenge.h0.example.com v0"));
}

TEST_CASE_METHOD(Fixture, "records go to the instance with the longest matching zone",
                 "[provider][routing]") {
  const auto other = dir / "other-records";
  auto set = load({config("outer", {"example.com", "example.net"}, state),
                   config("inner", {"sub.example.com"}, other)});
  CHECK(set.size() == 2);
  auto [deep, deep_zone] = set.route("_acme-challenge.a.sub.example.com");
  CHECK(deep->config().name == "inner");
  CHECK(deep_zone == "sub.example.com");
  CHECK(deep->component() == "test[inner]");
  auto [apex, apex_zone] = set.route("_acme-challenge.Example.COM.");
  CHECK(apex->config().name == "outer");
  CHECK(apex_zone == "example.com");
  // Label-wise: "notsub.example.com" is in example.com, not in sub.example.com.
  CHECK(set.route("_acme-challenge.notsub.example.com").first->config().name == "outer");
  try {
    set.route("_acme-challenge.example.org");
    FAIL("routed a name no zone serves");
  } catch (const ConfigError& e) {
    CHECK_THAT(std::string(e.what()), Contains("no provider serves _acme-challenge.example.org"));
    CHECK_THAT(std::string(e.what()), Contains("sub.example.com (inner)"));
  }
  deep->add(txt("_acme-challenge.a.sub.example.com", "x"));
  CHECK(lines_of(other).size() == 1);
  CHECK(lines_of(state).empty());
  CHECK_THAT(lines_of(other.string() + ".ops").at(0), Contains("zone=sub.example.com"));
}

TEST_CASE_METHOD(Fixture, "every table problem is reported in one error before any load",
                 "[provider][validation]") {
  auto bad = test::instance("bad", "test", {"example.com"});
  bad.settings["state_pth"] = test::value(std::string("/tmp/x"));
  bad.settings["ttl"] = test::value(std::string("sixty"));
  auto missing = test::instance("absent", "nosuchprovider", {"example.net"});
  try {
    load({bad, missing});
    FAIL("invalid tables were accepted");
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    CHECK(e.issues().size() == 4);
    CHECK_THAT(message, Contains("unknown key for provider 'test' (did you mean 'state_path'?)"));
    CHECK_THAT(message, Contains("'ttl' in [providers.bad] must be an integer (got a string)"));
    CHECK_THAT(message, Contains("needs 'state_path'"));
    CHECK_THAT(message, Contains("no module for provider type 'nosuchprovider'"));
    CHECK_THAT(message, Contains("dns01.toml:7:1"));
  }
}

TEST_CASE_METHOD(Fixture, "defaults from provider.toml reach the provider",
                 "[provider][validation]") {
  auto set = load({config("files", {"example.com"}, state)});
  CHECK(set.at(0).hints().default_ttl == std::chrono::seconds(60));
  auto c = config("files", {"example.com"}, state);
  c.settings["ttl"] = ProviderValue{std::string("300"), {"environment", 0, 0}, false};
  auto from_env = load({c});
  CHECK(from_env.at(0).hints().default_ttl == std::chrono::seconds(300));
}

TEST_CASE_METHOD(Fixture, "a failed Status becomes an Error of the matching category",
                 "[provider][errors]") {
  auto c = config("files", {"example.com"}, state);
  c.settings["fail_value"] = test::value(std::string("denied-value"));
  c.settings["throw_value"] = test::value(std::string("crash-value"));
  auto set = load({c});
  auto& instance = set.at(0);
  try {
    instance.add(txt("_acme-challenge.example.com", "denied-value"));
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::provider);
    CHECK(std::string(e.what()) ==
          "test[files]: add TXT _acme-challenge.example.com: the value is on the deny list "
          "(fail_value)");
    CHECK(e.hint() == "remove fail_value");
  }
  try {
    instance.add(txt("_acme-challenge.example.com", "crash-value"));
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::provider);
    CHECK_THAT(std::string(e.what()), Contains("simulated crash in the test provider"));
    CHECK_THAT(e.hint(), Contains("bug in the provider"));
  }
  auto refusing = config("files", {"example.com"}, state);
  refusing.settings["refuse"] = test::value(true);
  try {
    load({refusing});
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::config);
    CHECK_THAT(std::string(e.what()), Contains("refuse = true was set"));
  }
}

TEST_CASE_METHOD(Fixture, "what a provider logs goes through the host logger, redacted",
                 "[provider][host]") {
  std::FILE* out = std::tmpfile();
  REQUIRE(out);
  Logger logger(LogLevel::debug, LogFormat::text, out);
  auto c = config("files", {"example.com"}, state);
  c.settings["token"] = test::value(std::string("tok-3f9a-very-secret"));
  {
    auto set = load({c}, &logger);
  }
  std::rewind(out);
  std::string text;
  for (int ch; (ch = std::fgetc(out)) != EOF;) text.push_back(static_cast<char>(ch));
  std::fclose(out);
  CHECK_THAT(text, Contains("test[files]"));
  CHECK_THAT(text, Contains("ready with token"));
  CHECK_THAT(text, !Contains("tok-3f9a-very-secret"));
}

TEST_CASE_METHOD(Fixture, "batches larger than Hints::max_batch go out in chunks",
                 "[provider][records][hints]") {
  auto c = config("files", {"example.com"}, state);
  c.settings["max_batch"] = test::value(std::int64_t{2});
  c.settings["batch_remove"] = test::value(true);
  auto set = load({c});
  REQUIRE(set.at(0).hints().max_batch == 2);
  std::vector<provider::TxtRecord> records;
  for (int i = 0; i < 5; ++i)
    records.push_back(txt("_acme-challenge.h" + std::to_string(i) + ".example.com", "v"));
  set.at(0).add_all(records);
  CHECK(lines_of(state).size() == 5);
  set.at(0).remove_all(records);
  CHECK(lines_of(state).empty());
  CHECK(lines_of(state.string() + ".ops") ==
        std::vector<std::string>{"add_all 2", "add_all 2", "add_all 1", "remove_all 2",
                                 "remove_all 2", "remove_all 1"});
}

TEST_CASE_METHOD(Fixture, "Host::env() reads the environment the host was given",
                 "[provider][host]") {
  auto c = config("files", {"example.com"}, state);
  c.settings["env_var"] = test::value(std::string("DEMO_CREDENTIAL_PATH"));
  const Environment env{{"DEMO_CREDENTIAL_PATH", "/run/secrets/demo"}};
  auto set = ProviderSet::load({c}, {{test::kTestModuleDir}, {nullptr, {}, &env}});
  CHECK(lines_of(state.string() + ".ops") ==
        std::vector<std::string>{"env DEMO_CREDENTIAL_PATH=/run/secrets/demo"});
}

TEST_CASE_METHOD(Fixture, "env aliases from provider.toml fill keys the table leaves out",
                 "[provider][validation]") {
  auto c = config("files", {"example.com"}, state);
  c.settings["email"] = test::value(std::string("ops@example.com"));
  const Environment env{{"TEST_API_KEY", "key-from-second-alias-9876"}};
  // api_key needs email (given) and is one_of with token (absent): valid through the alias.
  CHECK(check_provider_tables({c}, {{test::kTestModuleDir}, {nullptr, {}, &env}}).empty());
  CHECK_NOTHROW(ProviderSet::load({c}, {{test::kTestModuleDir}, {nullptr, {}, &env}}));
}

TEST_CASE_METHOD(Fixture, "check_provider_tables finds what load() would refuse, with file:line",
                 "[provider][validation]") {
  auto misspelt = config("files", {"example.com"}, state);
  misspelt.settings["stat_path"] = test::value(std::string("x"));
  misspelt.settings["mode"] = test::value(std::string("reckless"));
  misspelt.settings["token"] = test::value(std::string("t-1"), true);
  misspelt.settings["api_key"] = test::value(std::string("k-1"), true);
  auto unknown = test::instance("other", "nosuchprovider", {"example.net"});
  const Environment none;
  auto issues = check_provider_tables({misspelt, unknown},
                                      {{test::kTestModuleDir}, {nullptr, {}, &none}});
  std::string all;
  for (const auto& i : issues) all += i.str() + "\n";
  CHECK_THAT(all, Contains("dns01.toml:7:1: 'stat_path' in [providers.files]: unknown key for "
                           "provider 'test' (did you mean 'state_path'?)"));
  CHECK_THAT(all, Contains("'mode' in [providers.files] must be one of fast, careful (got "
                           "'reckless')"));
  CHECK_THAT(all, Contains("gives token and api_key: use only one of token, api_key"));
  CHECK_THAT(all, Contains("'api_key' needs email too"));
  CHECK_THAT(all, Contains("dns01.toml:5:1: [providers.other] type 'nosuchprovider'"));
  CHECK_THAT(all, !Contains("k-1"));
  CHECK_THROWS_AS(ProviderSet::load({misspelt}, {{test::kTestModuleDir}, {nullptr, {}, &none}}),
                  ConfigError);
}
