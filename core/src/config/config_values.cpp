// Raw values (file or environment) into typed values, collecting problems instead of throwing.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "config_internal.hpp"

namespace dns01::config_detail {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string got(const RawValue& raw) { return "got " + describe_type(*raw.node); }

}  // namespace

void Issues::add(const ConfigError& e) {
  if (e.issues().empty()) {
    items.push_back({"", 0, 0, e.what()});
    return;
  }
  items.insert(items.end(), e.issues().begin(), e.issues().end());
}

SourceLocation location(const std::string& file, const toml::source_region& region) {
  return {file, static_cast<int>(region.begin.line), static_cast<int>(region.begin.column)};
}

std::string describe_type(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

std::optional<std::string> get_string(const RawValue& raw, Issues& issues, bool secret) {
  if (raw.from_env()) return raw.text;
  if (auto s = raw.node->as_string()) return s->get();
  (void)secret;  // a type error names the type, never the value, so secrets are safe either way
  issues.add(raw.where, fmt::format("{} must be a string ({})", raw.subject, got(raw)));
  return std::nullopt;
}

std::optional<bool> get_bool(const RawValue& raw, Issues& issues) {
  if (!raw.from_env()) {
    if (auto b = raw.node->as_boolean()) return b->get();
    issues.add(raw.where, fmt::format("{} must be true or false ({})", raw.subject, got(raw)));
    return std::nullopt;
  }
  const std::string v = lower(trim(raw.text));
  if (v == "true" || v == "yes" || v == "1" || v == "on") return true;
  if (v == "false" || v == "no" || v == "0" || v == "off") return false;
  issues.add(raw.where, fmt::format("{} must be true or false (got '{}')", raw.subject, raw.text));
  return std::nullopt;
}

std::optional<std::int64_t> get_int(const RawValue& raw, Issues& issues) {
  if (!raw.from_env()) {
    if (auto i = raw.node->as_integer()) return i->get();
    issues.add(raw.where, fmt::format("{} must be an integer ({})", raw.subject, got(raw)));
    return std::nullopt;
  }
  const std::string v = trim(raw.text);
  std::int64_t out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size()) {
    issues.add(raw.where, fmt::format("{} must be an integer (got '{}')", raw.subject, raw.text));
    return std::nullopt;
  }
  return out;
}

