#pragma once
// Access tokens for Azure Resource Manager from Microsoft Entra ID, by the sign-in the settings
// chose: client secret, federated token (workload identity: the token file is re-read on every
// refresh, as AKS rotates it), or managed identity (App Service / Container Apps through
// IDENTITY_ENDPOINT + IDENTITY_HEADER, else IMDS; AZURE_POD_IDENTITY_AUTHORITY_HOST overrides
// the IMDS address as in azure-identity). Tokens are cached until two minutes before they expire
// and every token (and identity header, federated assertion) is registered with
// Host::add_secret() before it is used.
//
// Errors: token() throws Failure — auth when Entra ID / the identity endpoint refuses (the
// AADSTS code and a hint, never the secret), config when the token file cannot be read,
// network when nothing answered.
// Threading: token() may be called from several threads at once (one refresh at a time).
#include <dns01/provider.hpp>

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>

#include "settings.hpp"

namespace azure {

// One token reply, parsed: the token and how long it lives from now.
struct TokenReply {
  std::string access_token;
  std::chrono::seconds lifetime{0};
};

// Parses the JSON of any of the token endpoints (v2.0 token: expires_in as a number; IMDS:
// expires_in/expires_on as strings; App Service 2019-08-01: expires_on as epoch string).
// `now_epoch` is the current Unix time. Throws Failure(server) when no token is in it.
TokenReply parse_token_reply(std::string_view body, std::int64_t now_epoch,
                             std::string_view step);

class TokenSource {
 public:
  TokenSource(const AzureSettings& settings, dns01::provider::Host& host);

  // A valid access token (cached or fresh).
  std::string token();
  // Drops the cached token (after ARM answered 401 for it).
  void invalidate();

 private:
  TokenReply fetch();
  TokenReply client_credentials(std::string_view step);
  TokenReply managed_identity(std::string_view step);

  const AzureSettings& s_;
  dns01::provider::Host& host_;
  std::mutex mutex_;
  std::string cached_;
  std::chrono::steady_clock::time_point refresh_at_{};
};

}  // namespace azure
