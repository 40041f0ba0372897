#include <catch2/catch.hpp>

#include <functional>
#include <string>

#include "dns01/json.hpp"
#include "dns01/log.hpp"

using namespace dns01;
namespace dj = dns01::json;

namespace {

const dj::Context kCtx{ErrorCategory::acme, "acme", "parse order"};

std::string error_text(const std::function<void()>& f, ErrorCategory expected = ErrorCategory::acme) {
  try {
    f();
  } catch (const Error& e) {
    CHECK(e.category() == expected);
    return e.what();
  }
  FAIL("expected an Error");
  return {};
}

bool has(const std::string& s, std::string_view needle) { return s.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("parse_object accepts an object and refuses everything else", "[json]") {
  auto j = dj::parse_object(R"({"status":"valid","n":3})", kCtx);
  CHECK(j.at("status") == "valid");

  CHECK(has(error_text([] { dj::parse_object("<html>502 Bad Gateway</html>", kCtx); }),
            "acme: parse order: reply is not valid JSON (starts with \"<html>502 Bad Gateway"));
  CHECK(has(error_text([] { dj::parse_object("[1,2]", kCtx); }), "reply is a JSON array, not an object"));
  CHECK(has(error_text([] { dj::parse_object("\"str\"", kCtx); }), "reply is a JSON string, not an object"));
  CHECK(has(error_text([] { dj::parse_object("", kCtx); }), "not valid JSON"));
  const std::string big(2048, ' ');
  CHECK(has(error_text([&] { dj::parse_object(big, kCtx, 1024); }),
            "reply of 2048 bytes is larger than the 1024 bytes accepted"));
}

TEST_CASE("the excerpt of a bad body is short, printable and redacted", "[json]") {
  const std::string body = "token=abc123secret&x=\x01\x02" + std::string(500, 'z');
  const std::string msg = error_text([&] { dj::parse_object(body, kCtx); });
  CHECK_FALSE(has(msg, "abc123secret"));
  CHECK_FALSE(has(msg, "\x01"));
  CHECK(msg.size() < 300);
  CHECK(has(msg, "..."));
}

TEST_CASE("required members name the member and the types", "[json]") {
  auto j = dj::Json::parse(R"({"s":"x","i":5,"b":true,"o":{},"a":["p","q"],"bad":[1],"nul":null})");
  CHECK(dj::get_string(j, "s", kCtx) == "x");
  CHECK(dj::get_int(j, "i", kCtx) == 5);
  CHECK(dj::get_bool(j, "b", kCtx));
  CHECK(dj::get_object(j, "o", kCtx).is_object());
  CHECK(dj::get_array(j, "a", kCtx).size() == 2);
  CHECK(dj::get_string_array(j, "a", kCtx) == std::vector<std::string>{"p", "q"});

  CHECK(has(error_text([&] { dj::get_string(j, "missing", kCtx); }), "member 'missing' is missing"));
  CHECK(has(error_text([&] { dj::get_string(j, "nul", kCtx); }), "member 'nul' is missing"));
  CHECK(has(error_text([&] { dj::get_string(j, "i", kCtx); }),
            "member 'i' is a number, expected a string"));
  CHECK(has(error_text([&] { dj::get_int(j, "s", kCtx); }), "expected an integer"));
  CHECK(has(error_text([&] { dj::get_bool(j, "s", kCtx); }), "expected a boolean"));
  CHECK(has(error_text([&] { dj::get_object(j, "a", kCtx); }), "expected an object"));
  CHECK(has(error_text([&] { dj::get_array(j, "o", kCtx); }), "expected an array"));
  CHECK(has(error_text([&] { dj::get_string_array(j, "bad", kCtx); }), "expected strings"));
  CHECK(has(error_text([&] { dj::member(dj::Json::array(), "x", kCtx); }), "expected an object"));
}

TEST_CASE("optional members: absent or null is nullopt, a wrong type is an error", "[json]") {
  auto j = dj::Json::parse(R"({"s":"x","i":7,"b":false,"nul":null})");
  CHECK(dj::opt_string(j, "s", kCtx) == "x");
  CHECK_FALSE(dj::opt_string(j, "none", kCtx));
  CHECK_FALSE(dj::opt_string(j, "nul", kCtx));
  CHECK(dj::opt_int(j, "i", kCtx) == 7);
  CHECK_FALSE(dj::opt_int(j, "none", kCtx));
  CHECK(dj::opt_bool(j, "b", kCtx) == false);
  CHECK_FALSE(dj::opt_bool(j, "none", kCtx));
  CHECK(has(error_text([&] { dj::opt_string(j, "i", kCtx); }), "expected a string"));
  CHECK(has(error_text([&] { dj::opt_int(j, "s", kCtx); }), "expected an integer"));
  CHECK(has(error_text([&] { dj::opt_bool(j, "s", kCtx); }), "expected a boolean"));

  const dj::Context provider_ctx{ErrorCategory::provider, "cloudflare", "parse zones"};
  const std::string msg =
      error_text([&] { dj::get_string(j, "zzz", provider_ctx); }, ErrorCategory::provider);
  CHECK(has(msg, "cloudflare: parse zones: member 'zzz' is missing"));
}
