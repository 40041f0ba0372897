#pragma once
// Finding, loading and running provider modules (the host side of dns01/provider.hpp).
//
// SEARCH PATH, in order: every directory of $DNS01_PROVIDER_PATH (colon-separated), the installed
// module directory (kInstalledProviderDir), then the build tree (kBuildProviderDir, so tests and
// `meson devenv`-less runs from the build directory work) - the build tree only when the running
// binary lies inside the build root (kBuildRoot vs /proc/self/exe), never for an installed one:
// a world-writable build path must not feed modules to root. In each directory a module may sit
// flat or in a folder named after its code:
//   <dir>/provider-<code>.so          with metadata <dir>/provider-<code>.toml
//   <dir>/<code>/provider-<code>.so   with metadata <dir>/<code>/provider.toml
// The first directory holding the module wins.
//
// LOADING: only the provider types a configuration uses are opened, each once, however many
// instances use it. The module is opened lazily and its `dns01_provider_abi` alias read before
// anything else; a mismatch is refused naming the file and both versions. The Module is shared
// by its instances and outlives every object its factory created.
//
// ERRORS: a type with no module -> ConfigError naming every path tried; a table that does not
// match provider.toml -> ConfigError with every issue; unloadable module, ABI mismatch, missing
// aliases or a factory that fails or throws -> ProviderError / ConfigError (a factory's
// StatusCode::config) naming the module file. A provider's failed Status -> Error of the category
// its StatusCode maps to (config, network, provider), component "<code>" or "<code>[<name>]".
//
// Thread-safety: ProviderSet/ProviderInstance follow the provider contract: one thread at a time
// per instance; different instances may be used concurrently.
#include <cstdint>
#include <functional>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns01/config.hpp"
#include "dns01/error.hpp"
#include "dns01/log.hpp"
#include "dns01/plugins/metadata.hpp"
#include "dns01/plugins/routing.hpp"
#include "dns01/provider.hpp"

namespace dns01::plugins {

// The directories above, for this environment (DNS01_PROVIDER_PATH read from `env`).
std::vector<std::filesystem::path> provider_search_path(const Environment& env);
std::vector<std::filesystem::path> provider_search_path();  // the process environment

struct ModuleFile {
  std::string code;
  std::filesystem::path module;    // provider-<code>.so
  std::filesystem::path metadata;  // its provider.toml (may not exist: loading then fails)
};

// Where the module for `code` is, or nullopt. `tried` (optional) receives every path looked at.
std::optional<ModuleFile> find_module(std::string_view code,
                                      const std::vector<std::filesystem::path>& search_path,
                                      std::vector<std::filesystem::path>* tried = nullptr);
// Like find_module, but throws ConfigError listing every path tried.
ModuleFile require_module(std::string_view code,
                          const std::vector<std::filesystem::path>& search_path);
// Every module on the path (the first of each code wins), sorted by code.
std::vector<ModuleFile> list_modules(const std::vector<std::filesystem::path>& search_path);

// A module whose ABI matched, ready to create providers.
class Module {
 public:
  // Opens the file, checks `dns01_provider_abi` == provider::kAbiVersion, resolves the factory.
  // Throws ProviderError (component "plugins") naming the file.
  static std::shared_ptr<Module> open(const ModuleFile& file);
  ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  const ModuleFile& file() const noexcept { return file_; }

  // Calls the factory; an exception escaping it becomes a failed Status (StatusCode::internal)
  // naming the module. Never throws.
  provider::CreateResult create(const provider::Settings& settings,
                                provider::Host& host) const noexcept;

 private:
  struct Impl;
  Module(ModuleFile file, std::unique_ptr<Impl> impl);
  ModuleFile file_;
  std::unique_ptr<Impl> impl_;
};

// The Error a failed Status becomes (category from the StatusCode, see header comment).
Error status_error(const provider::Status& status, const std::string& component);

// What ProviderSet gives the host services of each instance.
struct HostOptions {
  Logger* logger = nullptr;  // nullptr = Logger::global()
  std::string ca_bundle;     // extra CA bundle for every provider's HTTP client; a table's own
                             // `ca_bundle` takes its place for that instance
  // What Host::env() and the provider.toml `env` aliases read; nullptr = the process environment
  // (read once, when the set is loaded). Tests inject their own.
  const Environment* env = nullptr;
};

class HostServices;  // core/src/plugins: implements provider::Host

// One configured [providers.<name>] table with its live provider.
class ProviderInstance {
 public:
  ProviderInstance(ProviderInstanceConfig config, ProviderMetadata metadata,
                   std::shared_ptr<Module> module, const HostOptions& options);
  // An in-process provider (ProviderSet::from_providers): `create` is called once with this
  // instance's host services, as a module's factory would be; a throw or nullptr is a
  // ProviderError. metadata() is a stub carrying only `code` = config.type, module_file() is empty.
  ProviderInstance(ProviderInstanceConfig config,
                   const std::function<std::unique_ptr<provider::Provider>(provider::Host&)>& create,
                   const HostOptions& options);
  ~ProviderInstance();
  ProviderInstance(const ProviderInstance&) = delete;
  ProviderInstance& operator=(const ProviderInstance&) = delete;

