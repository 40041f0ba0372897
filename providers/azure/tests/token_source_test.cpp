// TokenSource against the kit's FakeHost: each sign-in's request, caching, the federated token
// file re-read on refresh, IMDS and App Service selection by environment, Entra ID errors.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "fake_host.hpp"
#include "settings_support.hpp"
#include "token_source.hpp"

using azure_test::flag;
using azure_test::table;
using azure_test::text;
using dns01::kit::test::FakeHost;
using dns01::provider::Failure;
using dns01::provider::HttpCall;
using dns01::provider::StatusCode;

namespace {

std::string header(const HttpCall& call, const std::string& name) {
  for (const auto& [k, v] : call.headers)
    if (k == name) return v;
  return "(none)";
}

std::string temp_file(const std::string& content) {
  char pattern[] = "/tmp/azure-token-XXXXXX";
  REQUIRE(mkdtemp(pattern) != nullptr);
  const std::string path = std::string(pattern) + "/token";
  std::ofstream(path) << content;
  return path;
}

Failure failure_of(azure::TokenSource& tokens) {
  try {
    tokens.token();
  } catch (const Failure& f) {
    return f;
  }
  FAIL("token() did not fail");
  return Failure(StatusCode::internal, "", "");
}

}  // namespace

TEST_CASE("client secret: the v2.0 form, then the token is cached and registered") {
  const auto s = azure::parse_settings(azure_test::secret_table(
      {{"authority_host", text("https://login.test/")}}));
  FakeHost host;
  host.replies.push_back(FakeHost::reply(200, R"({"token_type":"Bearer","expires_in":3599,
      "ext_expires_in":3599,"access_token":"at-1"})"));
  azure::TokenSource tokens(s, host);
  CHECK(tokens.token() == "at-1");
  CHECK(tokens.token() == "at-1");
  REQUIRE(host.calls.size() == 1);
  CHECK(host.calls[0].method == "POST");
  CHECK(host.calls[0].url == "https://login.test/tenant-1/oauth2/v2.0/token");
  CHECK(header(host.calls[0], "Content-Type") == "application/x-www-form-urlencoded");
  CHECK(host.calls[0].body ==
        "grant_type=client_credentials&client_id=app-1&scope=https%3A%2F%2Fmanagement.azure.com"
        "%2F.default&client_secret=s3cret-value");
  CHECK(host.secrets == std::vector<std::string>{"at-1"});
  // dropped after a 401: the next call signs in again
  tokens.invalidate();
  host.replies.push_back(FakeHost::reply(200, R"({"access_token":"at-2","expires_in":3599})"));
  CHECK(tokens.token() == "at-2");
}

TEST_CASE("a wrong secret: auth failure with the AADSTS code and a hint, never the secret") {
  const auto s = azure::parse_settings(azure_test::secret_table());
  FakeHost host;
  host.replies.push_back(FakeHost::reply(401, R"({"error":"invalid_client","error_description":
      "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1\r\nCorrelation ID: 2",
      "error_codes":[7000215]})"));
  azure::TokenSource tokens(s, host);
  auto failure = failure_of(tokens);
  CHECK(failure.status().code == StatusCode::auth);
  CHECK(failure.status().step == "sign in with the client secret");
  CHECK(failure.status().message == "HTTP 401: AADSTS7000215: Invalid client secret provided.");
  CHECK(failure.status().hint.find("not its Secret ID") != std::string::npos);
  CHECK(failure.status().message.find("s3cret-value") == std::string::npos);
}

TEST_CASE("federated token: the file is re-read at every refresh") {
  const auto path = temp_file("jwt-one\n");
  const auto s = azure::parse_settings(table({{"subscription_id", text("s")},
                                              {"tenant_id", text("t")},
                                              {"client_id", text("c")},
                                              {"federated_token_path", text(path)}}));
  FakeHost host;
  // expires_in 0: the next token() must refresh
  host.replies.push_back(FakeHost::reply(200, R"({"access_token":"at-1","expires_in":0})"));
  host.replies.push_back(FakeHost::reply(200, R"({"access_token":"at-2","expires_in":3599})"));
  azure::TokenSource tokens(s, host);
  CHECK(tokens.token() == "at-1");
  std::ofstream(path) << "jwt-two";  // rotated by the kubelet
  CHECK(tokens.token() == "at-2");
  REQUIRE(host.calls.size() == 2);
  const char* type = "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type"
                     "%3Ajwt-bearer";
  CHECK(host.calls[0].body.find(type) != std::string::npos);
  CHECK(host.calls[0].body.find("client_assertion=jwt-one") != std::string::npos);
  CHECK(host.calls[1].body.find("client_assertion=jwt-two") != std::string::npos);
  CHECK(host.calls[0].body.find("client_secret") == std::string::npos);
  CHECK(std::find(host.secrets.begin(), host.secrets.end(), "jwt-two") != host.secrets.end());
}

