// dns01 config check | show: validate the configuration, or print the effective one.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <optional>

#include "commands.hpp"
#include "dns01/log.hpp"
#include "dns01/plugins/loader.hpp"

namespace dns01::cli {

namespace {

constexpr std::string_view kMask = "[REDACTED]";

std::string source_of(const Config& config) {
  return config.source.empty() ? std::string("no file (defaults and environment)")
                               : config.source.string();
}

nlohmann::json endpoints_json(const std::vector<Endpoint>& list) {
  auto out = nlohmann::json::array();
  for (const auto& e : list) out.push_back(e.str());
  return out;
}

// The provider.toml of a table's type, when its module can be found; nullopt otherwise.
std::optional<plugins::ProviderMetadata> metadata_of(const ProviderInstanceConfig& p) {
  try {
    if (auto module = plugins::find_module(p.type, plugins::provider_search_path()))
      return plugins::load_provider_metadata(module->metadata);
  } catch (const Error&) {
  }
  return std::nullopt;
}

// A value is shown only when the provider's provider.toml declares the key and says it is not a
// secret: a misspelt key (`secert = "..."`) or a provider whose metadata cannot be read may hold
// a secret under a name nothing recognises.
nlohmann::json provider_value_json(const std::string& key, const ProviderValue& v,
                                   const std::optional<plugins::ProviderMetadata>& metadata) {
  const plugins::ConfigKeySpec* spec = metadata ? metadata->find(key) : nullptr;
  if (v.secret || !spec || spec->secret) return kMask;
  return std::visit([](const auto& x) { return nlohmann::json(x); }, v.value);
}

// The effective configuration as JSON; secrets are masked here, and the whole text goes through
// the Redactor again before printing.
nlohmann::json config_json(const Config& c) {
  nlohmann::json providers = nlohmann::json::object();
  for (const auto& p : c.providers) {
    const auto metadata = metadata_of(p);
    nlohmann::json settings = nlohmann::json::object();
    for (const auto& [key, value] : p.settings)
      settings[key] = provider_value_json(key, value, metadata);
    providers[p.name] = {{"type", p.type}, {"zones", p.zones}, {"settings", settings}};
  }
  return {
      {"acme",
       {{"server", c.acme.server},
        {"email", c.acme.email},
        {"ca_bundle", c.acme.ca_bundle},
        {"key_type", c.acme.key_type},
        {"eab_kid", c.acme.eab_kid},
        {"eab_hmac_key", c.acme.eab_hmac_key.empty() ? "" : std::string(kMask)},
        {"profile", c.acme.profile},
        {"preferred_chain", c.acme.preferred_chain},
        {"agree_tos", c.acme.agree_tos},
        {"account_key", c.acme.account_key.empty() ? "" : std::string(kMask)}}},
      {"storage", {{"dir", c.storage.dir.string()}}},
      {"propagation",
       {{"timeout", format_duration(c.propagation.timeout)},
        {"nameservers", endpoints_json(c.propagation.nameservers)},
        {"resolvers", endpoints_json(c.propagation.resolvers)},
        {"port", c.propagation.port},
        {"require_recursive", c.propagation.require_recursive},
        {"extra_wait", format_duration(c.propagation.extra_wait)},
        {"queries_per_second", static_cast<long long>(c.propagation.queries_per_second)}}},
      {"log",
       {{"level", log_level_name(c.log.level)},
        {"format", c.log.format == LogFormat::json ? "json" : "text"}}},
      {"security", {{"allow_insecure_secret_files", c.allow_insecure_secret_files}}},
      {"providers", providers},
  };
}

// TOML rendering of the same JSON tree (strings, numbers, booleans, arrays, nested tables).
std::string toml_value(const nlohmann::json& v) {
  if (v.is_array()) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + toml_value(v[i]);
    return out + "]";
  }
  return v.dump();  // JSON string/number/boolean spelling is valid TOML for our values
}

void toml_table(std::string& out, const std::string& name, const nlohmann::json& table) {
  out += fmt::format("\n[{}]\n", name);
  for (const auto& [key, value] : table.items())
    if (!value.is_object()) out += fmt::format("{} = {}\n", key, toml_value(value));
  for (const auto& [key, value] : table.items())
    if (value.is_object() && key == "settings") {
      for (const auto& [k, v] : value.items()) out += fmt::format("{} = {}\n", k, toml_value(v));
    }
}

std::string config_toml(const Config& c) {
  const nlohmann::json j = config_json(c);
  std::string out = fmt::format("# effective configuration from {}, DNS01_* overrides applied\n",
                                source_of(c));
  for (const char* section : {"acme", "storage", "propagation", "log", "security"})
    toml_table(out, section, j[section]);
  for (const auto& [name, p] : j["providers"].items()) toml_table(out, "providers." + name, p);
  return out;
}

void print(const std::string& text) {
  const std::string safe = Redactor::global().apply(text);
  std::fwrite(safe.data(), 1, safe.size(), stdout);
}

nlohmann::json source_json(const Config& c) {
  return c.source.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.source.string());
}

}  // namespace

void register_config(CLI::App& app, Context& ctx) {
  auto* config = app.add_subcommand(
      "config", "Check or show the configuration (dns01.toml and DNS01_* variables)");
  config->require_subcommand(1);

  auto* check = config->add_subcommand(
      "check", "Validate the configuration and report every problem with file:line (exit 3 on "
               "error); contacts no server");
  check->callback([&ctx] {
    ctx.run = [&ctx] {
      const Config& c = ctx.config();
      // Provider tables against their provider.toml, exactly as `issue` checks them (no module
      // is loaded, no server contacted).
      if (auto issues = plugins::check_provider_tables(c.providers); !issues.empty())
        throw ConfigError(std::move(issues), "`dns01 providers <type>` lists a provider's keys");
      if (ctx.global.json) {
        nlohmann::json j = {{"ok", true},
                            {"source", source_json(c)},
                            {"providers", c.providers.size()}};
        print(j.dump() + "\n");
      } else {
        print(fmt::format("config OK: {}\n", source_of(c)));
      }
      return 0;
    };
  });

  auto* show = config->add_subcommand(
      "show", "Print the effective configuration (file + DNS01_* overrides, defaults filled in) "
              "as TOML, or as JSON with --json; secrets are shown as [REDACTED]");
  show->callback([&ctx] {
    ctx.run = [&ctx] {
      const Config& c = ctx.config();
      if (ctx.global.json) {
        nlohmann::json j = {{"ok", true},
                            {"source", source_json(c)},
                            {"config", config_json(c)}};
        print(j.dump(2) + "\n");
      } else {
        print(config_toml(c));
      }
      return 0;
    };
  });
}

}  // namespace dns01::cli