std::optional<std::uint16_t> get_port(const RawValue& raw, Issues& issues) {
  auto v = get_int(raw, issues);
  if (!v) return std::nullopt;
  if (*v < 1 || *v > 65535) {
    issues.add(raw.where,
               fmt::format("{} must be a port number in 1..65535 (got {})", raw.subject, *v));
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(*v);
}

std::optional<std::chrono::milliseconds> get_duration(const RawValue& raw, Issues& issues) {
  std::string text;
  if (raw.from_env()) {
    text = raw.text;
  } else if (auto s = raw.node->as_string()) {
    text = s->get();
  } else if (auto i = raw.node->as_integer()) {
    if (i->get() < 0) {
      issues.add(raw.where, fmt::format("{} must not be negative (got {})", raw.subject, i->get()));
      return std::nullopt;
    }
    text = std::to_string(i->get());
  } else {
    issues.add(raw.where,
               fmt::format("{} must be a duration like \"90s\" ({})", raw.subject, got(raw)));
    return std::nullopt;
  }
  try {
    return parse_duration(text);
  } catch (const std::invalid_argument& e) {
    issues.add(raw.where, fmt::format("{}: {}", raw.subject, e.what()));
    return std::nullopt;
  }
}

std::optional<std::vector<std::string>> get_string_list(const RawValue& raw, Issues& issues) {
  std::vector<std::string> out;
  if (raw.from_env()) {
    std::string_view rest = raw.text;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      std::string item = trim(rest.substr(0, comma));
      if (!item.empty()) out.push_back(std::move(item));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    return out;
  }
  const toml::array* array = raw.node->as_array();
  if (!array) {
    issues.add(raw.where, fmt::format("{} must be an array of strings like [\"a\", \"b\"] ({})",
                                      raw.subject, got(raw)));
    return std::nullopt;
  }
  bool ok = true;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    if (auto s = element.as_string()) {
      out.push_back(s->get());
    } else {
      issues.add(location(raw.where.file, element.source()),
                 fmt::format("{} must hold only strings (element {} is {})", raw.subject, i + 1,
                             describe_type(element)));
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

SectionInput gather_section(const toml::table* table, const std::string& section,
                            const std::string& file, const std::vector<std::string>& known_keys,
                            const std::vector<const EnvOverride*>& env, Issues& issues) {
  SectionInput in;
  const bool any_key = known_keys.empty();
  auto known = [&](const std::string& k) {
    return any_key || std::find(known_keys.begin(), known_keys.end(), k) != known_keys.end();
  };
  if (table) {
    for (auto&& [k, node] : *table) {
      const std::string key(k.str());
      RawValue raw{&node, {}, location(file, node.source()),
                   fmt::format("'{}' in [{}]", key, section)};
      const SourceLocation key_where = location(file, k.source());
      const bool file_variant = key.size() > 5 && key.ends_with("_file");
      const std::string base = file_variant ? key.substr(0, key.size() - 5) : key;
      if (file_variant && known(base)) {
        if (in.values.count(base))
          issues.add(key_where, fmt::format("'{}' and '{}' are both given in [{}]; keep one",
                                            base, key, section));
        in.files[base] = std::move(raw);
      } else if (known(key)) {
        if (in.files.count(key))
          issues.add(key_where, fmt::format("'{}' and '{}_file' are both given in [{}]; keep one",
                                            key, key, section));
        in.values[key] = std::move(raw);
      } else {
        std::string message = fmt::format("unknown key '{}' in [{}]", key, section);
        if (auto near = did_you_mean(key, known_keys))
          message += fmt::format(" (did you mean '{}'?)", *near);
        issues.add(key_where, std::move(message));
      }
    }
  }
  // The environment wins over the file, whether the file gave `k` or `k_file`.
  std::set<std::string> from_env;
  for (const EnvOverride* o : env) {
    if (o->key.empty() || !known(o->key)) {
      std::string message = fmt::format("{}: unknown setting '{}' for [{}]", o->var, o->key, section);
      if (auto near = did_you_mean(o->key, known_keys)) {
        std::string prefix = o->var.substr(0, o->var.size() - o->key.size() -
                                                  (o->is_file ? 5 : 0));
        std::string upper = *near;
        for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        message += fmt::format(" (did you mean {}{}?)", prefix, upper);
      }
      issues.add(kEnvironment, std::move(message));
      continue;
    }
    if (!from_env.insert(o->key).second) {
      issues.add(kEnvironment,
                 fmt::format("{}: both the value and its _FILE variant are set; keep one", o->var));
      continue;
    }
    RawValue raw{nullptr, o->value, kEnvironment, o->var};
    if (o->is_file) {
      in.values.erase(o->key);
      in.files[o->key] = std::move(raw);
    } else {
      in.files.erase(o->key);
      in.values[o->key] = std::move(raw);
    }
  }
  return in;
}

std::optional<std::string> resolve_string(const SectionInput& in, const std::string& key,
                                          bool secret, bool allow_insecure, Issues& issues) {
  if (auto f = in.files.find(key); f != in.files.end()) {
    const RawValue& raw = f->second;
    auto path = get_string(raw, issues);
    if (!path) return std::nullopt;
    try {
      return read_secret_file(*path, allow_insecure, raw.where);
    } catch (const ConfigError& e) {
      for (ConfigIssue issue : e.issues()) {
        if (raw.from_env()) issue.message = raw.subject + ": " + issue.message;
        issues.items.push_back(std::move(issue));
      }
      return std::nullopt;
    }
  }
  if (auto v = in.values.find(key); v != in.values.end()) {
    auto value = get_string(v->second, issues, secret);
    if (value && secret) Redactor::global().add_secret(*value);
    return value;
  }
  return std::nullopt;
}

bool looks_secret(std::string_view key) {
  const std::string k = lower(key);
  // A provider's `credentials` names a credentials *file* (certbot's cloudflare.ini): its path is
  // no secret and must stay readable in errors ("chmod 600 /etc/letsencrypt/cloudflare.ini").
  if (k == "credentials") return false;
  for (std::string_view word : {"secret", "token", "password", "passwd", "hmac", "credential",
                                "private_key", "api_key", "apikey"})
    if (k.find(word) != std::string::npos) return true;
  return false;
}

}  // namespace dns01::config_detail
