// ca_client(): one HttpClient + AcmeClient per CA and trust (ca_client.hpp).
#include "dns01/acme/ca_client.hpp"

namespace dns01::acme {

HttpOptions ca_http_options(const std::string& ca_bundle) {
  HttpOptions o;
  o.ca_bundle = ca_bundle;
  o.ca_bundle_only = !ca_bundle.empty();
  o.component = "acme";
  return o;
}

namespace {

AcmeClient make_acme(HttpClient& http, std::optional<PrivateKey> key, AcmeClientOptions options) {
  if (key) return AcmeClient(http, std::move(*key), std::move(options));
  return AcmeClient(http, std::move(options));
}

}  // namespace

CaClient::CaClient(const std::string& ca_bundle, std::optional<PrivateKey> account_key, AcmeClientOptions options)
    : http_(ca_http_options(ca_bundle)), acme_(make_acme(http_, std::move(account_key), std::move(options))) {}

std::unique_ptr<CaClient> ca_client(const std::string& directory_url, const std::string& ca_bundle,
                                    std::optional<PrivateKey> account_key, AcmeClientOptions options) {
  options.directory_url = directory_url;
  return std::make_unique<CaClient>(ca_bundle, std::move(account_key), std::move(options));
}

}  // namespace dns01::acme
