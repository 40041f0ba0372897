#include <catch2/catch.hpp>

#include <string>

#include "dns01/log.hpp"

using dns01::Redactor;

namespace {
bool contains(const std::string& s, std::string_view needle) {
  return s.find(needle) != std::string::npos;
}
}  // namespace

TEST_CASE("registered secrets are replaced wherever they appear", "[redact]") {
  Redactor r;
  r.add_secret("s3cr3t-value-1");
  CHECK(r.apply("a s3cr3t-value-1 b s3cr3t-value-1") == "a [REDACTED] b [REDACTED]");
  CHECK(r.apply("nothing here") == "nothing here");
  r.add_secret("abc");  // too short: would mask ordinary text
  CHECK(r.apply("abc") == "abc");
  r.clear();
  CHECK(r.apply("s3cr3t-value-1") == "s3cr3t-value-1");
}

TEST_CASE("overlapping secrets never leave a visible tail", "[redact]") {
  Redactor r;
  r.add_secret("ABCDEFGH");
  r.add_secret("EFGHIJKL");
  r.add_secret("CDEF");
  CHECK(r.apply("xxABCDEFGHIJKLyy") == "xx[REDACTED]yy");
  CHECK(r.apply("CDEF") == "[REDACTED]");
}

TEST_CASE("a base64url secret is also masked in standard base64 and percent-encoded forms",
          "[redact]") {
  Redactor r;
  r.add_secret("ab-_cdEFgh-_ij01KL");
  CHECK(r.apply("std: ab+/cdEFgh+/ij01KL==") == "std: [REDACTED]==");
  Redactor r2;
  r2.add_secret("a+b/c=d+e/f=g+h/i=");
  CHECK_FALSE(contains(r2.apply("?x=a%2Bb%2Fc%3Dd%2Be%2Ff%3Dg%2Bh%2Fi%3D"), "a%2Bb"));
}

TEST_CASE("secret headers are masked whatever their value", "[redact]") {
  Redactor r;
  CHECK(r.apply("> Authorization: Bearer abc.def\r\n> Host: x") ==
        "> Authorization: [REDACTED]\r\n> Host: x");
  CHECK(r.apply("proxy-authorization:Basic dXNlcjpwYXNz") == "proxy-authorization:[REDACTED]");
  CHECK(r.apply("X-Auth-Key: 0123\nX-Auth-Email: a@b") ==
        "X-Auth-Key: [REDACTED]\nX-Auth-Email: [REDACTED]");
  CHECK(r.apply("X-Vault-Token: hvs.123") == "X-Vault-Token: [REDACTED]");
  CHECK(r.apply("Api-Key: k1\nX-Api-Key: k2") == "Api-Key: [REDACTED]\nX-Api-Key: [REDACTED]");
  CHECK(r.apply("Content-Type: application/json") == "Content-Type: application/json");
  CHECK(r.apply("https://example.com:443/path") == "https://example.com:443/path");
}

TEST_CASE("secret query and form parameters are masked up to & or whitespace", "[redact]") {
  Redactor r;
  CHECK(r.apply("GET https://api.example/v1?zone=x&token=T0K3N&page=2 failed") ==
        "GET https://api.example/v1?zone=x&token=[REDACTED]&page=2 failed");
  for (const char* name : {"token", "access_token", "secret", "password", "passwd", "key",
                           "api_key", "apikey", "sig", "signature", "hmac", "Password"}) {
    INFO(name);
    const std::string out = r.apply(std::string("a=1&") + name + "=VALUE123 next");
    CHECK(out == std::string("a=1&") + name + "=[REDACTED] next");
  }
  CHECK(r.apply("key_type=ec256&monkey=1") == "key_type=ec256&monkey=1");
}

TEST_CASE("secret JSON members are masked, others kept", "[redact]") {
  Redactor r;
  CHECK(r.apply(R"({"client_secret": "cs1", "name": "n", "api_token":"t\"1", "password" : "p"})") ==
        R"({"client_secret": "[REDACTED]", "name": "n", "api_token":"[REDACTED]", "password" : "[REDACTED]"})");
  CHECK(r.apply(R"({"hmac_key":"h","private_key":"pk","status":"valid"})") ==
        R"({"hmac_key":"[REDACTED]","private_key":"[REDACTED]","status":"valid"})");
  CHECK(r.apply(R"({"token": 5})") == R"({"token": 5})");  // only string values
  CHECK(r.apply(R"(said "hi" and {"secretKey": "v"})") == R"(said "hi" and {"secretKey": "[REDACTED]"})");
}

TEST_CASE("BIND key syntax secrets are masked", "[redact]") {
  Redactor r;
  CHECK(r.apply("key \"k\" { algorithm hmac-sha256; secret \"c2VjcmV0==\"; };") ==
        "key \"k\" { algorithm hmac-sha256; secret \"[REDACTED]\"; };");
  CHECK(r.apply("the secret is safe") == "the secret is safe");
}

TEST_CASE("redaction stays linear on large inputs", "[redact]") {
  Redactor r;
  r.add_secret("needle-secret-0001");
  std::string big;
  while (big.size() < 100 * 1024) big += "token=abc& \"k\": \"v\", Authorization: x\n:::===\"\"";
  big += "needle-secret-0001";
  const std::string out = r.apply(big);  // a quadratic scan would take seconds here
  CHECK_FALSE(contains(out, "needle-secret-0001"));
  CHECK_FALSE(contains(out, "token=abc"));
}

TEST_CASE("the ACME word 'authorization' in running text is not a header", "[redact]") {
  // Issue 17, finding 11: real CA errors read "acme: fetch authorization: [REDACTED]".
  Redactor r;
  const std::string error =
      "acme: fetch authorization: the CA answered 404 malformed: no such authorization";
  CHECK(r.apply(error) == error);
  CHECK(r.apply("acme: wait for authorization: pending for 180 s") ==
        "acme: wait for authorization: pending for 180 s");
  // Where a header stands, it is still one.
  CHECK(r.apply("Authorization: Bearer abc.def") == "Authorization: [REDACTED]");
  CHECK(r.apply("> Authorization: Basic dXNlcjpwYXNz") == "> Authorization: [REDACTED]");
  CHECK(r.apply("x\n  authorization: Bearer t0k") == "x\n  authorization: [REDACTED]");
  CHECK(r.apply("headers {Authorization: Bearer t0k}") == "headers {Authorization: [REDACTED]");
  CHECK_FALSE(contains(r.apply("sent \"Cookie: id=42\""), "id=42"));
  CHECK(contains(r.apply("request failed; X-Auth-Token: abc"), "[REDACTED]"));
}
