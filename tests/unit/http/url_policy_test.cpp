// UrlPolicy (issue 17, finding 3): the URLs and redirects the ACME client may follow.
#include <catch2/catch.hpp>

#include "dns01/error.hpp"
#include "http/fake_http_server.hpp"
#include "http_test_util.hpp"

using namespace dns01;
using namespace dns01::test;

namespace {
UrlPolicy acme_policy(bool loopback_http = false) {
  UrlPolicy p;
  p.https_only = true;
  p.allow_http_loopback = loopback_http;
  p.refuse_link_local = true;
  return p;
}
}  // namespace

TEST_CASE("url_policy_violation: https only, loopback http only when allowed", "[http]") {
  const UrlPolicy strict = acme_policy();
  CHECK(url_policy_violation("https://acme-v02.api.letsencrypt.org/directory", strict).empty());
  CHECK(url_policy_violation("http://acme.example/directory", strict).find("only https://") !=
        std::string::npos);
  CHECK_FALSE(url_policy_violation("http://127.0.0.1:14000/dir", strict).empty());
  CHECK_FALSE(url_policy_violation("HTTP://ACME.EXAMPLE/", strict).empty());
  CHECK_FALSE(url_policy_violation("ftp://acme.example/", strict).empty());
  CHECK_FALSE(url_policy_violation("not a url", strict).empty());

  const UrlPolicy tests = acme_policy(true);
  CHECK(url_policy_violation("http://127.0.0.1:14000/dir", tests).empty());
  CHECK(url_policy_violation("http://127.0.3.4/dir", tests).empty());
  CHECK(url_policy_violation("http://[::1]:8080/dir", tests).empty());
  CHECK(url_policy_violation("http://localhost:8080/dir", tests).empty());
  CHECK_FALSE(url_policy_violation("http://10.0.0.1/dir", tests).empty());
  CHECK_FALSE(url_policy_violation("http://127.0.0.1.evil.example/dir", tests).empty());

  CHECK(url_policy_violation("http://anything/", UrlPolicy{}).empty());  // default: no rules
}

TEST_CASE("url_policy_violation: link-local and metadata addresses", "[http]") {
  const UrlPolicy p = acme_policy(true);
  for (const char* url :
       {"https://169.254.169.254/latest/meta-data/", "https://169.254.170.2/v2/credentials",
        "https://[fe80::1]/", "https://[fd00:ec2::254]/latest/meta-data/",
        "https://100.100.100.200/latest/meta-data/", "https://metadata.google.internal/",
        "https://[::ffff:169.254.169.254]/", "http://169.254.169.254/latest/meta-data/"}) {
    INFO(url);
    CHECK_FALSE(url_policy_violation(url, p).empty());
  }
  CHECK(url_policy_violation("https://169.253.1.1/", p).empty());
  CHECK(url_policy_violation("https://[2001:db8::1]/", p).empty());
}

TEST_CASE("a redirect that leaves https or points at a metadata address is not followed",
          "[http]") {
  // The fake speaks plain http on loopback, which the test policy allows; where it redirects to
  // is what is refused — before any connection is made there.
  for (const char* target : {"http://169.254.169.254/latest/meta-data/",
                             "https://169.254.169.254/latest/meta-data/",
                             "http://acme.example/directory"}) {
    INFO(target);
    FakeHttpServer server([target](const FakeRequest&) { return FakeResponse::redirect(302, target); });
    RecordedSleeps sleeps;
    HttpClient client(fast_options(sleeps));
    HttpRequest request;
    request.url = server.url("/directory");
    request.follow_redirects = true;
    request.url_policy = acme_policy(true);
    try {
      client.send(request);
      FAIL("the redirect was followed");
    } catch (const NetworkError& e) {
      CHECK(std::string(e.what()).find("refused") != std::string::npos);
    }
    CHECK(server.request_count() == 1);
    CHECK(sleeps.delays->empty());  // never retried
  }
}

TEST_CASE("a request URL breaking the policy is refused before anything is sent", "[http]") {
  FakeHttpServer server([](const FakeRequest&) { return FakeResponse::text(200, "hi"); });
  RecordedSleeps sleeps;
  HttpOptions options = fast_options(sleeps);
  options.url_policy = acme_policy(false);  // no loopback exception: the fake is plain http
  HttpClient client(options);
  CHECK_THROWS_AS(client.get(server.url("/x")), NetworkError);
  CHECK(server.request_count() == 0);
}
