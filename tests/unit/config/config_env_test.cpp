#include <catch2/catch.hpp>

#include "config_test_util.hpp"
#include "dns01/config.hpp"
#include "temp_dir.hpp"

using namespace dns01;
using dns01::test::expect_config_error;
using dns01::test::has_issue;
using dns01::test::isolated;
using dns01::test::TempDir;

TEST_CASE("environment overrides win over the file", "[config]") {
  const char* text = R"([acme]
server = "letsencrypt"
[propagation]
timeout = "90s"
port = 53
[log]
level = "info"
)";
  Config c = parse_config(text, "t.toml",
                          isolated({{"DNS01_ACME_SERVER", "https://127.0.0.1:14000/dir"},
                                    {"DNS01_PROPAGATION_TIMEOUT", "2m"},
                                    {"DNS01_PROPAGATION_PORT", "5353"},
                                    {"DNS01_PROPAGATION_NAMESERVERS", "127.0.0.1, [::1]:53,"},
                                    {"DNS01_PROPAGATION_REQUIRE_RECURSIVE", "yes"},
                                    {"DNS01_LOG_LEVEL", "debug"},
                                    {"DNS01_LOG_FORMAT", "json"},
                                    {"DNS01_STORAGE_DIR", "/tmp/elsewhere"}}));
  CHECK(c.acme.server == "https://127.0.0.1:14000/dir");
  CHECK(c.propagation.timeout == std::chrono::minutes(2));
  CHECK(c.propagation.port == 5353);
  REQUIRE(c.propagation.nameservers.size() == 2);
  CHECK(c.propagation.nameservers[0].str() == "127.0.0.1:5353");
  CHECK(c.propagation.nameservers[1].str() == "[::1]:53");
  CHECK(c.propagation.require_recursive);
  CHECK(c.log.level == LogLevel::debug);
  CHECK(c.log.format == LogFormat::json);
  CHECK(c.storage.dir == "/tmp/elsewhere");
}

TEST_CASE("variables outside the config sections and empty variables are ignored", "[config]") {
  Config c = parse_config("", "", isolated({{"DNS01_CONFIG", "/nonexistent"},
                                            {"DNS01_BIN", "/x"},
                                            {"DNS01_PROVIDER_PATH", "/y"},
                                            {"DNS01_BUILD_DIR", "/z"},
                                            {"DNS01_LOG_LEVEL", ""},
                                            {"OTHER", "1"}}));
  CHECK(c.log.level == LogLevel::info);
}

TEST_CASE("a bad or unknown override is reported with the variable name", "[config]") {
  auto e = expect_config_error("", isolated({{"DNS01_PROPAGATION_TIMEOUT", "forever"},
                                             {"DNS01_ACME_SEVER", "x"},
                                             {"DNS01_PROPAGATION_PORT", "0"},
                                             {"DNS01_SECURITY_ALLOW_INSECURE_SECRET_FILES", "maybe"}}));
  for (const auto& i : e.issues()) CHECK(i.file == "environment");
  CHECK(has_issue(e, 0, "DNS01_PROPAGATION_TIMEOUT: 'forever' is not a duration"));
  CHECK(has_issue(e, 0, "DNS01_ACME_SEVER: unknown setting 'sever' for [acme] (did you mean "
                        "DNS01_ACME_SERVER?)"));
  CHECK(has_issue(e, 0, "DNS01_PROPAGATION_PORT must be a port number"));
  CHECK(has_issue(e, 0, "DNS01_SECURITY_ALLOW_INSECURE_SECRET_FILES must be true or false"));
  CHECK(std::string(e.what()).find("environment: DNS01_PROPAGATION_TIMEOUT") != std::string::npos);
}

TEST_CASE("a _FILE variable reads the secret from a file and wins over the file's value",
          "[config]") {
  TempDir dir;
  const auto secret_path = dir.write("eab", "ZW52LXNlY3JldC1tYWMta2V5\n");
  Config c = parse_config("[acme]\neab_kid = \"k\"\neab_hmac_key = \"ZmlsZS12YWx1ZQ\"\n", "t.toml",
                          isolated({{"DNS01_ACME_EAB_HMAC_KEY_FILE", secret_path.string()}}));
  CHECK(c.acme.eab_hmac_key == "ZW52LXNlY3JldC1tYWMta2V5");
  CHECK(Redactor::global().apply("ZW52LXNlY3JldC1tYWMta2V5") == "[REDACTED]");

  auto e = expect_config_error(
      "", isolated({{"DNS01_ACME_EAB_HMAC_KEY_FILE", (dir.path() / "missing").string()},
                    {"DNS01_ACME_EAB_KID", "k"}}));
  CHECK(has_issue(e, 0, "DNS01_ACME_EAB_HMAC_KEY_FILE: secret file"));
  CHECK(has_issue(e, 0, "does not exist"));

  auto both = expect_config_error("", isolated({{"DNS01_ACME_EAB_HMAC_KEY_FILE", secret_path.string()},
                                                {"DNS01_ACME_EAB_HMAC_KEY", "ZZZZZZZZ"},
                                                {"DNS01_ACME_EAB_KID", "k"}}));
  CHECK(has_issue(both, 0, "both the value and its _FILE variant are set"));
}

