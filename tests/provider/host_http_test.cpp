// Host::http(): a provider's HTTP calls go through the core's HttpClient (User-Agent, redaction,
// error conversion), proven with provider-test.so against a loopback fake API.
#include <catch2/catch.hpp>

#include "dns01/plugins/loader.hpp"
#include "http/fake_http_server.hpp"
#include "suite_support.hpp"

using namespace dns01;
using namespace dns01::plugins;
using Catch::Matchers::Contains;

namespace {

struct ApiFixture {
  test::TempDir dir{"dns01-host-http"};
  Logger quiet{LogLevel::error};  // the retries of the unreachable case would log warnings

  ProviderSet load(const std::string& api_url) {
    auto c = test::instance("api", "test", {"example.com"});
    c.settings["state_path"] = test::value((dir / "records").string());
    c.settings["api_url"] = test::value(api_url);
    c.settings["token"] = test::value(std::string("tok-http-9d2e-secret"), true);
    return ProviderSet::load({c}, {{test::kTestModuleDir}, {&quiet, {}}});
  }
};

provider::TxtRecord txt(const char* value) {
  return {"_acme-challenge.example.com", value, "example.com", 0};
}

}  // namespace

TEST_CASE_METHOD(ApiFixture, "a provider's request goes out through the core's client",
                 "[provider][host]") {
  test::FakeHttpServer server(
      [](const test::FakeRequest&) { return test::FakeResponse::text(201, "created"); });
  auto set = load(server.base_url());
  set.at(0).add(txt("v1"));
  REQUIRE(server.requests().size() == 1);
  const auto request = server.requests().at(0);  // a copy
  CHECK(request.method == "POST");
  CHECK(request.path == "/records");
  CHECK(request.body == "_acme-challenge.example.com v1");
  CHECK(request.header("Authorization") == std::optional<std::string>("Bearer tok-http-9d2e-secret"));
  CHECK_THAT(request.header("User-Agent").value_or(""), Contains("dns01/"));
}

TEST_CASE_METHOD(ApiFixture, "HTTP statuses and network failures become categorized errors",
                 "[provider][host]") {
  test::FakeHttpServer server(
      [](const test::FakeRequest&) { return test::FakeResponse::text(401, "bad token"); });
  auto set = load(server.base_url());
  try {
    set.at(0).add(txt("v1"));
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::provider);
    CHECK_THAT(std::string(e.what()), Contains("test[api]: add TXT _acme-challenge.example.com: "
                                               "the API refused the token (HTTP 401)"));
  }
  std::string closed_url;
  {
    test::FakeHttpServer gone([](const test::FakeRequest&) { return test::FakeResponse::text(200); });
    closed_url = gone.base_url();
  }
  auto unreachable = load(closed_url);
  try {
    unreachable.at(0).add(txt("v2"));
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::network);
    CHECK_THAT(std::string(e.what()), !Contains("tok-http-9d2e-secret"));
  }
}
