// A [providers.<name>] table checked against its provider.toml and turned into the typed
// provider::Settings the factory receives.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "dns01/log.hpp"
#include "dns01/plugins/metadata.hpp"

namespace dns01::plugins {

namespace {

using provider::Value;
using provider::ValueKind;

// Environment variables only carry text, so their values are converted to the declared kind;
// values from the TOML file must already have the right TOML type.
bool from_environment(const ProviderValue& v) { return v.where.file == "environment"; }

std::string describe(const ProviderScalar& value) {
  switch (value.index()) {
    case 0: return "a string";
    case 1: return "an integer";
    case 2: return "a floating-point number";
    case 3: return "a boolean";
    default: return "an array";
  }
}

std::optional<std::int64_t> to_integer(std::string_view text) {
  std::int64_t out = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return out;
}

std::optional<bool> to_boolean(std::string_view text) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "0" || text == "no" || text == "off") return false;
  return std::nullopt;
}

// Converts one given value; on failure returns nullopt and sets `problem` (never quoting a
// secret).
std::optional<Value> convert(const ConfigKeySpec& spec, const ProviderValue& given,
                             std::string& problem) {
  Value v;
  v.kind = spec.kind;
  v.secret = spec.secret || given.secret;
  const auto* text = std::get_if<std::string>(&given.value);
  const bool env = from_environment(given);
  switch (spec.kind) {
    case ValueKind::string:
      if (text) {
        v.text = *text;
        return v;
      }
      break;
    case ValueKind::integer:
      if (auto i = std::get_if<std::int64_t>(&given.value)) {
        v.integer = *i;
        v.text = std::to_string(*i);
        return v;
      }
      if (text && env) {
        if (auto i = to_integer(*text)) {
          v.integer = *i;
          v.text = *text;
          return v;
        }
        problem = "must be an integer";
        return std::nullopt;
      }
      break;
    case ValueKind::boolean:
      if (auto b = std::get_if<bool>(&given.value)) {
        v.boolean = *b;
        v.text = *b ? "true" : "false";
        return v;
      }
      if (text && env) {
        if (auto b = to_boolean(*text)) {
          v.boolean = *b;
          v.text = *text;
          return v;
        }
        problem = "must be true or false";
        return std::nullopt;
      }
      break;
    case ValueKind::duration:
      try {
        if (text) {
          v.integer = parse_duration(*text).count();
          v.text = *text;
          return v;
        }
        if (auto i = std::get_if<std::int64_t>(&given.value)) {
          v.integer = parse_duration(std::to_string(*i)).count();
          v.text = std::to_string(*i) + "s";
          return v;
        }
      } catch (const std::invalid_argument& e) {
        problem = fmt::format("is not a duration ({}); write e.g. \"30s\", \"2m\" or \"500ms\"",
                              e.what());
        return std::nullopt;
      }
      break;
    case ValueKind::string_list:
      if (auto list = std::get_if<std::vector<std::string>>(&given.value)) {
        v.list = *list;
        return v;
      }
      if (text && env) {  // comma-separated in a variable
        std::string_view rest = *text;
        while (!rest.empty()) {
          auto comma = rest.find(',');
          std::string_view item = rest.substr(0, comma);
          while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
          while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
          if (!item.empty()) v.list.emplace_back(item);
          rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        }
        v.text = *text;
        return v;
      }
      break;
  }
  problem = fmt::format("must be {} {} (got {})",
                        spec.kind == ValueKind::integer ? "an" : "a",
                        spec.kind == ValueKind::string_list ? "array of strings"
                                                            : value_kind_name(spec.kind),
                        describe(given.value));
  return std::nullopt;
}

std::string subject(const ProviderInstanceConfig& instance, std::string_view key) {
  return fmt::format("'{}' in [providers.{}]", key, instance.name);
}

void add_issue(std::vector<ConfigIssue>& issues, const SourceLocation& where, std::string msg) {
  issues.push_back({where.file, where.line, where.column, std::move(msg)});
}