TEST_CASE("federated token file missing: a config failure naming the file") {
  const auto s = azure::parse_settings(table({{"subscription_id", text("s")},
                                              {"tenant_id", text("t")},
                                              {"client_id", text("c")},
                                              {"federated_token_path", text("/nonexistent/t")}}));
  FakeHost host;
  azure::TokenSource tokens(s, host);
  auto failure = failure_of(tokens);
  CHECK(failure.status().code == StatusCode::config);
  CHECK(failure.status().message.find("/nonexistent/t") != std::string::npos);
  CHECK(host.calls.empty());
}

TEST_CASE("managed identity through IMDS: Metadata header, resource, user-assigned client_id") {
  const auto s = azure::parse_settings(table({{"subscription_id", text("s")},
                                              {"client_id", text("uai-1")},
                                              {"managed_identity", flag(true)}}));
  FakeHost host;
  host.environment["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = "https://imds.test/";
  host.replies.push_back(FakeHost::reply(200, R"({"access_token":"mi-1","expires_in":"86399",
      "expires_on":"1900000000","resource":"https://management.azure.com/","token_type":"Bearer"})"));
  azure::TokenSource tokens(s, host);
  CHECK(tokens.token() == "mi-1");
  REQUIRE(host.calls.size() == 1);
  CHECK(host.calls[0].method == "GET");
  CHECK(host.calls[0].url == "https://imds.test/metadata/identity/oauth2/token?api-version="
                             "2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F&"
                             "client_id=uai-1");
  CHECK(header(host.calls[0], "Metadata") == "true");
}

TEST_CASE("managed identity off Azure: IMDS at 169.254.169.254, a hint when unreachable") {
  const auto s = azure::parse_settings(table({{"subscription_id", text("s")},
                                              {"managed_identity", flag(true)}}));
  FakeHost host;  // no scripted reply: the host reports a network failure
  azure::TokenSource tokens(s, host);
  auto failure = failure_of(tokens);
  CHECK(failure.status().code == StatusCode::network);
  CHECK(failure.status().hint.find("Azure VM") != std::string::npos);
  CHECK(host.calls[0].url.rfind("http://169.254.169.254/metadata/identity/oauth2/token?", 0) == 0);
  CHECK(host.calls[0].url.find("client_id") == std::string::npos);  // system-assigned
}

TEST_CASE("managed identity on App Service: IDENTITY_ENDPOINT + X-IDENTITY-HEADER") {
  const auto s = azure::parse_settings(table({{"subscription_id", text("s")},
                                              {"managed_identity", flag(true)}}));
  FakeHost host;
  host.environment["IDENTITY_ENDPOINT"] = "https://app.test/msi/token";
  host.environment["IDENTITY_HEADER"] = "header-secret";
  host.replies.push_back(FakeHost::reply(200, R"({"access_token":"as-1","expires_on":"4102444800",
      "resource":"https://management.azure.com/","token_type":"Bearer"})"));
  azure::TokenSource tokens(s, host);
  CHECK(tokens.token() == "as-1");
  CHECK(host.calls[0].url == "https://app.test/msi/token?api-version=2019-08-01&resource="
                             "https%3A%2F%2Fmanagement.azure.com%2F");
  CHECK(header(host.calls[0], "X-IDENTITY-HEADER") == "header-secret");
  CHECK(std::find(host.secrets.begin(), host.secrets.end(), "header-secret") != host.secrets.end());
}

TEST_CASE("identity not found: the hint says to assign it") {
  const auto s = azure::parse_settings(table({{"subscription_id", text("s")},
                                              {"client_id", text("nope")},
                                              {"managed_identity", flag(true)}}));
  FakeHost host;
  host.replies.push_back(FakeHost::reply(400, R"({"error":"invalid_request",
      "error_description":"Identity not found"})"));
  azure::TokenSource tokens(s, host);
  auto failure = failure_of(tokens);
  CHECK(failure.status().code == StatusCode::auth);
  CHECK(failure.status().hint.find("assign it") != std::string::npos);
}

TEST_CASE("token replies: numbers or strings, expires_in or expires_on") {
  CHECK(azure::parse_token_reply(R"({"access_token":"a","expires_in":3599})", 0, "t").lifetime ==
        std::chrono::seconds(3599));
  CHECK(azure::parse_token_reply(R"({"access_token":"a","expires_in":"600"})", 0, "t").lifetime ==
        std::chrono::seconds(600));
  CHECK(azure::parse_token_reply(R"({"access_token":"a","expires_on":"1000"})", 400, "t")
            .lifetime == std::chrono::seconds(600));
  CHECK_THROWS_AS(azure::parse_token_reply(R"({"access_token":"a"})", 0, "t"), Failure);
  CHECK_THROWS_AS(azure::parse_token_reply(R"({"expires_in":1})", 0, "t"), Failure);
}
