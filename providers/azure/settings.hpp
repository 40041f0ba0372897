#pragma once
// The azure provider's settings: one struct, filled once from the host's Settings (and, when
// `credentials` names one, a certbot-dns-azure INI file) by parse_settings(), the only code that
// reads them. Defaults live in provider.toml (the host applies them and the env aliases
// AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET[_FILE], AZURE_FEDERATED_TOKEN_FILE,
// AZURE_AUTHORITY_HOST, AZURE_SUBSCRIPTION_ID before the factory runs).
//
// Errors: parse_settings() throws dns01::provider::Failure(StatusCode::config) listing every
// problem at once (key names, never a secret).
// Threading: pure functions (parse_settings reads the credentials file).
#include <dns01/provider.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace azure {

enum class ZoneType { public_zone, private_zone };
enum class SignIn { client_secret, federated_token, managed_identity };

// A zone pinned by subscription and resource group (certbot's dns_azure_zoneN lines, or
// subscription_id + resource_group + zone).
struct PinnedZone {
  std::string name;  // normalised: lower case, no trailing dot
  std::string subscription;
  std::string resource_group;
};

struct AzureSettings {
  std::string instance;        // [providers.<instance>], for hints
  ZoneType zone_type = ZoneType::public_zone;
  std::string subscription;    // may be empty when every zone is pinned
  std::string resource_group;  // empty: list the subscription's zones
  std::vector<PinnedZone> pinned;  // longest-suffix match wins

  SignIn sign_in = SignIn::client_secret;
  std::string tenant_id, client_id;  // client_id: app id, or a user-assigned identity
  std::string client_secret;         // SignIn::client_secret only
  std::string federated_token_path;  // SignIn::federated_token only; re-read on each refresh

  std::string authority;     // "https://login.microsoftonline.com" (no trailing slash)
  std::string arm;           // "https://management.azure.com" (no trailing slash)
  std::string scope;         // "https://management.azure.com/.default"
  std::uint32_t ttl = 60;
};

// Reads and checks every key of the [providers.<name>] table (see provider.toml).
AzureSettings parse_settings(const dns01::provider::Settings& settings);

// "/subscriptions/<id>/resourceGroups/<rg>[/...]" -> {id, rg}; certbot's zone lines and ARM ids.
// Throws std::invalid_argument naming what is missing.
std::pair<std::string, std::string> parse_resource_group_id(const std::string& id);

}  // namespace azure
