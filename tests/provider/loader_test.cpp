// Loading real modules: the test provider, a wrong-ABI module, a throwing factory, a file that is
// not a provider, and a module that does not exist.
#include <catch2/catch.hpp>

#include <algorithm>

#include <boost/dll/library_info.hpp>
#include <fstream>
#include <set>

#include "dns01/plugins/loader.hpp"
#include "dns01/version.hpp"
#include "suite_support.hpp"

using namespace dns01;
using namespace dns01::plugins;
using Catch::Matchers::Contains;

namespace {

std::vector<std::filesystem::path> test_path() { return {test::kTestModuleDir}; }

std::string load_error(const std::string& type, ErrorCategory expected) {
  auto config = test::instance(type, type, {"example.com"});
  try {
    ProviderSet::load({config}, {test_path(), {}});
  } catch (const Error& e) {
    CHECK(e.category() == expected);
    return std::string(e.what()) + "\nhint: " + e.hint();
  }
  FAIL("loading provider type '" << type << "' did not fail");
  return {};
}

}  // namespace

TEST_CASE("the search path puts DNS01_PROVIDER_PATH first, then installed, then build dirs",
          "[provider][loader]") {
  auto path = provider_search_path({{"DNS01_PROVIDER_PATH", "/a:/b::/c"}});
  REQUIRE(path.size() == 5);
  CHECK(path[0] == "/a");
  CHECK(path[1] == "/b");
  CHECK(path[2] == "/c");
  CHECK(path[3] == std::filesystem::path(kInstalledProviderDir));
  CHECK(path[4] == std::filesystem::path(kBuildProviderDir));
  CHECK(provider_search_path(Environment{}).size() == 2);
}

TEST_CASE("modules are found flat or in a folder named after the code", "[provider][loader]") {
  auto flat = find_module("test", test_path());
  REQUIRE(flat);
  CHECK(flat->module == test::kTestModuleDir / "provider-test.so");
  CHECK(flat->metadata == test::kTestModuleDir / "provider-test.toml");

  auto nested = find_module("rfc2136", {test::kProviderBuildDir});
  REQUIRE(nested);
  CHECK(nested->module == test::kProviderBuildDir / "rfc2136" / "provider-rfc2136.so");
  CHECK(nested->metadata == test::kProviderBuildDir / "rfc2136" / "provider.toml");

  auto all = list_modules({test::kTestModuleDir, test::kProviderBuildDir});
  std::vector<std::string> codes;
  for (const auto& m : all) codes.push_back(m.code);
  // Sorted by code; the in-tree providers this build configured sit among the test modules.
  CHECK(std::is_sorted(codes.begin(), codes.end()));
  for (const char* code : {"noexports", "rfc2136", "test", "throws", "wrongabi"})
    CHECK(std::count(codes.begin(), codes.end(), code) == 1);
}

TEST_CASE("a missing module is an error listing every place looked at", "[provider][loader]") {
  const std::string message = load_error("absent", ErrorCategory::config);
  CHECK_THAT(message, Contains("no module for provider type 'absent'"));
  CHECK_THAT(message, Contains((test::kTestModuleDir / "provider-absent.so").string()));
  CHECK_THAT(message, Contains((test::kTestModuleDir / "absent" / "provider-absent.so").string()));
  CHECK_THAT(message, Contains("DNS01_PROVIDER_PATH"));
}

TEST_CASE("a module built for another ABI is refused, naming the file and both versions",
          "[provider][loader]") {
  auto file = require_module("wrongabi", test_path());
  try {
    Module::open(file);
    FAIL("the wrong-ABI module was accepted");
  } catch (const ProviderError& e) {
    const std::string message = e.what();
    CHECK_THAT(message, Contains(file.module.string()));
    CHECK_THAT(message, Contains("ABI version mismatch"));
    CHECK_THAT(message, Contains(std::to_string(provider::kAbiVersion)));
    CHECK_THAT(message, Contains("19990101"));
    CHECK_THAT(e.hint(), Contains("rebuild"));
  }
  // Through the whole loading path too (its factory would throw logic_error if called).
  CHECK_THAT(load_error("wrongabi", ErrorCategory::provider), Contains("19990101"));
}

TEST_CASE("a factory that throws becomes a clean provider error", "[provider][loader]") {
  const std::string message = load_error("throws", ErrorCategory::provider);
  CHECK_THAT(message, Contains("provider-throws.so"));
  CHECK_THAT(message, Contains("the factory threw: cannot reach the provider API at start-up"));
  CHECK_THAT(message, Contains("bug in the provider"));
}

TEST_CASE("a shared object without the provider symbols is refused", "[provider][loader]") {
  const std::string message = load_error("noexports", ErrorCategory::provider);
  CHECK_THAT(message, Contains("not a dns01 provider module"));
  CHECK_THAT(message, Contains("dns01_provider_abi"));
}

TEST_CASE("a module whose metadata is missing is refused before loading", "[provider][loader]") {
  test::TempDir dir("dns01-loader");
  std::filesystem::copy_file(test::kTestModuleDir / "provider-test.so",
                             dir / "provider-test.so");
  auto config = test::instance("t", "test", {"example.com"});
  config.settings["state_path"] = test::value(std::string("/nonexistent"));
  try {
    ProviderSet::load({config}, {{dir.path()}, {}});
    FAIL("loaded without metadata");
  } catch (const ConfigError& e) {
    CHECK_THAT(std::string(e.what()), Contains("provider-test.toml"));
  }
}

TEST_CASE("nothing is loaded for a configuration without providers", "[provider][loader]") {
  auto set = ProviderSet::load({}, {{"/nonexistent"}, {}});
  CHECK(set.size() == 0);
  CHECK_THROWS_AS(set.route("_acme-challenge.example.com"), ConfigError);
}

TEST_CASE("provider modules export exactly the two ABI symbols", "[provider][loader]") {
  // The test module and every in-tree provider that this build configured.
  std::vector<std::filesystem::path> modules{test::kTestModuleDir / "provider-test.so"};
  for (const auto& entry : std::filesystem::recursive_directory_iterator(test::kProviderBuildDir))
    if (entry.path().filename().string().starts_with("provider-") &&
        entry.path().extension() == ".so")
      modules.push_back(entry.path());
  CHECK(modules.size() >= 2);
  for (const auto& module : modules) {
    INFO(module.string());
    boost::dll::library_info info(module);
    std::set<std::string> exported;
    for (const auto& symbol : info.symbols())
      if (!symbol.empty()) exported.insert(symbol);
    CHECK(exported == std::set<std::string>{"dns01_provider_abi", "dns01_provider_create"});
  }
}

TEST_CASE("a file that is not a shared object is refused with the loader's reason",
          "[provider][loader]") {
  test::TempDir dir("dns01-loader");
  { std::ofstream(dir / "provider-garbage.so") << "not an ELF file"; }
  { std::ofstream(dir / "provider-garbage.toml") << "code = \"garbage\"\nname = \"g\"\ndescription = \"g\"\n"; }
  auto config = test::instance("g", "garbage", {"example.com"});
  try {
    ProviderSet::load({config}, {{dir.path()}, {}});
    FAIL("loaded garbage");
  } catch (const ProviderError& e) {
    CHECK_THAT(std::string(e.what()), Contains("plugins: load " + (dir / "provider-garbage.so").string()));
    CHECK_THAT(e.hint(), Contains("not a loadable module"));
  }
}
