// parse_config: TOML text + environment -> validated Config, every problem reported at once.
#include <fmt/format.h>

#include <algorithm>

#include "config_internal.hpp"

namespace dns01 {

using namespace config_detail;

namespace {

constexpr const char* kHint = "fix the lines above (`dns01 config check` validates without doing "
                              "anything; docs/configuration.md lists every key)";

// Issues in file order, those from the environment after them.
void sort_issues(std::vector<ConfigIssue>& issues) {
  std::stable_sort(issues.begin(), issues.end(), [](const ConfigIssue& a, const ConfigIssue& b) {
    const bool ea = a.file == "environment", eb = b.file == "environment";
    if (ea != eb) return eb;
    if (a.line != b.line) return a.line < b.line;
    return a.column < b.column;
  });
}

}  // namespace

Config parse_config(std::string_view text, const std::string& source_name,
                    const LoadOptions& options) {
  const std::string file = source_name.empty() ? std::string("<config>") : source_name;
  Config config;
  if (!source_name.empty()) config.source = source_name;
  config.allow_insecure_secret_files = options.allow_insecure_secret_files;
  Issues issues;

  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    // toml++ stops at the first syntax error; its description never holds more than a few
    // characters of the input, but redact anyway in case that is part of a secret.
    issues.add(location(file, e.source()),
               fmt::format("TOML syntax error: {}", Redactor::global().apply(e.description())));
    throw ConfigError(std::move(issues.items), kHint);
  }

  std::vector<std::string> sections;
  for (const auto& [name, keys] : kSectionKeys) sections.push_back(name);
  sections.push_back("providers");
  for (auto&& [k, node] : root) {
    const std::string key(k.str());
    const bool known = std::find(sections.begin(), sections.end(), key) != sections.end();
    if (known && !node.is_table()) {
      issues.add(location(file, node.source()),
                 fmt::format("'{}' must be a table [{}] (got {})", key, key, describe_type(node)));
    } else if (!known) {
      std::string message = node.is_table() ? fmt::format("unknown section [{}]", key)
                                            : fmt::format("unknown top-level key '{}'", key);
      if (auto near = did_you_mean(key, sections))
        message += fmt::format(" (did you mean [{}]?)", *near);
      issues.add(location(file, k.source()), std::move(message));
    }
  }

  std::vector<std::string> provider_names;
  if (const toml::table* p = root["providers"].as_table())
    for (auto&& [k, node] : *p) provider_names.emplace_back(k.str());
  const Environment env = options.env ? *options.env : process_environment();
  const std::vector<EnvOverride> overrides = env_overrides(env, provider_names);

  auto input = [&](const std::string& section) {
    std::vector<const EnvOverride*> mine;
    for (const auto& o : overrides)
      if (o.section == section) mine.push_back(&o);
    return gather_section(root[section].as_table(), section, file, kSectionKeys.at(section), mine,
                          issues);
  };
  // [security] first: it decides whether the secret files read below may be group-readable.
  parse_security(input("security"), config, issues);
  parse_acme(input("acme"), config, issues);
  parse_storage(input("storage"), config, issues);
  parse_propagation(input("propagation"), config, issues);
  parse_log(input("log"), config, issues);
  parse_providers(root.get("providers"), file, overrides, config, issues);

  if (!issues.empty()) {
    sort_issues(issues.items);
    throw ConfigError(std::move(issues.items), kHint);
  }
  return config;
}

}  // namespace dns01
