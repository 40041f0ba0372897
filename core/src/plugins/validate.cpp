// A [providers.<name>] table checked against its provider.toml and turned into the typed
// provider::Settings the factory receives.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>

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

// Does the work of both public functions: issues always, settings when `out` is set.
std::vector<ConfigIssue> check(const ProviderInstanceConfig& instance,
                               const ProviderMetadata& metadata, provider::Settings* out) {
  std::vector<ConfigIssue> issues;
  std::vector<std::string> known;
  for (const auto& spec : metadata.keys) known.push_back(spec.key);

  for (const auto& [key, given] : instance.settings) {
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
    if (!value) {
      add_issue(issues, given.where, fmt::format("{} {}", subject(instance, key), problem));
      continue;
    }
    if (value->secret) {
      Redactor::global().add_secret(value->text);
      for (const auto& s : value->list) Redactor::global().add_secret(s);
    }
    if (out) out->values[key] = std::move(*value);
  }
  for (const auto& spec : metadata.keys) {
    if (instance.settings.count(spec.key)) continue;
    if (spec.required) {
      add_issue(issues, instance.where,
                fmt::format("[providers.{}] (type {}) needs '{}'{}: {}", instance.name,
                            metadata.code, spec.key,
                            spec.secret ? fmt::format(" (or '{}_file')", spec.key) : "",
                            spec.description));
    } else if (spec.default_value && out) {
      out->values[spec.key] = *spec.default_value;
    }
  }
  return issues;
}

}  // namespace

std::vector<ConfigIssue> validate_provider_settings(const ProviderInstanceConfig& instance,
                                                    const ProviderMetadata& metadata) {
  return check(instance, metadata, nullptr);
}

provider::Settings make_provider_settings(const ProviderInstanceConfig& instance,
                                          const ProviderMetadata& metadata) {
  provider::Settings settings;
  settings.instance = instance.name;
  settings.code = metadata.code;
  settings.zones = instance.zones;
  auto issues = check(instance, metadata, &settings);
  if (!issues.empty())
    throw ConfigError(std::move(issues), fmt::format("see `dns01 providers` or docs/providers/{}.md "
                                                     "for the keys of provider '{}'",
                                                     metadata.code, metadata.code));
  return settings;
}

}  // namespace dns01::plugins
