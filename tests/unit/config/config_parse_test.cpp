#include <catch2/catch.hpp>

#include "config_test_util.hpp"
#include "dns01/config.hpp"

using namespace dns01;
using dns01::test::expect_config_error;
using dns01::test::has_issue;
using dns01::test::isolated;

TEST_CASE("an empty config gives the documented defaults", "[config]") {
  Config c = parse_config("", "", isolated());
  CHECK(c.source.empty());
  CHECK(c.acme.server == "letsencrypt");
  CHECK(c.acme.key_type == "ec256");
  CHECK(c.storage.dir == "/var/lib/dns01");
  CHECK(c.propagation.timeout == std::chrono::seconds(300));
  CHECK(c.propagation.port == 53);
  CHECK(c.log.level == LogLevel::info);
  CHECK(c.log.format == LogFormat::text);
  CHECK(c.providers.empty());
  CHECK_FALSE(c.allow_insecure_secret_files);
}

TEST_CASE("a complete config is parsed into the typed structs", "[config]") {
  const char* text = R"(
[acme]
server = "https://127.0.0.1:14000/dir"
email = "ops@example.com"
key_type = "rsa3072"
profile = "shortlived"

[storage]
dir = "/tmp/dns01-state"

[propagation]
timeout = "2m"
port = 5353
nameservers = ["127.0.0.1", "[::1]:53", "ns1.example.test:5300"]
resolvers = ["127.0.0.1"]
require_recursive = true
extra_wait = 3

[log]
level = "DEBUG"
format = "json"

[providers.lab]
type = "rfc2136"
zones = ["Example.TEST.", "_acme.example.org"]
server = "127.0.0.1:5353"
ttl = 60
weight = 1.5
verify = true
tags = ["a", "b"]
)";
  Config c = parse_config(text, "full.toml", isolated());
  CHECK(c.source == "full.toml");
  CHECK(c.acme.server == "https://127.0.0.1:14000/dir");
  CHECK(c.acme.email == "ops@example.com");
  CHECK(c.acme.key_type == "rsa3072");
  CHECK(c.acme.profile == "shortlived");
  CHECK(c.storage.dir == "/tmp/dns01-state");
  CHECK(c.propagation.timeout == std::chrono::minutes(2));
  CHECK(c.propagation.port == 5353);
  REQUIRE(c.propagation.nameservers.size() == 3);
  CHECK(c.propagation.nameservers[0].str() == "127.0.0.1:5353");  // `port` is the default
  CHECK(c.propagation.nameservers[1].str() == "[::1]:53");
  CHECK(c.propagation.nameservers[2].str() == "ns1.example.test:5300");
  REQUIRE(c.propagation.resolvers.size() == 1);
  CHECK(c.propagation.resolvers[0].port == 53);
  CHECK(c.propagation.require_recursive);
  CHECK(c.propagation.extra_wait == std::chrono::seconds(3));
  CHECK(c.log.level == LogLevel::debug);
  CHECK(c.log.format == LogFormat::json);

  REQUIRE(c.providers.size() == 1);
  const auto& p = c.providers[0];
  CHECK(p.name == "lab");
  CHECK(p.type == "rfc2136");
  CHECK(p.zones == std::vector<std::string>{"example.test", "_acme.example.org"});
  CHECK(p.where.file == "full.toml");
  CHECK(p.where.line == 23);
  CHECK(std::get<std::string>(p.settings.at("server").value) == "127.0.0.1:5353");
  CHECK(p.settings.at("server").where.line == 26);
  CHECK(std::get<std::int64_t>(p.settings.at("ttl").value) == 60);
  CHECK(std::get<double>(p.settings.at("weight").value) == 1.5);
  CHECK(std::get<bool>(p.settings.at("verify").value));
  CHECK(std::get<std::vector<std::string>>(p.settings.at("tags").value).size() == 2);
  CHECK_FALSE(p.settings.count("type"));
  CHECK_FALSE(p.settings.count("zones"));
}

TEST_CASE("a TOML syntax error is reported with its line and column", "[config]") {
  auto e = expect_config_error("[acme]\nserver = \"https://x\"\nemail = \n", isolated(), "s.toml");
  REQUIRE(e.issues().size() == 1);
  CHECK(e.issues()[0].file == "s.toml");
  CHECK(e.issues()[0].line == 3);
  CHECK(e.issues()[0].column > 0);
  CHECK(e.issues()[0].message.find("TOML syntax error") != std::string::npos);
  CHECK(e.category() == ErrorCategory::config);
  CHECK(std::string(e.what()).find("s.toml:3:") != std::string::npos);
}

