#pragma once
// Helpers shared by the provider suite's test files: where the built modules are, and how to
// write a [providers.<name>] table as Config would hand it over.
#include <filesystem>
#include <string>
#include <vector>

#include "dns01/config.hpp"
#include "temp_dir.hpp"

namespace dns01::test {

// Set by tests/provider/meson.build.
inline const std::filesystem::path kTestModuleDir = DNS01_TEST_MODULE_DIR;
inline const std::filesystem::path kProviderBuildDir = DNS01_PROVIDER_BUILD_DIR;

inline ProviderValue value(ProviderScalar v, bool secret = false) {
  return ProviderValue{std::move(v), SourceLocation{"dns01.toml", 7, 1}, secret};
}

inline ProviderInstanceConfig instance(std::string name, std::string type,
                                       std::vector<std::string> zones) {
  ProviderInstanceConfig config;
  config.name = std::move(name);
  config.type = std::move(type);
  config.zones = std::move(zones);
  config.where = SourceLocation{"dns01.toml", 5, 1};
  return config;
}

}  // namespace dns01::test
