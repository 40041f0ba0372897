#pragma once
// Loading the built provider-rfc2136.so through the real loader, with a [providers.internal]
// table written as Config hands it over.
#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "dns01/config.hpp"
#include "dns01/plugins/loader.hpp"

namespace rfc2136_test {

// Set by providers/rfc2136/meson.build: where the in-tree modules are built.
inline const std::filesystem::path kProviderBuildDir = DNS01_PROVIDER_BUILD_DIR;

inline dns01::ProviderValue value(dns01::ProviderScalar v, bool secret = false) {
  return dns01::ProviderValue{std::move(v), dns01::SourceLocation{"dns01.toml", 7, 1}, secret};
}

// [providers.internal] type = "rfc2136", zones = ["example.test"], plus `settings`.
inline dns01::ProviderInstanceConfig table(std::map<std::string, dns01::ProviderScalar> settings,
                                           const std::vector<std::string>& secret_keys = {"secret"}) {
  dns01::ProviderInstanceConfig config;
  config.name = "internal";
  config.type = "rfc2136";
  config.zones = {"example.test"};
  config.where = dns01::SourceLocation{"dns01.toml", 5, 1};
  for (auto& [key, v] : settings) {
    const bool secret = std::find(secret_keys.begin(), secret_keys.end(), key) != secret_keys.end();
    config.settings[key] = value(std::move(v), secret);
  }
  return config;
}

inline dns01::plugins::ProviderSet load(const dns01::ProviderInstanceConfig& config) {
  return dns01::plugins::ProviderSet::load({config}, {{kProviderBuildDir}, {}});
}

}  // namespace rfc2136_test