TEST_CASE("wrong types name the key, the section, the expected and the actual type", "[config]") {
  auto e = expect_config_error(R"([propagation]
timeout = [1, 2]
port = "53"
require_recursive = "yes"
nameservers = "127.0.0.1"
[acme]
email = 42
)",
                               isolated());
  CHECK(has_issue(e, 2, "'timeout' in [propagation] must be a duration like \"90s\" (got an array)"));
  CHECK(has_issue(e, 3, "'port' in [propagation] must be an integer (got a string)"));
  CHECK(has_issue(e, 4, "'require_recursive' in [propagation] must be true or false (got a string)"));
  CHECK(has_issue(e, 5, "must be an array of strings"));
  CHECK(has_issue(e, 7, "'email' in [acme] must be a string (got an integer)"));
}

TEST_CASE("unknown keys and sections come with a did-you-mean", "[config]") {
  auto e = expect_config_error(R"([acme]
sever = "letsencrypt"
[propagation]
timout = "90s"
[storag]
dir = "/x"
[zzzzzz]
)",
                               isolated());
  CHECK(has_issue(e, 2, "unknown key 'sever' in [acme] (did you mean 'server'?)"));
  CHECK(has_issue(e, 4, "unknown key 'timout' in [propagation] (did you mean 'timeout'?)"));
  CHECK(has_issue(e, 5, "unknown section [storag] (did you mean [storage]?)"));
  CHECK(has_issue(e, 7, "unknown section [zzzzzz]"));
  CHECK_FALSE(has_issue(e, 7, "did you mean"));
}

TEST_CASE("every problem of a file is reported together, in file order", "[config]") {
  auto e = expect_config_error(R"([acme]
key_type = "ec521"
server = "ftp://ca"
email = "not-an-address"
[propagation]
timeout = "soon"
port = -5
extra_wait = "-1s"
nameservers = ["1.2.3.4:99999", "[::1", "256.1.1.1"]
[log]
level = "loud"
format = "xml"
)",
                               isolated());
  CHECK(e.issues().size() >= 11);
  CHECK(has_issue(e, 2, "'ec521' is not a key type"));
  CHECK(has_issue(e, 3, "is neither a directory URL"));
  CHECK(has_issue(e, 4, "is not an e-mail address"));
  CHECK(has_issue(e, 6, "'soon' is not a duration"));
  CHECK(has_issue(e, 7, "must be a port number in 1..65535 (got -5)"));
  CHECK(has_issue(e, 8, "negative"));
  CHECK(has_issue(e, 9, "port '99999'"));
  CHECK(has_issue(e, 9, "missing ']'"));
  CHECK(has_issue(e, 9, "'256.1.1.1' is not an IPv4 address"));
  CHECK(has_issue(e, 11, "'loud' is not a log level"));
  CHECK(has_issue(e, 12, "'xml' is not a log format"));
  for (std::size_t i = 1; i < e.issues().size(); ++i)
    CHECK(e.issues()[i - 1].line <= e.issues()[i].line);
}

TEST_CASE("sections must be tables", "[config]") {
  auto e = expect_config_error("acme = \"letsencrypt\"\nserver = 1\n", isolated());
  CHECK(has_issue(e, 1, "'acme' must be a table [acme] (got a string)"));
  CHECK(has_issue(e, 2, "unknown top-level key 'server'"));
}

TEST_CASE("provider tables need a type and zones", "[config]") {
  auto e = expect_config_error(R"([providers.a]
zones = ["example.com"]
[providers.b]
type = "rfc2136"
[providers.c]
type = "rfc2136"
zones = []
[providers.d]
type = "Bad Type"
zones = ["d.example", "bad..name", "-x.example", "é.example"]
[providers]
e = 3
[providers.F]
type = "x"
zones = ["f.example"]
)",
                               isolated());
  CHECK(has_issue(e, 1, "[providers.a] has no 'type'"));
  CHECK(has_issue(e, 3, "[providers.b] has no 'zones'"));
  CHECK(has_issue(e, 7, "'zones' in [providers.c] is empty"));
  CHECK(has_issue(e, 9, "'Bad Type' is not a provider code"));
  CHECK(has_issue(e, 10, "'bad..name' is not a valid DNS name: it has an empty label"));
  CHECK(has_issue(e, 10, "starts or ends with '-'"));
  CHECK(has_issue(e, 10, "xn--"));
  CHECK(has_issue(e, 12, "'e' in [providers] must be a table"));
  CHECK(has_issue(e, 13, "provider table name 'F'"));
}

