// ca_client() and the AcmeClient without an account key: the unauthenticated calls work, a
// call that must sign with the account key fails loudly before anything is sent.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "dns01/acme/ca_client.hpp"
#include "dns01/error.hpp"
#include "http/fake_http_server.hpp"

using namespace dns01;
using namespace dns01::acme;
using namespace dns01::test;

namespace {

FakeHttpServer::Handler directory_only() {
  return [](const FakeRequest& r) {
    if (r.path == "/dir") {
      const std::string base = "http://" + r.header("Host").value_or("");
      return FakeResponse::json(
          200, fmt::format(R"({{"newNonce":"{0}/nonce","newAccount":"{0}/acct","newOrder":"{0}/order",)"
                           R"("renewalInfo":"{0}/ari"}})",
                           base));
    }
    return FakeResponse::text(404);
  };
}

}  // namespace

TEST_CASE("ca_client: the bundle pins trust; https only", "[acme]") {
  const HttpOptions with_bundle = ca_http_options("/etc/private-ca.pem");
  CHECK(with_bundle.ca_bundle == "/etc/private-ca.pem");
  CHECK(with_bundle.ca_bundle_only);
  CHECK(with_bundle.component == "acme");
  CHECK_FALSE(ca_http_options("").ca_bundle_only);
  CHECK_THROWS_AS(ca_client("http://acme.example/directory", ""), UsageError);
}

TEST_CASE("an ACME client without an account key reads the directory, refuses to sign", "[acme]") {
  FakeHttpServer server(directory_only());
  AcmeClientOptions options;
  options.allow_http_loopback = true;  // the fake itself
  auto ca = ca_client(server.url("/dir"), "", std::nullopt, options);
  AcmeClient& client = ca->acme();
  CHECK_FALSE(client.has_account_key());
  CHECK(client.directory().renewal_info.ends_with("/ari"));
  CHECK_THROWS_AS(client.account_key(), Error);
  try {
    client.register_account({});
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::internal);
    CHECK_THAT(e.what(), Catch::Contains("without an account key"));
  }
  for (const auto& r : server.requests()) CHECK(r.method != "POST");

  auto keyed = ca_client(server.url("/dir"), "", PrivateKey::generate(KeyType::ec256), options);
  CHECK(keyed->acme().has_account_key());
  CHECK(keyed->acme().thumbprint().size() == 43);
}
