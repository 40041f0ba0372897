// The ACME client talks HTTPS only (issue 17, finding 3): RFC 8555 §6.1. A CA (or whoever answers
// for it) must not be able to steer signed requests to plain HTTP or a metadata service.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "dns01/acme/client.hpp"
#include "dns01/error.hpp"
#include "http/fake_http_server.hpp"

using namespace dns01;
using namespace dns01::acme;
using namespace dns01::test;

namespace {

// A directory on the loopback fake whose `newAccount` (and nothing else) points at `account_url`.
FakeHttpServer::Handler ca_handing_out(std::string account_url) {
  return [account_url](const FakeRequest& r) {
    if (r.path == "/dir") {
      const std::string base = "http://" + r.header("Host").value_or("");
      return FakeResponse::json(
          200, fmt::format(R"({{"newNonce":"{0}/nonce","newAccount":"{1}","newOrder":"{0}/order"}})",
                           base, account_url));
    }
    if (r.path == "/nonce") {
      FakeResponse nonce = FakeResponse::text(200);
      nonce.headers.emplace_back("Replay-Nonce", "bm9uY2U");
      return nonce;
    }
    return FakeResponse::text(404);
  };
}

}  // namespace

TEST_CASE("an http:// ACME server is refused before any request", "[acme]") {
  HttpClient http;
  AcmeClientOptions options;
  options.directory_url = "http://acme.example/directory";
  CHECK_THROWS_AS(AcmeClient(http, PrivateKey::generate(KeyType::ec256), options), UsageError);
  options.directory_url = "https://169.254.169.254/directory";
  CHECK_THROWS_AS(AcmeClient(http, PrivateKey::generate(KeyType::ec256), options), UsageError);
  CHECK_THROWS_AS(resolve_directory_url("http://acme.example/directory"), UsageError);
}

TEST_CASE("URLs the CA hands out are held to HTTPS: no signed POST leaves over plain HTTP",
          "[acme]") {
  for (const char* target : {"http://169.254.169.254/latest/meta-data/",
                             "https://169.254.169.254/latest/meta-data/",
                             "http://acme.example/new-acct"}) {
    INFO(target);
    FakeHttpServer server(ca_handing_out(target));
    HttpOptions http_options;
    http_options.retry.max_attempts = 1;
    HttpClient http(http_options);
    AcmeClientOptions options;
    options.directory_url = server.url("/dir");
    options.allow_http_loopback = true;  // the fake itself; not what it hands out
    AcmeClient client(http, PrivateKey::generate(KeyType::ec256), options);
    try {
      client.register_account({});
      FAIL("the request was sent");
    } catch (const NetworkError& e) {
      CHECK(std::string(e.what()).find("refused") != std::string::npos);
    }
    for (const auto& r : server.requests()) CHECK(r.method != "POST");
  }
}
