#pragma once
// ca_client(): "an ACME client for this CA and this trust" in one call — the one place that
// decides how dns01 talks to a CA (issue, renew's ARI checks, revoke, account commands).
//
// Trust: with a CA bundle (a private CA), the bundle replaces the system store (like certbot's
// REQUESTS_CA_BUNDLE): the ACME server is pinned to it, and skipping ~150 public roots saves
// ~50 ms and several MB. Without one the system store is used. Errors are reported under the
// "acme" component.
//
// Ownership: the returned CaClient owns its HttpClient and the AcmeClient that borrows it; it
// is neither copyable nor movable (hold it by unique_ptr). Threading: as AcmeClient, one thread.
#include <memory>
#include <optional>
#include <string>

#include "dns01/acme/client.hpp"
#include "dns01/http.hpp"

namespace dns01::acme {

// The HTTP settings for talking to a CA with an optional private bundle ("" = system store).
HttpOptions ca_http_options(const std::string& ca_bundle);

class CaClient {
 public:
  CaClient(const std::string& ca_bundle, std::optional<PrivateKey> account_key, AcmeClientOptions options);
  CaClient(const CaClient&) = delete;
  CaClient& operator=(const CaClient&) = delete;

  AcmeClient& acme() noexcept { return acme_; }
  HttpClient& http() noexcept { return http_; }

 private:
  HttpClient http_;  // declared first: acme_ borrows it
  AcmeClient acme_;
};

// An ACME client for `directory_url` (a URL: resolve shortcuts with resolve_directory_url())
// trusting `ca_bundle` ("" = system store). Without `account_key` it serves the unauthenticated
// calls (directory, ARI) and revocation by certificate key (client.hpp). `options.directory_url`
// is set from `directory_url`; the other options are used as given. Throws UsageError for a
// refused directory URL (client.hpp's transport rules).
std::unique_ptr<CaClient> ca_client(const std::string& directory_url, const std::string& ca_bundle,
                                    std::optional<PrivateKey> account_key = std::nullopt,
                                    AcmeClientOptions options = {});

}  // namespace dns01::acme
