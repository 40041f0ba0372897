// [acme]: the account key secret, and `server` / `key_type` checked through the ACME tables.
#include <catch2/catch.hpp>

#include "config_test_util.hpp"
#include "dns01/acme/ca.hpp"
#include "dns01/acme/keys.hpp"
#include "dns01/config.hpp"
#include "temp_dir.hpp"

using namespace dns01;
using dns01::test::expect_config_error;
using dns01::test::has_issue;
using dns01::test::isolated;
using dns01::test::TempDir;

namespace {

// Only the shape is checked by the config, so the body need not be a real key.
const std::string kBody1 = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgAccountKeyLine1";
const std::string kBody2 = "hRANCAAQ0123456789abcdefghijklmnopqrstuvwxyzAccountKeyLine2xyz";
const std::string kPem =
    "-----BEGIN PRIVATE KEY-----\n" + kBody1 + "\n" + kBody2 + "\n-----END PRIVATE KEY-----\n";

std::string only_message(const ConfigError& e) {
  REQUIRE(e.issues().size() == 1);
  return e.issues()[0].message;
}

}  // namespace

TEST_CASE("account_key_file is read as a secret and every key line is redacted", "[config]") {
  TempDir dir;
  const auto key = dir.write("account.key", kPem);
  Config c =
      parse_config("[acme]\naccount_key_file = \"" + key.string() + "\"\n", "t.toml", isolated());
  // One trailing newline is dropped, as for every secret file.
  CHECK(c.acme.account_key == kPem.substr(0, kPem.size() - 1));
  // (Other cases register kPem itself too: check what is hidden, not the exact masking.)
  const std::string shown = Redactor::global().apply("key: " + kPem);
  CHECK_THAT(shown, Catch::StartsWith("key: [REDACTED]"));
  CHECK_THAT(shown, !Catch::Contains(kBody1) && !Catch::Contains(kBody2));
  CHECK(Redactor::global().apply("line: " + kBody2 + " end") == "line: [REDACTED] end");
}

TEST_CASE("account_key_file refuses a file readable by others, naming file:line", "[config]") {
  TempDir dir;
  const auto key = dir.write("account.key", kPem, 0644);
  auto e = expect_config_error("[acme]\naccount_key_file = \"" + key.string() + "\"\n", isolated());
  CHECK(has_issue(e, 2, "has mode 0644"));
  CHECK(e.issues()[0].file == "t.toml");
}

TEST_CASE("DNS01_ACME_ACCOUNT_KEY and DNS01_ACME_ACCOUNT_KEY_FILE set the account key",
          "[config]") {
  TempDir dir;
  Config inline_env = parse_config("", "t.toml", isolated({{"DNS01_ACME_ACCOUNT_KEY", kPem}}));
  CHECK(inline_env.acme.account_key == kPem);

  const auto key = dir.write("account.key", kPem);
  Config file_env =
      parse_config("[acme]\naccount_key = \"ignored, the environment wins\"\n", "t.toml",
                   isolated({{"DNS01_ACME_ACCOUNT_KEY_FILE", key.string()}}));
  CHECK(file_env.acme.account_key == kPem.substr(0, kPem.size() - 1));

  auto both = expect_config_error("", isolated({{"DNS01_ACME_ACCOUNT_KEY", kPem},
                                                {"DNS01_ACME_ACCOUNT_KEY_FILE", "/x"}}));
  CHECK(has_issue(both, 0, "both the value and its _FILE variant are set"));
}

