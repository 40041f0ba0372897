#pragma once
// The cloudflare provider's settings: one struct, filled once by parse_settings(), the only code
// that reads the host's Settings (and the certbot credentials file they may name). Defaults live
// in provider.toml (the host applies them, and the environment aliases, before the factory runs).
//
// Errors: parse_settings() throws dns01::provider::Failure with StatusCode::config listing every
// problem at once (kit::SettingsReader), naming keys and files, never a secret.
// Threading: pure functions (parse_settings reads the credentials file).
#include <dns01/provider.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace cloudflare {

// One way to authenticate: a token (Authorization: Bearer) or the global key (X-Auth-Email +
// X-Auth-Key).
struct Credentials {
  std::string token;
  std::string email;
  std::string key;
  bool is_token() const noexcept { return !token.empty(); }
  dns01::provider::HttpHeaders headers() const;
};

struct CloudflareSettings {
  std::string instance;         // [providers.<instance>], for hints
  std::string endpoint;         // `endpoint` without a trailing slash
  Credentials dns;              // record reads and writes
  Credentials zone;             // zone lookups: `zone_api_token`, else the same as dns
  std::string source;           // where the credentials came from, for hints ("api_token", ...)
  std::string zone_id;          // `zone_id`, lower case; empty: look zones up
  std::int64_t ttl = 60;        // `ttl`: 1 (automatic) or 60..86400
  // Secrets learnt here (from the credentials file), for Host::add_secret().
  std::vector<std::string> learnt_secrets;
};

CloudflareSettings parse_settings(const dns01::provider::Settings& settings);

}  // namespace cloudflare
