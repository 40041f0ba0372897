// [providers.<name>] tables: type, zones, and every other key kept typed for the plugin to check.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "config_internal.hpp"

namespace dns01::config_detail {

namespace {

bool valid_code(std::string_view s) {
  return !s.empty() && std::isalnum(static_cast<unsigned char>(s.front())) &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return std::islower(static_cast<unsigned char>(c)) ||
                  std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_';
         });
}

// A provider value as written in the file: scalars and arrays of strings. Nested tables and
// dates have no use in a provider's settings and are refused here rather than in the plugin.
std::optional<ProviderScalar> scalar_of(const RawValue& raw, Issues& issues) {
  if (raw.from_env()) return ProviderScalar{raw.text};
  const toml::node& n = *raw.node;
  if (auto v = n.as_string()) return ProviderScalar{v->get()};
  if (auto v = n.as_integer()) return ProviderScalar{v->get()};
  if (auto v = n.as_floating_point()) return ProviderScalar{v->get()};
  if (auto v = n.as_boolean()) return ProviderScalar{v->get()};
  if (n.is_array()) {
    if (auto list = get_string_list(raw, issues)) return ProviderScalar{*list};
    return std::nullopt;
  }
  issues.add(raw.where,
             fmt::format("{} must be a string, number, boolean or array of strings (got {})",
                         raw.subject, describe_type(n)));
  return std::nullopt;
}

void register_secret(const ProviderScalar& value) {
  if (auto s = std::get_if<std::string>(&value)) Redactor::global().add_secret(*s);
  if (auto list = std::get_if<std::vector<std::string>>(&value))
    for (const auto& s : *list) Redactor::global().add_secret(s);
}

ProviderInstanceConfig parse_one(const std::string& name, const toml::table* table,
                                 const std::string& file,
                                 const std::vector<const EnvOverride*>& env, bool insecure,
                                 Issues& issues) {
  ProviderInstanceConfig p;
  p.name = name;
  p.where = table ? location(file, table->source()) : kEnvironment;
  const std::string section = "providers." + name;
  const std::string label = table ? fmt::format("[{}]", section)
                                  : fmt::format("[{}] (from DNS01_PROVIDERS_* variables)", section);
  SectionInput in = gather_section(table, section, file, {}, env, issues);

  for (const char* key : {"type", "zones", "ca_bundle"}) {
    if (auto f = in.files.find(key); f != in.files.end()) {
      issues.add(f->second.where,
                 fmt::format("{} cannot be read from a file; give '{}' directly",
                             f->second.subject, key));
      in.files.erase(f);
    }
  }
  if (auto v = in.values.find("type"); v != in.values.end()) {
    if (auto type = get_string(v->second, issues)) {
      if (valid_code(*type))
        p.type = *type;
      else
        issues.add(v->second.where,
                   fmt::format("{}: '{}' is not a provider code (lower-case letters, digits, "
                               "'-', '_'; see `dns01 providers`)",
                               v->second.subject, *type));
    }
    in.values.erase(v);
  } else {
    issues.add(p.where, fmt::format("{} has no 'type': name the provider, e.g. type = "
                                    "\"rfc2136\" (see `dns01 providers`)",
                                    label));
  }

  if (auto v = in.values.find("zones"); v != in.values.end()) {
    if (auto zones = get_string_list(v->second, issues)) {
      for (const auto& z : *zones) {
        try {
          std::string zone = normalize_dns_name(z);
          if (std::find(p.zones.begin(), p.zones.end(), zone) != p.zones.end())
            issues.add(v->second.where,
                       fmt::format("{}: zone '{}' is listed twice", v->second.subject, zone));
          else
            p.zones.push_back(std::move(zone));
        } catch (const std::invalid_argument& e) {
          issues.add(v->second.where, fmt::format("{}: {}", v->second.subject, e.what()));
        }
      }
      if (zones->empty())
        issues.add(v->second.where, fmt::format("{} is empty: list the zones this provider "
                                                "serves, e.g. zones = [\"example.com\"]",
                                                v->second.subject));
    }
    in.values.erase(v);
  } else {
    issues.add(p.where, fmt::format("{} has no 'zones': list the zones this provider serves, "
                                    "e.g. zones = [\"example.com\"]",
                                    label));
  }

  if (auto v = in.values.find("ca_bundle"); v != in.values.end()) {
    if (auto path = get_string(v->second, issues)) {
      std::error_code ec;
      if (!std::filesystem::is_regular_file(*path, ec))
        issues.add(v->second.where,
                   fmt::format("{}: '{}' is not a readable file (a PEM bundle of the CA "
                               "certificates to trust for this provider's API)",
                               v->second.subject, *path));
      else
        p.ca_bundle = *path;
    }
    in.values.erase(v);
  }

  for (const auto& [key, raw] : in.values) {
    auto value = scalar_of(raw, issues);
    if (!value) continue;
    const bool secret = looks_secret(key);
    if (secret) register_secret(*value);
    p.settings[key] = ProviderValue{std::move(*value), raw.where, secret};
  }
  for (const auto& [key, raw] : in.files) {
    SectionInput only;
    only.files.emplace(key, raw);
    if (auto value = resolve_string(only, key, true, insecure, issues)) {
      if (p.settings.count(key))
        issues.add(raw.where, fmt::format("{}: '{}' is also given directly; keep one",
                                          raw.subject, key));
      p.settings[key] = ProviderValue{*value, raw.where, true};
    }
  }
  return p;
}

}  // namespace