// `choices`, `min` and `max` of one converted value; empty when it fits. Never quotes a secret.
// Choices match without regard to ASCII case: certbot users write HMAC-SHA256, lego users
// hmac-sha256, and both mean the same.
bool same_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x - 'A' + 'a' : x) == (y >= 'A' && y <= 'Z' ? y - 'A' + 'a' : y);
         });
}

std::string out_of_bounds(const ConfigKeySpec& spec, const Value& v) {
  if (!spec.choices.empty() &&
      std::none_of(spec.choices.begin(), spec.choices.end(),
                   [&](const std::string& c) { return same_ignoring_case(c, v.text); }))
    // The key's description goes along: it says why other values are refused (rfc2136:
    // "hmac-sha384 ... ldns breaks it"), which the list alone cannot.
    return fmt::format("must be one of {}{} — {}", fmt::join(spec.choices, ", "),
                       v.secret ? "" : fmt::format(" (got '{}')", v.text), spec.description);
  if (spec.kind != ValueKind::integer && spec.kind != ValueKind::duration) return {};
  auto show = [&](std::int64_t n) {
    return spec.kind == ValueKind::integer ? std::to_string(n) : fmt::format("{} ms", n);
  };
  if (spec.min && v.integer < *spec.min)
    return fmt::format("must be at least {} (got {})", show(*spec.min), show(v.integer));
  if (spec.max && v.integer > *spec.max)
    return fmt::format("must be at most {} (got {})", show(*spec.max), show(v.integer));
  return {};
}

// The table's own keys plus, for each declared key the table leaves out, the first of its `env`
// aliases that is set (VAR, then VAR_FILE read as a secret file). Problems reading a VAR_FILE
// become issues.
std::map<std::string, ProviderValue> with_env_aliases(const ProviderInstanceConfig& instance,
                                                      const ProviderMetadata& metadata,
                                                      const Environment& env,
                                                      std::vector<ConfigIssue>& issues) {
  std::map<std::string, ProviderValue> given = instance.settings;
  for (const auto& spec : metadata.keys) {
    if (given.count(spec.key)) continue;
    for (const auto& var : spec.env) {
      const SourceLocation where{"environment", 0, 0};
      if (auto it = env.find(var); it != env.end() && !it->second.empty()) {
        if (spec.secret) Redactor::global().add_secret(it->second);
        given[spec.key] = ProviderValue{it->second, where, spec.secret};
        Logger::global().debug("plugins", "[providers.{}] '{}' from ${}", instance.name,
                               spec.key, var);
        break;
      }
      if (auto it = env.find(var + "_FILE"); it != env.end() && !it->second.empty()) {
        try {
          const SourceLocation file_where{var + "_FILE", 0, 0};
          given[spec.key] = ProviderValue{read_secret_file(it->second, false, file_where),
                                          where, true};
          Logger::global().debug("plugins", "[providers.{}] '{}' from the file in ${}_FILE",
                                 instance.name, spec.key, var);
        } catch (const ConfigError& e) {
          for (const auto& issue : e.issues()) issues.push_back(issue);
        }
        break;
      }
    }
  }
  return given;
}

