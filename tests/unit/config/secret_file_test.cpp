#include <catch2/catch.hpp>

#include "config_test_util.hpp"
#include "dns01/config.hpp"
#include "temp_dir.hpp"

using namespace dns01;
using dns01::test::expect_config_error;
using dns01::test::has_issue;
using dns01::test::isolated;
using dns01::test::TempDir;

namespace {
const SourceLocation kHere{"t.toml", 7, 3};

std::string error_of(const std::filesystem::path& p, bool allow = false) {
  try {
    read_secret_file(p, allow, kHere);
  } catch (const ConfigError& e) {
    REQUIRE(e.issues().size() == 1);
    CHECK(e.issues()[0].file == "t.toml");
    CHECK(e.issues()[0].line == 7);
    return e.issues()[0].message;
  }
  FAIL("expected a ConfigError");
  return {};
}
}  // namespace

TEST_CASE("a secret file is read with one trailing newline removed and registered", "[config]") {
  TempDir dir;
  CHECK(read_secret_file(dir.write("a", "first-secret-value\n"), false, kHere) ==
        "first-secret-value");
  CHECK(read_secret_file(dir.write("b", "crlf-secret-value\r\n"), false, kHere) ==
        "crlf-secret-value");
  CHECK(read_secret_file(dir.write("c", "two-newlines-value\n\n"), false, kHere) ==
        "two-newlines-value\n");
  CHECK(read_secret_file(dir.write("d", "no-newline-value", 0400), false, kHere) ==
        "no-newline-value");
  CHECK(Redactor::global().apply("first-secret-value") == "[REDACTED]");
}

TEST_CASE("a secret file readable by others or the group is refused unless allowed",
          "[config]") {
  TempDir dir;
  const auto world = dir.write("world", "world-readable-secret\n", 0644);
  const std::string msg = error_of(world);
  CHECK(msg.find(world.string()) != std::string::npos);
  CHECK(msg.find("mode 0644") != std::string::npos);
  CHECK(msg.find("chmod 600 " + world.string()) != std::string::npos);
  CHECK(msg.find("--allow-insecure-secret-files") != std::string::npos);
  CHECK(msg.find("world-readable-secret") == std::string::npos);

  const auto group = dir.write("group", "group-readable-secret\n", 0640);
  CHECK(error_of(group).find("mode 0640") != std::string::npos);

  CHECK(read_secret_file(world, /*allow_insecure=*/true, kHere) == "world-readable-secret");
  CHECK(read_secret_file(group, /*allow_insecure=*/true, kHere) == "group-readable-secret");
}

TEST_CASE("missing, empty and non-regular secret files give clear errors", "[config]") {
  TempDir dir;
  CHECK(error_of(dir.path() / "missing").find("does not exist") != std::string::npos);
  CHECK(error_of(dir.write("empty", "\n")).find("is empty") != std::string::npos);
  CHECK(error_of(dir.path()).find("not a regular file") != std::string::npos);
  if (::geteuid() != 0) {  // root reads anything
    const auto unreadable = dir.write("unreadable", "x-secret-value\n", 0000);
    CHECK(error_of(unreadable).find("cannot open") != std::string::npos);
  }
}

TEST_CASE("*_file keys in the config use the permission rule and the [security] flag",
          "[config]") {
  TempDir dir;
  const auto loose = dir.write("tsig", "bG9vc2UtdHNpZy1zZWNyZXQ=\n", 0644);
  const std::string text = "[providers.lab]\ntype = \"rfc2136\"\nzones = [\"lab.example\"]\n"
                           "tsig_secret_file = \"" + loose.string() + "\"\n";
  auto e = expect_config_error(text, isolated());
  CHECK(has_issue(e, 4, "chmod 600"));

  Config allowed_by_file =
      parse_config("[security]\nallow_insecure_secret_files = true\n" + text, "t.toml", isolated());
  const auto& v = allowed_by_file.providers.at(0).settings.at("tsig_secret");
  CHECK(std::get<std::string>(v.value) == "bG9vc2UtdHNpZy1zZWNyZXQ=");
  CHECK(v.secret);
  CHECK(v.where.line == 6);

  LoadOptions flag = isolated();
  flag.allow_insecure_secret_files = true;
  CHECK_NOTHROW(parse_config(text, "t.toml", flag));

  auto both = expect_config_error(text + "tsig_secret = \"abcd\"\n", isolated());
  CHECK(has_issue(both, 0, "are both given"));
}

TEST_CASE("eab_hmac_key_file is read; other [acme] keys refuse _file", "[config]") {
  TempDir dir;
  const auto key = dir.write("eab", "YWNtZS1lYWItbWFjLWtleQ\n");
  Config c = parse_config("[acme]\neab_kid = \"kid\"\neab_hmac_key_file = \"" + key.string() +
                              "\"\n",
                          "t.toml", isolated());
  CHECK(c.acme.eab_hmac_key == "YWNtZS1lYWItbWFjLWtleQ");
  auto e = expect_config_error("[acme]\nemail_file = \"/x\"\n", isolated());
  CHECK(has_issue(e, 2, "cannot be read from a file"));
}