TEST_CASE("two provider tables claiming the same zone is an error; sub-zones are fine",
          "[config]") {
  auto e = expect_config_error(R"([providers.a]
type = "rfc2136"
zones = ["example.com"]
[providers.b]
type = "cloudflare"
zones = ["EXAMPLE.COM."]
)",
                               isolated());
  CHECK(has_issue(e, 4, "zone 'example.com' is claimed by both [providers.a] and [providers.b]"));

  Config c = parse_config(R"([providers.a]
type = "rfc2136"
zones = ["example.com"]
[providers.b]
type = "cloudflare"
zones = ["sub.example.com"]
)",
                          "t.toml", isolated());
  CHECK(c.providers.size() == 2);
}

TEST_CASE("zone names are normalised and validated", "[config]") {
  CHECK(normalize_dns_name("Example.COM.") == "example.com");
  CHECK(normalize_dns_name("_acme-challenge.x.example") == "_acme-challenge.x.example");
  CHECK(normalize_dns_name(std::string(63, 'a') + ".example") == std::string(63, 'a') + ".example");
  CHECK_THROWS_AS(normalize_dns_name(std::string(64, 'a') + ".example"), std::invalid_argument);
  std::string long_name;
  while (long_name.size() < 260) long_name += "abcdefghi.";
  CHECK_THROWS_AS(normalize_dns_name(long_name), std::invalid_argument);
  CHECK_THROWS_AS(normalize_dns_name(""), std::invalid_argument);
  CHECK_THROWS_AS(normalize_dns_name("."), std::invalid_argument);
  CHECK_THROWS_AS(normalize_dns_name("a b.example"), std::invalid_argument);
  CHECK_THROWS_AS(normalize_dns_name("x-.example"), std::invalid_argument);
  CHECK_THROWS_AS(normalize_dns_name("*.example"), std::invalid_argument);
}

TEST_CASE("external account binding needs both halves and never prints the key", "[config]") {
  auto e = expect_config_error("[acme]\neab_kid = \"kid-1\"\n", isolated());
  CHECK(has_issue(e, 2, "needs both 'eab_kid' and 'eab_hmac_key'"));

  const std::string key = "not base64 but s3cr3t-mac-value!";
  auto e2 = expect_config_error("[acme]\neab_kid = \"k\"\neab_hmac_key = \"" + key + "\"\n",
                                isolated());
  CHECK(has_issue(e2, 3, "must be the base64url MAC key"));
  CHECK(std::string(e2.what()).find(key) == std::string::npos);

  Config c = parse_config("[acme]\neab_kid = \"k\"\neab_hmac_key = \"c2VjcmV0LW1hYw\"\n", "t.toml",
                          isolated());
  CHECK(c.acme.eab_hmac_key == "c2VjcmV0LW1hYw");
  CHECK(Redactor::global().apply("key c2VjcmV0LW1hYw").find("c2VjcmV0LW1hYw") == std::string::npos);
}

TEST_CASE("a secret never appears in a ConfigError, even on a type error", "[config]") {
  const std::string secret = "tok-VERY-secret-1234567";
  auto e = expect_config_error(R"([providers.cf]
type = "cloudflare"
zones = ["example.com"]
api_token = { value = ")" + secret + R"(" }
)",
                               isolated());
  CHECK(has_issue(e, 4, "'api_token' in [providers.cf] must be a string, number, boolean or "
                        "array of strings (got a table)"));
  CHECK(std::string(e.what()).find(secret) == std::string::npos);
  for (const auto& i : e.issues()) CHECK(i.message.find(secret) == std::string::npos);
}

TEST_CASE("provider keys that look secret are registered with the Redactor", "[config]") {
  const std::string secret = "inline-provider-secret-98765";
  Config c = parse_config(R"([providers.lab]
type = "rfc2136"
zones = ["lab.example"]
tsig_secret = ")" + secret + R"("
tsig_key_name = "dns01-key"
)",
                          "t.toml", isolated());
  const auto& s = c.providers.at(0).settings;
  CHECK(s.at("tsig_secret").secret);
  CHECK_FALSE(s.at("tsig_key_name").secret);
  CHECK(Redactor::global().apply("x " + secret + " y") == "x [REDACTED] y");
}