TEST_CASE("an account key that is no PEM private key is an error with file:line, value hidden",
          "[config]") {
  TempDir dir;
  SECTION("a path given as the value") {
    auto e = expect_config_error("[acme]\naccount_key = \"/etc/dns01/account.key\"\n", isolated());
    const std::string m = only_message(e);
    CHECK(e.issues()[0].line == 2);
    CHECK(m.find("is not PEM text") != std::string::npos);
    CHECK(m.find("account_key_file") != std::string::npos);  // the hint
    CHECK(m.find("/etc/dns01/account.key\" (mode 600)") != std::string::npos);
  }
  SECTION("a certificate in the secret file") {
    const auto cert = dir.write("cert.pem", "-----BEGIN CERTIFICATE-----\n" + kBody1 +
                                                "\n-----END CERTIFICATE-----\n");
    auto e =
        expect_config_error("\n[acme]\naccount_key_file = \"" + cert.string() + "\"\n", isolated());
    CHECK(e.issues()[0].line == 3);
    CHECK(only_message(e).find("a PEM 'CERTIFICATE' block, not a private key") !=
          std::string::npos);
    CHECK(only_message(e).find(kBody1) == std::string::npos);
  }
  SECTION("a passphrase-protected key") {
    auto e = expect_config_error(
        "[acme]\naccount_key = \"\"\"\n-----BEGIN ENCRYPTED PRIVATE KEY-----\n" + kBody1 +
            "\n-----END ENCRYPTED PRIVATE KEY-----\"\"\"\n",
        isolated());
    CHECK(only_message(e).find("passphrase-protected") != std::string::npos);
    CHECK(only_message(e).find(kBody1) == std::string::npos);
  }
  SECTION("an EC or RSA key in the traditional format is fine") {
    const std::string ec =
        "-----BEGIN EC PRIVATE KEY-----\n" + kBody1 + "\n-----END EC PRIVATE KEY-----";
    CHECK(parse_config("", "t.toml", isolated({{"DNS01_ACME_ACCOUNT_KEY", ec}})).acme.account_key ==
          ec);
  }
}

TEST_CASE("a misspelt CA shortcut is an error at its line, with the known shortcuts", "[config]") {
  auto e = expect_config_error("[acme]\nserver = \"letsencrpyt\"\n", isolated());
  const std::string m = only_message(e);
  CHECK(e.issues()[0].str().starts_with("t.toml:2:"));
  CHECK(m.find("'letsencrpyt' is neither a directory URL") != std::string::npos);
  CHECK(m.find("(did you mean 'letsencrypt'?)") != std::string::npos);
  for (const auto& ca : acme::ca_shortcuts())  // the hint lists the one table
    CHECK(m.find(ca.name) != std::string::npos);

  auto env = expect_config_error("", isolated({{"DNS01_ACME_SERVER", "zerosll"}}));
  CHECK(has_issue(env, 0, "DNS01_ACME_SERVER: 'zerosll' is neither"));
  CHECK(has_issue(env, 0, "did you mean 'zerossl'?"));
}

TEST_CASE("every CA shortcut and https URL passes; http:// and other schemes do not", "[config]") {
  for (const auto& ca : acme::ca_shortcuts()) {
    INFO(ca.name);
    Config c =
        parse_config(std::string("[acme]\nserver = \"") + ca.name + "\"\n", "t.toml", isolated());
    CHECK(c.acme.server == ca.name);  // kept as written; resolved where it is used
  }
  CHECK(parse_config("[acme]\nserver = \"https://ca.test:14000/dir\"\n", "t.toml", isolated())
            .acme.server == "https://ca.test:14000/dir");
  CHECK(has_issue(expect_config_error("[acme]\nserver = \"http://ca.test/dir\"\n", isolated()), 2,
                  "plain http:// URL"));
  CHECK(has_issue(expect_config_error("[acme]\nserver = \"ftp://ca\"\n", isolated()), 2,
                  "is neither a directory URL"));
}

TEST_CASE("key_type is read like --key-type: case-insensitive, stored canonical", "[config]") {
  // Config and parse_key_type agree on every spelling (design review §3.8).
  for (const char* spelling : {"EC256", "ec256", "Ec384", "RSA2048", "rsa3072", "rsa4096"}) {
    INFO(spelling);
    const acme::KeyType parsed = acme::parse_key_type(spelling);
    Config c = parse_config(std::string("[acme]\nkey_type = \"") + spelling + "\"\n", "t.toml",
                            isolated());
    CHECK(c.acme.key_type == acme::key_type_name(parsed));
  }
  CHECK(parse_config("", "t.toml", isolated({{"DNS01_ACME_KEY_TYPE", "RSA4096"}})).acme.key_type ==
        "rsa4096");

  auto e = expect_config_error("[acme]\nkey_type = \"ec521\"\n", isolated());
  CHECK_THROWS_AS(acme::parse_key_type("ec521"), UsageError);
  CHECK(has_issue(e, 2, "'ec521' is not a key type (use one of ec256, ec384, rsa2048"));
}