  const ProviderInstanceConfig& config() const noexcept { return config_; }
  const ProviderMetadata& metadata() const noexcept { return metadata_; }
  const ModuleFile& module_file() const noexcept;  // empty for an in-process provider
  // "rfc2136" when the table is named like its type, else "rfc2136[internal]".
  const std::string& component() const noexcept { return component_; }

  // The provider's operations; a failed Status is thrown as status_error(). A record with an
  // empty `zone` gets the longest of this instance's zones that holds its name. Batches larger
  // than Hints::max_batch go to the provider in consecutive calls of at most that many records;
  // remove_all() tries every chunk even after one failed, then throws the first failure.
  void add(const provider::TxtRecord& record);
  void remove(const provider::TxtRecord& record);
  void add_all(const std::vector<provider::TxtRecord>& records);
  void remove_all(const std::vector<provider::TxtRecord>& records);
  // The provider's hints, read once right after it was created.
  const provider::Hints& hints() const noexcept { return hints_; }

 private:
  ProviderInstanceConfig config_;
  ProviderMetadata metadata_;
  std::string component_;
  provider::Hints hints_;
  // Members are destroyed in reverse order: provider first, then its host services, and the
  // module (which unloads the code) last.
  std::shared_ptr<Module> module_;  // nullptr for an in-process provider
  std::unique_ptr<HostServices> host_;
  std::unique_ptr<provider::Provider> provider_;
};

struct ProviderSetOptions {
  std::vector<std::filesystem::path> search_path;  // empty = provider_search_path()
  HostOptions host;
};

// Every problem of the [providers.*] tables that can be found without loading a module: a type
// with no module (listing the paths tried), a broken provider.toml, and every table checked
// against its provider.toml (see validate_provider_settings). `dns01 config check` and
// ProviderSet::load() both use it, so they never disagree. Empty when all is well.
std::vector<ConfigIssue> check_provider_tables(const std::vector<ProviderInstanceConfig>& instances,
                                               const ProviderSetOptions& options = {});

// One provider built in this process (tests, embedders): no module file, no provider.toml
// validation. `create` receives the instance's provider::Host.
struct InProcessProvider {
  ProviderInstanceConfig config;  // name, type, zones (routing) as a [providers.<name>] table
  std::function<std::unique_ptr<provider::Provider>(provider::Host&)> create;
};

// Every provider of a configuration, loaded and routed.
class ProviderSet {
 public:
  // The in-process seam: instances around providers built by the caller, routed by their
  // configs' zones exactly like load()ed ones. Throws what the ProviderInstance constructor does.
  static ProviderSet from_providers(std::vector<InProcessProvider> providers,
                                    const HostOptions& host = {});

  // Finds each used module and its metadata, validates every table (all problems in one
  // ConfigError), opens each module once, creates every instance. Nothing is loaded when
  // `instances` is empty.
  static ProviderSet load(const std::vector<ProviderInstanceConfig>& instances,
                          const ProviderSetOptions& options = {});

  ProviderSet(ProviderSet&&) noexcept;
  ProviderSet& operator=(ProviderSet&&) noexcept;
  ~ProviderSet();

  std::size_t size() const noexcept { return instances_.size(); }
  ProviderInstance& at(std::size_t index) { return *instances_.at(index); }
  // The instance of the [providers.<name>] table `name`, or nullptr.
  ProviderInstance* find(std::string_view name) noexcept;

  // The instance whose zone is the longest suffix of `name`, and that zone. Throws ConfigError
  // ("no provider serves <name>; zones: ...") when none does.
  std::pair<ProviderInstance*, std::string> route(std::string_view name);

 private:
  ProviderSet(std::vector<std::unique_ptr<ProviderInstance>> instances, ZoneRouter router);
  std::vector<std::unique_ptr<ProviderInstance>> instances_;
  std::unique_ptr<ZoneRouter> router_;
};

}  // namespace dns01::plugins
