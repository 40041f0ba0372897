// Search path and module loading through Boost.DLL (see dns01/plugins/loader.hpp).
#include <dlfcn.h>
#include <fmt/format.h>

#include <boost/dll/shared_library.hpp>
#include <map>

#include "dns01/plugins/loader.hpp"
#include "dns01/version.hpp"

namespace dns01::plugins {

namespace fs = std::filesystem;

namespace {

constexpr const char* kComponent = "plugins";

std::string module_name(std::string_view code) { return fmt::format("provider-{}.so", code); }

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// True when this process's executable lies inside the build tree it was compiled in (build/cli/
// dns01, the test programs). Only then is the build-tree module directory searched: an
// installed dns01 must never load modules from the path it was once built under, which may be
// world-writable (/tmp) and would let another user's .so run as root.
bool running_from_build_tree() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return false;
  // /proc/self/exe is fully resolved; resolve the build root the same way (it may be a symlink).
  const fs::path root = fs::weakly_canonical(fs::path(kBuildRoot), ec);
  if (ec || root.empty()) return false;
  auto r = root.begin();
  for (auto e = exe.begin(); r != root.end() && e != exe.end(); ++r, ++e) {
    if (*r != *e) return false;  // element-wise: build-x is not inside build
  }
  return r == root.end();
}

}  // namespace

std::vector<fs::path> provider_search_path(const Environment& env) {
  std::vector<fs::path> dirs;
  if (auto it = env.find("DNS01_PROVIDER_PATH"); it != env.end()) {
    std::string_view rest = it->second;
    while (!rest.empty()) {
      auto colon = rest.find(':');
      std::string_view dir = rest.substr(0, colon);
      if (!dir.empty()) dirs.emplace_back(dir);
      rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
    }
  }
  dirs.emplace_back(kInstalledProviderDir);
  if (running_from_build_tree()) dirs.emplace_back(kBuildProviderDir);
  return dirs;
}

std::vector<fs::path> provider_search_path() { return provider_search_path(process_environment()); }

std::optional<ModuleFile> find_module(std::string_view code, const std::vector<fs::path>& path,
                                      std::vector<fs::path>* tried) {
  for (const auto& dir : path) {
    const fs::path flat = dir / module_name(code);
    const fs::path nested = dir / std::string(code) / module_name(code);
    if (tried) {
      tried->push_back(flat);
      tried->push_back(nested);
    }
    if (is_file(flat))
      return ModuleFile{std::string(code), flat, dir / fmt::format("provider-{}.toml", code)};
    if (is_file(nested))
      return ModuleFile{std::string(code), nested, nested.parent_path() / "provider.toml"};
  }
  return std::nullopt;
}

ModuleFile require_module(std::string_view code, const std::vector<fs::path>& path) {
  std::vector<fs::path> tried;
  if (auto found = find_module(code, path, &tried)) return *found;
  std::string where;
  for (const auto& p : tried) where += "\n  " + p.string();
  throw ConfigError(
      "find provider module",
      fmt::format("no module for provider type '{}'; looked for:{}", code, where),
      fmt::format("check the type (`dns01 providers` lists what is installed), install "
                  "provider-{0}.so, or point DNS01_PROVIDER_PATH at the directory holding it",
                  code));
}

std::vector<ModuleFile> list_modules(const std::vector<fs::path>& path) {
  std::map<std::string, ModuleFile> found;  // first directory wins, like find_module
  for (const auto& dir : path) {
    std::error_code ec;
    std::map<std::string, ModuleFile> here;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.starts_with("provider-") && name.ends_with(".so") && is_file(it->path())) {
        std::string code = name.substr(9, name.size() - 9 - 3);
        here[code] = ModuleFile{code, it->path(), dir / fmt::format("provider-{}.toml", code)};
      } else if (is_file(it->path() / module_name(name))) {
        here.try_emplace(name, ModuleFile{name, it->path() / module_name(name),
                                          it->path() / "provider.toml"});
      }
    }
    for (auto& [code, module] : here) found.try_emplace(code, std::move(module));
  }
  std::vector<ModuleFile> out;
  for (auto& [code, module] : found) out.push_back(std::move(module));
  return out;
}

struct Module::Impl {
  boost::dll::shared_library library;
  provider::CreateFn* create = nullptr;
};

Module::Module(ModuleFile file, std::unique_ptr<Impl> impl)
    : file_(std::move(file)), impl_(std::move(impl)) {}

Module::~Module() = default;

std::shared_ptr<Module> Module::open(const ModuleFile& file) {
  const std::string step = fmt::format("load {}", file.module.string());
  auto impl = std::make_unique<Impl>();
  std::error_code ec;
  // Lazy binding: only the ABI alias is needed before the version is known to match.
  impl->library.load(file.module,
                     boost::dll::load_mode::rtld_lazy | boost::dll::load_mode::rtld_local, ec);
  if (ec) {
    const char* why = dlerror();
    throw ProviderError(kComponent, step, why ? why : ec.message(),
                        "the file is not a loadable module for this system; rebuild or reinstall "
                        "the provider");
  }
  if (!impl->library.has(provider::kAbiSymbol))
    throw ProviderError(kComponent, step,
                        fmt::format("not a dns01 provider module: no '{}' symbol",
                                    provider::kAbiSymbol),
                        "providers export their ABI version with DNS01_PROVIDER_EXPORT "
                        "(dns01/provider.hpp)");
  const std::uint32_t version = impl->library.get<const std::uint32_t>(provider::kAbiSymbol);
  if (version != provider::kAbiVersion)
    throw ProviderError(
        kComponent, step,
        fmt::format("ABI version mismatch: dns01 uses provider ABI {}, the module was built for {}",
                    provider::kAbiVersion, version),
        "rebuild the provider against this dns01's dns01/provider.hpp (pkg-config "
        "dns01-provider), or install the matching dns01 release");
  if (!impl->library.has(provider::kCreateSymbol))
    throw ProviderError(kComponent, step,
                        fmt::format("no '{}' symbol (the factory)", provider::kCreateSymbol),
                        "export the provider with DNS01_PROVIDER_EXPORT(YourClass)");
  impl->create = &impl->library.get<provider::CreateFn>(provider::kCreateSymbol);
  return std::shared_ptr<Module>(new Module(file, std::move(impl)));
}

provider::CreateResult Module::create(const provider::Settings& settings,
                                      provider::Host& host) const noexcept {
  const std::string step = fmt::format("create provider from {}", file_.module.filename().string());
  try {
    provider::CreateResult result = impl_->create(settings, host);
    if (!result.status.ok()) {
      result.provider.reset();
      if (result.status.step.empty()) result.status.step = step;
    } else if (!result.provider) {
      result.status = provider::Status::failure(provider::StatusCode::internal, step,
                                                "the factory returned no provider and no error",
                                                "this is a bug in the provider; please report it");
    }
    return result;
  } catch (const std::exception& e) {
    return {nullptr, provider::Status::failure(provider::StatusCode::internal, step,
                                               fmt::format("the factory threw: {}", e.what()),
                                               "this is a bug in the provider; please report it")};
  } catch (...) {
    return {nullptr, provider::Status::failure(provider::StatusCode::internal, step,
                                               "the factory threw a non-standard exception",
                                               "this is a bug in the provider; please report it")};
  }
}

}  // namespace dns01::plugins