TEST_CASE("provider settings come from DNS01_PROVIDERS_<NAME>_<KEY>", "[config]") {
  TempDir dir;
  const auto token = dir.write("token", "cf-token-from-file-0001\n");
  const char* text = R"([providers.my_cf]
type = "cloudflare"
zones = ["example.com"]
api_token = "file-value-overridden"
[providers.my]
type = "rfc2136"
zones = ["example.org"]
)";
  Config c = parse_config(text, "t.toml",
                          isolated({{"DNS01_PROVIDERS_MY_CF_API_TOKEN_FILE", token.string()},
                                    {"DNS01_PROVIDERS_MY_SERVER", "127.0.0.1:53"},
                                    {"DNS01_PROVIDERS_LAB_TYPE", "rfc2136"},
                                    {"DNS01_PROVIDERS_LAB_ZONES", "lab.example, Other.Example."}}));
  REQUIRE(c.providers.size() == 3);
  auto find = [&](const std::string& name) -> const ProviderInstanceConfig& {
    for (const auto& p : c.providers)
      if (p.name == name) return p;
    FAIL("no provider " << name);
    throw;
  };
  const auto& cf = find("my_cf");
  CHECK(std::get<std::string>(cf.settings.at("api_token").value) == "cf-token-from-file-0001");
  CHECK(cf.settings.at("api_token").secret);
  CHECK(cf.settings.at("api_token").where.file == "environment");
  CHECK(std::get<std::string>(find("my").settings.at("server").value) == "127.0.0.1:53");
  const auto& lab = find("lab");
  CHECK(lab.type == "rfc2136");
  CHECK(lab.zones == std::vector<std::string>{"lab.example", "other.example"});
  CHECK(lab.where.file == "environment");

  auto e = expect_config_error("", isolated({{"DNS01_PROVIDERS_GHOST_SERVER", "x"}}));
  CHECK(has_issue(e, 0, "[providers.ghost] (from DNS01_PROVIDERS_* variables) has no 'type'"));
}

TEST_CASE("find_config_path follows --config, then DNS01_CONFIG", "[config]") {
  TempDir dir;
  const auto file = dir.write("dns01.toml", "[log]\nlevel = \"warn\"\n", 0644);
  LoadOptions o = isolated();
  o.path = file;
  CHECK(find_config_path(o) == file);
  CHECK(load_config(o).log.level == LogLevel::warn);
  CHECK(load_config(o).source == file);

  LoadOptions by_env = isolated({{"DNS01_CONFIG", file.string()}});
  CHECK(find_config_path(by_env) == file);

  LoadOptions missing = isolated();
  missing.path = dir.path() / "nope.toml";
  try {
    find_config_path(missing);
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("nope.toml' (named by --config) does not exist") !=
          std::string::npos);
  }
  LoadOptions missing_env = isolated({{"DNS01_CONFIG", (dir.path() / "gone.toml").string()}});
  CHECK_THROWS_AS(find_config_path(missing_env), ConfigError);
  LoadOptions a_dir = isolated();
  a_dir.path = dir.path();
  CHECK_THROWS_AS(find_config_path(a_dir), ConfigError);
}

TEST_CASE("a table name with '-' is spelled with '_' in variables", "[config]") {
  Config c = parse_config("[providers.my-lab]\ntype = \"rfc2136\"\nzones = [\"lab.example\"]\n",
                          "t.toml", isolated({{"DNS01_PROVIDERS_MY_LAB_SERVER", "127.0.0.1"}}));
  REQUIRE(c.providers.size() == 1);
  CHECK(c.providers[0].name == "my-lab");
  CHECK(std::get<std::string>(c.providers[0].settings.at("server").value) == "127.0.0.1");
}