// [[one_of]] and [[requires]] over the keys given (in the table or through env aliases).
void check_rules(const ProviderInstanceConfig& instance, const ProviderMetadata& metadata,
                 const std::map<std::string, ProviderValue>& given,
                 std::vector<ConfigIssue>& issues) {
  const std::string table = fmt::format("[providers.{}] (type {})", instance.name, metadata.code);
  for (const auto& rule : metadata.one_of) {
    std::vector<std::string> present;
    for (const auto& key : rule.keys)
      if (given.count(key)) present.push_back(key);
    if (present.size() > 1) {
      const auto& where = given.at(present[1]).where;
      add_issue(issues, where.file == "environment" ? instance.where : where,
                fmt::format("{} gives {}: use only one of {}", table, fmt::join(present, " and "),
                            fmt::join(rule.keys, ", ")));
    } else if (present.empty() && rule.required) {
      add_issue(issues, instance.where,
                fmt::format("{} needs one of {}", table, fmt::join(rule.keys, ", ")));
    }
  }
  for (const auto& rule : metadata.requirements) {
    auto it = given.find(rule.key);
    if (it == given.end()) continue;
    std::vector<std::string> missing;
    for (const auto& key : rule.keys)
      if (!given.count(key)) missing.push_back(key);
    if (!missing.empty())
      add_issue(issues, it->second.where.file == "environment" ? instance.where : it->second.where,
                fmt::format("{}: '{}' needs {} too", table, rule.key, fmt::join(missing, ", ")));
  }
}

// Does the work of both public functions: issues always, settings when `out` is set.
std::vector<ConfigIssue> check(const ProviderInstanceConfig& instance,
                               const ProviderMetadata& metadata, const Environment& env,
                               provider::Settings* out) {
  std::vector<ConfigIssue> issues;
  std::vector<std::string> known;
  for (const auto& spec : metadata.keys) known.push_back(spec.key);

  const auto given_values = with_env_aliases(instance, metadata, env, issues);
  for (const auto& [key, given] : given_values) {
    const ConfigKeySpec* spec = metadata.find(key);
    if (!spec) {
      std::string msg = fmt::format("{}: unknown key for provider '{}'", subject(instance, key),
                                    metadata.code);
      if (auto guess = did_you_mean(key, known))
        msg += fmt::format(" (did you mean '{}'?)", *guess);
      else if (!known.empty())
        msg += fmt::format(" (known keys: {})", fmt::join(known, ", "));
      add_issue(issues, given.where, std::move(msg));
      continue;
    }
    std::string problem;
    auto value = convert(*spec, given, problem);
    if (value) problem = out_of_bounds(*spec, *value);
    if (!problem.empty()) {
      add_issue(issues, given.where, fmt::format("{} {}", subject(instance, key), problem));
      continue;
    }
    if (value->secret) {
      Redactor::global().add_secret(value->text);
      for (const auto& s : value->list) Redactor::global().add_secret(s);
    }
    if (out) out->values[key] = std::move(*value);
  }
  check_rules(instance, metadata, given_values, issues);
  for (const auto& spec : metadata.keys) {
    if (given_values.count(spec.key)) continue;
    if (spec.required) {
      std::string alternatives = spec.secret ? fmt::format(" (or '{}_file')", spec.key) : "";
      if (!spec.env.empty())
        alternatives += fmt::format(" (or ${})", fmt::join(spec.env, " / $"));
      add_issue(issues, instance.where,
                fmt::format("[providers.{}] (type {}) needs '{}'{}: {}", instance.name,
                            metadata.code, spec.key, alternatives, spec.description));
    } else if (spec.default_value && out) {
      out->values[spec.key] = *spec.default_value;
    }
  }
  return issues;
}

}  // namespace

std::vector<ConfigIssue> validate_provider_settings(const ProviderInstanceConfig& instance,
                                                    const ProviderMetadata& metadata,
                                                    const Environment& env) {
  return check(instance, metadata, env, nullptr);
}

provider::Settings make_provider_settings(const ProviderInstanceConfig& instance,
                                          const ProviderMetadata& metadata,
                                          const Environment& env) {
  provider::Settings settings;
  settings.instance = instance.name;
  settings.code = metadata.code;
  settings.zones = instance.zones;
  auto issues = check(instance, metadata, env, &settings);
  if (!issues.empty())
    throw ConfigError(std::move(issues), fmt::format("see `dns01 providers` or docs/providers/{}.md "
                                                     "for the keys of provider '{}'",
                                                     metadata.code, metadata.code));
  return settings;
}

}  // namespace dns01::plugins
