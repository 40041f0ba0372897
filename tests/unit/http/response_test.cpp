// HttpResponse header access and Link parsing; URL and header redaction.
#include <catch2/catch.hpp>

#include "dns01/http.hpp"

using namespace dns01;

namespace {
HttpResponse with_links(std::vector<std::string> links,
                        std::string base = "https://ca.test/acme/cert/1") {
  HttpResponse r;
  r.status = 200;
  r.effective_url = std::move(base);
  for (auto& l : links) r.headers.emplace_back("Link", std::move(l));
  return r;
}
}  // namespace

TEST_CASE("headers are looked up case-insensitively, in received order", "[http]") {
  HttpResponse r;
  r.headers = {{"Replay-Nonce", "abc"}, {"link", "<a>;rel=up"}, {"LINK", "<b>;rel=up"}};
  CHECK(r.header("replay-nonce") == "abc");
  CHECK(r.header("REPLAY-NONCE") == "abc");
  CHECK_FALSE(r.header("Location"));
  CHECK(r.header_all("Link") == std::vector<std::string>{"<a>;rel=up", "<b>;rel=up"});
  CHECK(r.header_all("Nope").empty());
}

TEST_CASE("links: one per header, relative targets resolved against effective_url", "[http]") {
  const auto r = with_links({R"(<https://ca.test/dir>;rel="index")",
                             R"(</acme/cert/1/alt/1>; rel="alternate")",
                             R"(<2>;rel=alternate)"});
  CHECK(r.links("index") == std::vector<std::string>{"https://ca.test/dir"});
  CHECK(r.links("alternate") == std::vector<std::string>{"https://ca.test/acme/cert/1/alt/1",
                                                         "https://ca.test/acme/cert/2"});
  CHECK(r.links("up").empty());
}

TEST_CASE("links: several in one header, quoted rel with several types, odd spacing", "[http]") {
  const auto r = with_links(
      {R"(<https://a.test/x>; rel="up alternate" ; title="a, b; c",  <https://b.test/y>;)"
       R"(REL=Alternate, <https://c.test/z>; title=x; rel="next")"});
  CHECK(r.links("alternate") == std::vector<std::string>{"https://a.test/x", "https://b.test/y"});
  CHECK(r.links("UP") == std::vector<std::string>{"https://a.test/x"});
  CHECK(r.links("next") == std::vector<std::string>{"https://c.test/z"});
}

TEST_CASE("links: hostile or malformed values are skipped, never thrown", "[http]") {
  const auto r = with_links({"garbage, <https://ok.test/1>;rel=up",
                             "<https://unterminated.test;rel=up", "<javascript:alert(1)>;rel=up",
                             R"(<https://q.test/>;rel="up)", ""});
  const auto up = r.links("up");
  REQUIRE_FALSE(up.empty());
  CHECK(up.front() == "https://ok.test/1");
  for (const auto& l : up) CHECK(l.rfind("http", 0) == 0);
}

TEST_CASE("redact_url masks secret query parameters and userinfo passwords", "[http]") {
  CHECK(redact_url("https://api.test/v1?token=abc123&page=2") ==
        "https://api.test/v1?token=[REDACTED]&page=2");
  CHECK(redact_url("https://api.test/?api_key=k&X-Amz-Signature=s&q=x#frag") ==
        "https://api.test/?api_key=[REDACTED]&X-Amz-Signature=[REDACTED]&q=x#frag");
  CHECK(redact_url("https://user:hunter2@host.test/path") ==
        "https://user:[REDACTED]@host.test/path");
  CHECK(redact_url("https://host.test/a/b") == "https://host.test/a/b");
  CHECK(redact_url("") == "");
}

TEST_CASE("is_secret_header knows the usual credential carriers", "[http]") {
  for (const char* name : {"Authorization", "proxy-authorization", "Cookie", "Set-Cookie",
                           "X-Auth-Key", "X-Auth-Token", "X-Api-Key", "Api-Key", "PddToken",
                           "X-Amz-Security-Token", "Client-Secret"})
    CHECK(is_secret_header(name));
  for (const char* name : {"Content-Type", "Replay-Nonce", "Location", "Link", "User-Agent"})
    CHECK_FALSE(is_secret_header(name));
}

TEST_CASE("location() resolves a relative Location against effective_url", "[http]") {
  HttpResponse r;
  r.effective_url = "https://ca.test/acme/new-order";
  CHECK_FALSE(r.location());
  r.headers = {{"Location", "/acme/order/17"}};
  CHECK(r.location() == "https://ca.test/acme/order/17");
  r.headers = {{"location", "https://other.test/x"}};
  CHECK(r.location() == "https://other.test/x");
  r.headers = {{"Location", "file:///etc/passwd"}};
  CHECK_FALSE(r.location());
}
