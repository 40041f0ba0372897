// Configured provider instances: validation, loading, creation and routing
// (see dns01/plugins/loader.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "dns01/plugins/loader.hpp"
#include "dns01/signals.hpp"
#include "host_services.hpp"

namespace dns01::plugins {

Error status_error(const provider::Status& status, const std::string& component) {
  const std::string cause = status.message.empty() ? "failed without a message" : status.message;
  switch (status.code) {
    case provider::StatusCode::config:
      return Error(ErrorCategory::config, component, status.step, cause, status.hint);
    case provider::StatusCode::network:
      return Error(ErrorCategory::network, component, status.step, cause, status.hint);
    case provider::StatusCode::internal:
      return Error(ErrorCategory::provider, component, status.step, cause,
                   status.hint.empty() ? "this is a bug in the provider; please report it"
                                       : status.hint);
    default:
      return Error(ErrorCategory::provider, component, status.step, cause, status.hint);
  }
}

namespace {

std::string component_of(const ProviderInstanceConfig& config) {
  return config.name == config.type ? config.type
                                    : fmt::format("{}[{}]", config.type, config.name);
}

void check(const provider::Status& status, const std::string& component) {
  if (!status.ok()) throw status_error(status, component);
}

// An add that failed because the user stopped the run is an interruption, whatever code the
// provider chose (the ABI lets it return any): the caller cleans up and exits 130.
void check_add(const provider::Status& status, const std::string& component) {
  if (!status.ok() && dns01::stop_requested())
    throw InterruptedError(fmt::format("{}: {}", component,
                                       status.step.empty() ? "add TXT records" : status.step));
  check(status, component);
}

// Fills TxtRecord::zone, when the caller left it empty, with the longest of the instance's zones
// holding the name (what ProviderSet::route would have said).
provider::TxtRecord routed(provider::TxtRecord record, const ProviderInstanceConfig& config) {
  if (!record.zone.empty()) return record;
  for (const auto& zone : config.zones)
    if (name_in_zone(record.name, zone) && zone.size() >= record.zone.size()) record.zone = zone;
  return record;
}

std::vector<provider::TxtRecord> routed(const std::vector<provider::TxtRecord>& records,
                                        const ProviderInstanceConfig& config) {
  std::vector<provider::TxtRecord> out;
  out.reserve(records.size());
  for (const auto& record : records) out.push_back(routed(record, config));
  return out;
}

// A table's own ca_bundle replaces the set-wide extra bundle for that instance.
HostOptions options_for(const ProviderInstanceConfig& config, HostOptions options) {
  if (!config.ca_bundle.empty()) options.ca_bundle = config.ca_bundle;
  return options;
}

// Calls `fn` with consecutive slices of at most `max` records (all of them when max is 0).
template <typename Fn>
void in_chunks(const std::vector<provider::TxtRecord>& records, std::uint32_t max, Fn&& fn) {
  const std::size_t step = max == 0 ? records.size() : max;
  for (std::size_t i = 0; i < records.size(); i += step) {
    const auto end = records.begin() + static_cast<std::ptrdiff_t>(std::min(records.size(), i + step));
    fn(std::vector<provider::TxtRecord>(records.begin() + static_cast<std::ptrdiff_t>(i), end));
  }
}

}  // namespace

ProviderInstance::ProviderInstance(ProviderInstanceConfig config, ProviderMetadata metadata,
                                   std::shared_ptr<Module> module, const HostOptions& options)
    : config_(std::move(config)),
      metadata_(std::move(metadata)),
      component_(component_of(config_)),
      module_(std::move(module)),
      host_(std::make_unique<HostServices>(component_, options_for(config_, options))) {
  const provider::Settings settings = make_provider_settings(config_, metadata_, host_->environment());
  provider::CreateResult created = module_->create(settings, *host_);
  if (!created.status.ok()) {
    provider::Status status = created.status;
    if (status.code == provider::StatusCode::config && status.hint.empty())
      status.hint = fmt::format("fix [providers.{}] (docs/providers/{}.md)", config_.name,
                                config_.type);
    throw status_error(status, component_);
  }
  provider_ = std::move(created.provider);
  hints_ = provider_->hints();
}

ProviderInstance::ProviderInstance(
    ProviderInstanceConfig config,
    const std::function<std::unique_ptr<provider::Provider>(provider::Host&)>& create,
    const HostOptions& options)
    : config_(std::move(config)),
      component_(component_of(config_)),
      host_(std::make_unique<HostServices>(component_, options_for(config_, options))) {
  metadata_.code = config_.type;
  metadata_.name = config_.type;
  try {
    provider_ = create ? create(*host_) : nullptr;
  } catch (const std::exception& e) {
    throw ProviderError(component_, "create the in-process provider", e.what());
  }
  if (!provider_) throw ProviderError(component_, "create the in-process provider", "no provider was created");
  hints_ = provider_->hints();
}

const ModuleFile& ProviderInstance::module_file() const noexcept {
  static const ModuleFile none;
  return module_ ? module_->file() : none;
}

ProviderInstance::~ProviderInstance() {
  provider_.reset();  // explicit: the provider goes before the host services and the module
}

void ProviderInstance::add(const provider::TxtRecord& record) {
  check_add(provider_->add(routed(record, config_)), component_);
}

void ProviderInstance::remove(const provider::TxtRecord& record) {
  HostServices::Cleanup cleanup(*host_);
  check(provider_->remove(routed(record, config_)), component_);
}

void ProviderInstance::add_all(const std::vector<provider::TxtRecord>& records) {
  in_chunks(routed(records, config_), hints_.max_batch, [&](const auto& chunk) {
    check_add(provider_->add_all(chunk), component_);
  });
}

void ProviderInstance::remove_all(const std::vector<provider::TxtRecord>& records) {
  HostServices::Cleanup cleanup(*host_);
  provider::Status first = provider::Status::success();
  in_chunks(routed(records, config_), hints_.max_batch, [&](const auto& chunk) {
    provider::Status status = provider_->remove_all(chunk);
    if (!status.ok() && first.ok()) first = std::move(status);
  });
  check(first, component_);
}

ProviderSet::ProviderSet(std::vector<std::unique_ptr<ProviderInstance>> instances,
                         ZoneRouter router)
    : instances_(std::move(instances)), router_(std::make_unique<ZoneRouter>(std::move(router))) {}
ProviderSet::ProviderSet(ProviderSet&&) noexcept = default;
ProviderSet& ProviderSet::operator=(ProviderSet&&) noexcept = default;
ProviderSet::~ProviderSet() = default;

namespace {

using TypeMap = std::map<std::string, std::pair<ModuleFile, ProviderMetadata>>;

// Every module file and metadata, and every table checked against its metadata, so one
// ConfigError reports every problem before any module is opened.
std::vector<ConfigIssue> find_types(const std::vector<ProviderInstanceConfig>& instances,
                                    const ProviderSetOptions& options, TypeMap& types) {
  const auto path = options.search_path.empty() ? provider_search_path() : options.search_path;
  const Environment process = options.host.env ? Environment{} : process_environment();
  const Environment& env = options.host.env ? *options.host.env : process;
  std::vector<ConfigIssue> issues;
  auto add = [&](const SourceLocation& where, std::string message) {
    issues.push_back({where.file, where.line, where.column, std::move(message)});
  };
  for (const auto& instance : instances) {
    auto it = types.find(instance.type);
    if (it == types.end()) {
      try {
        ModuleFile file = require_module(instance.type, path);
        ProviderMetadata meta = load_provider_metadata(file.metadata);
        if (meta.code != instance.type)
          throw ConfigError("read provider metadata",
                            fmt::format("{} declares code '{}' but belongs to provider-{}.so",
                                        file.metadata.string(), meta.code, instance.type));
        it = types.emplace(instance.type, std::make_pair(std::move(file), std::move(meta))).first;
      } catch (const ConfigError& e) {
        if (e.issues().empty())
          add(instance.where, fmt::format("[providers.{}] type '{}': {}{}", instance.name,
                                          instance.type, e.cause(),
                                          e.hint().empty() ? "" : "; " + e.hint()));
        for (const auto& issue : e.issues()) issues.push_back(issue);  // broken provider.toml
        continue;
      }
    }
    for (auto& issue : validate_provider_settings(instance, it->second.second, env))
      issues.push_back(std::move(issue));
  }
  return issues;
}

}  // namespace

std::vector<ConfigIssue> check_provider_tables(const std::vector<ProviderInstanceConfig>& instances,
                                               const ProviderSetOptions& options) {
  TypeMap types;
  return find_types(instances, options, types);
}

ProviderSet ProviderSet::load(const std::vector<ProviderInstanceConfig>& instances,
                              const ProviderSetOptions& options) {
  ZoneRouter router(instances);
  TypeMap types;
  auto issues = find_types(instances, options, types);
  if (!issues.empty())
    throw ConfigError(std::move(issues), "`dns01 providers` lists the installed providers and "
                                         "their keys");

  std::map<std::string, std::shared_ptr<Module>> modules;
  std::vector<std::unique_ptr<ProviderInstance>> created;
  for (const auto& instance : instances) {
    const auto& [file, meta] = types.at(instance.type);
    auto& module = modules[instance.type];
    if (!module) module = Module::open(file);
    created.push_back(std::make_unique<ProviderInstance>(instance, meta, module, options.host));
  }
  return ProviderSet(std::move(created), std::move(router));
}

ProviderSet ProviderSet::from_providers(std::vector<InProcessProvider> providers,
                                        const HostOptions& host) {
  std::vector<ProviderInstanceConfig> configs;
  for (const auto& p : providers) configs.push_back(p.config);
  ZoneRouter router(configs);
  std::vector<std::unique_ptr<ProviderInstance>> created;
  for (auto& p : providers) created.push_back(std::make_unique<ProviderInstance>(p.config, p.create, host));
  return ProviderSet(std::move(created), std::move(router));
}

ProviderInstance* ProviderSet::find(std::string_view name) noexcept {
  for (auto& instance : instances_)
    if (instance->config().name == name) return instance.get();
  return nullptr;
}

std::pair<ProviderInstance*, std::string> ProviderSet::route(std::string_view name) {
  auto found = router_->route(name);
  if (!found)
    throw ConfigError("route record",
                      fmt::format("no provider serves {}; configured zones: {}", name,
                                  router_->describe()),
                      "add the zone (or a parent zone) to the `zones` of a [providers.<name>] "
                      "table");
  return {instances_.at(found->instance).get(), found->zone};
}

}  // namespace dns01::plugins