void parse_providers(const toml::node* providers, const std::string& file,
                     const std::vector<EnvOverride>& env, Config& config, Issues& issues) {
  // Table names in file order of appearance is not kept by toml++; sorted names are stable.
  std::vector<std::pair<std::string, const toml::table*>> tables;
  if (const toml::table* all = providers ? providers->as_table() : nullptr) {
    for (auto&& [k, node] : *all) {
      const std::string name(k.str());
      if (!node.is_table()) {
        issues.add(location(file, node.source()),
                   fmt::format("'{}' in [providers] must be a table [providers.{}] holding type "
                               "and zones (got {})",
                               name, name, describe_type(node)));
        continue;
      }
      if (!valid_code(name)) {
        issues.add(location(file, k.source()),
                   fmt::format("provider table name '{}' must use lower-case letters, digits, "
                               "'-' or '_'",
                               name));
        continue;
      }
      tables.emplace_back(name, node.as_table());
    }
  }
  // Tables that only exist in the environment (DNS01_PROVIDERS_<NAME>_TYPE, ..._ZONES).
  for (const auto& o : env) {
    if (o.section != "providers") continue;
    const bool known = std::any_of(tables.begin(), tables.end(),
                                   [&](const auto& t) { return t.first == o.provider; });
    if (known) continue;
    if (!valid_code(o.provider)) {
      issues.add(kEnvironment, fmt::format("{}: '{}' is not a valid provider table name", o.var,
                                           o.provider));
      continue;
    }
    tables.emplace_back(o.provider, nullptr);
  }

  std::map<std::string, std::string> owner;  // zone -> provider table
  for (const auto& [name, table] : tables) {
    std::vector<const EnvOverride*> mine;
    for (const auto& o : env)
      if (o.section == "providers" && o.provider == name) mine.push_back(&o);
    ProviderInstanceConfig p =
        parse_one(name, table, file, mine, config.allow_insecure_secret_files, issues);
    for (const auto& zone : p.zones) {
      auto [it, inserted] = owner.emplace(zone, name);
      if (!inserted)
        issues.add(p.where,
                   fmt::format("zone '{}' is claimed by both [providers.{}] and [providers.{}]; "
                               "a zone belongs to one table (a sub-zone such as 'sub.{}' may go "
                               "to another)",
                               zone, it->second, name, zone));
    }
    config.providers.push_back(std::move(p));
  }
}

}  // namespace dns01::config_detail
