// provider.toml parsing (see dns01/plugins/metadata.hpp for the format).
#include "dns01/plugins/metadata.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace dns01::plugins {

namespace {

using provider::Value;
using provider::ValueKind;

struct Collector {
  std::string file;
  std::vector<ConfigIssue> issues;
  void add(const toml::source_region& where, std::string message) {
    issues.push_back({file, static_cast<int>(where.begin.line),
                      static_cast<int>(where.begin.column), std::move(message)});
  }
};

bool valid_identifier(std::string_view s, bool allow_underscore) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (allow_underscore && c == '_');
  });
}

std::string text_of(const toml::table& t, std::string_view key, Collector& c, bool required,
                    const std::string& where) {
  const toml::node* n = t.get(key);
  if (!n) {
    if (required) c.add(t.source(), fmt::format("{} needs '{}'", where, key));
    return {};
  }
  if (auto s = n->as_string()) return s->get();
  c.add(n->source(), fmt::format("'{}' in {} must be a string", key, where));
  return {};
}

std::vector<std::string> list_of(const toml::table& t, std::string_view key, Collector& c,
                                 const std::string& where) {
  std::vector<std::string> out;
  const toml::node* n = t.get(key);
  if (!n) return out;
  const toml::array* a = n->as_array();
  bool ok = a != nullptr;
  if (a)
    for (auto&& item : *a) {
      if (auto s = item.as_string())
        out.push_back(s->get());
      else
        ok = false;
    }
  if (!ok) c.add(n->source(), fmt::format("'{}' in {} must be an array of strings", key, where));
  return out;
}

bool flag_of(const toml::table& t, std::string_view key, Collector& c) {
  const toml::node* n = t.get(key);
  if (!n) return false;
  if (auto b = n->as_boolean()) return b->get();
  c.add(n->source(), fmt::format("'{}' must be true or false", key));
  return false;
}

// A `default` of the declared kind, or nullopt after recording why not.
std::optional<Value> default_of(const toml::node& n, ValueKind kind, Collector& c) {
  Value v;
  v.kind = kind;
  switch (kind) {
    case ValueKind::string:
      if (auto s = n.as_string()) {
        v.text = s->get();
        return v;
      }
      break;
    case ValueKind::integer:
      if (auto i = n.as_integer()) {
        v.integer = i->get();
        v.text = std::to_string(v.integer);
        return v;
      }
      break;
    case ValueKind::boolean:
      if (auto b = n.as_boolean()) {
        v.boolean = b->get();
        v.text = v.boolean ? "true" : "false";
        return v;
      }
      break;
    case ValueKind::duration:
      try {
        if (auto s = n.as_string()) {
          v.integer = parse_duration(s->get()).count();
          v.text = s->get();
          return v;
        }
        if (auto i = n.as_integer()) {
          v.integer = parse_duration(std::to_string(i->get())).count();
          v.text = std::to_string(i->get()) + "s";
          return v;
        }
      } catch (const std::invalid_argument& e) {
        c.add(n.source(), fmt::format("default: {}", e.what()));
        return std::nullopt;
      }
      break;
    case ValueKind::string_list:
      if (auto a = n.as_array()) {
        bool ok = true;
        for (auto&& item : *a) {
          if (auto s = item.as_string())
            v.list.push_back(s->get());
          else
            ok = false;
        }
        if (ok) {
          std::string joined;
          for (const auto& s : v.list) joined += (joined.empty() ? "" : ",") + s;
          v.text = joined;
          return v;
        }
      }
      break;
  }
  c.add(n.source(), fmt::format("default must be of type {}", value_kind_name(kind)));
  return std::nullopt;
}

void parse_key(const toml::table& t, ProviderMetadata& meta, Collector& c) {
  ConfigKeySpec spec;
  spec.key = text_of(t, "key", c, true, "[[config]]");
  const std::string where = fmt::format("[[config]] '{}'", spec.key);
  if (!spec.key.empty()) {
    if (!valid_identifier(spec.key, true))
      c.add(t.source(), fmt::format("{}: keys use lower-case letters, digits and '_'", where));
    if (spec.key == "type" || spec.key == "zones" || spec.key == "ca_bundle" ||
        spec.key.ends_with("_file"))
      c.add(t.source(), fmt::format("{}: 'type', 'zones', 'ca_bundle' and '*_file' are reserved "
                                    "by the host (every key accepts <key>_file already)",
                                    where));
    if (meta.find(spec.key)) c.add(t.source(), fmt::format("{} is declared twice", where));
  }
  const std::string type = text_of(t, "type", c, true, where);
  if (auto kind = parse_value_kind(type))
    spec.kind = *kind;
  else if (!type.empty())
    c.add(t.source(), fmt::format("{}: unknown type '{}' (string, integer, boolean, duration, "
                                  "strings)",
                                  where, type));
  spec.required = flag_of(t, "required", c);
  spec.secret = flag_of(t, "secret", c);
  spec.description = text_of(t, "description", c, true, where);
  spec.example = text_of(t, "example", c, false, where);
  if (const toml::node* d = t.get("default")) {
    spec.default_value = default_of(*d, spec.kind, c);
    if (spec.required) c.add(d->source(), fmt::format("{}: a required key has no default", where));
    if (spec.secret) c.add(d->source(), fmt::format("{}: a secret has no default", where));
  }
  spec.env = list_of(t, "env", c, where);
  for (const auto& var : spec.env)
    if (var.empty() || !std::all_of(var.begin(), var.end(), [](char ch) {
          return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
        }))
      c.add(t.source(), fmt::format("{}: env '{}' is not an upper-case variable name", where, var));
  spec.choices = list_of(t, "choices", c, where);
  if (!spec.choices.empty() && spec.kind != ValueKind::string)
    c.add(t.source(), fmt::format("{}: choices are for string keys", where));
  for (const char* bound : {"min", "max"}) {
    const toml::node* n = t.get(bound);
    if (!n) continue;
    if (spec.kind != ValueKind::integer && spec.kind != ValueKind::duration) {
      c.add(n->source(), fmt::format("{}: {} is for integer and duration keys", where, bound));
      continue;
    }
    if (auto v = default_of(*n, spec.kind, c)) (bound[1] == 'i' ? spec.min : spec.max) = v->integer;
  }
  if (spec.min && spec.max && *spec.min > *spec.max)
    c.add(t.source(), fmt::format("{}: min is larger than max", where));
  for (auto&& [k, n] : t) {
    static const std::vector<std::string_view> known = {
        "key", "type", "required", "secret", "default", "env", "choices", "min", "max",
        "description", "example"};
    if (std::find(known.begin(), known.end(), k.str()) == known.end())
      c.add(n.source(), fmt::format("{}: unknown field '{}'", where, k.str()));
  }
  meta.keys.push_back(std::move(spec));
}

// Each [[one_of]] / [[requires]] table, checked to name declared keys only.
template <typename Fn>
void each_table(const toml::table& root, std::string_view name, Collector& c, Fn&& fn) {
  const toml::node* n = root.get(name);
  if (!n) return;
  auto* arr = n->as_array();
  if (!arr || !arr->is_array_of_tables()) {
    c.add(n->source(), fmt::format("{} must be [[{}]] tables", name, name));
    return;
  }
  for (auto&& item : *arr) fn(*item.as_table());
}

void parse_rules(const toml::table& root, ProviderMetadata& meta, Collector& c) {
  auto known = [&](const toml::table& t, const std::string& key, const std::string& where) {
    if (!meta.find(key))
      c.add(t.source(), fmt::format("{} names '{}', which no [[config]] declares", where, key));
  };
  each_table(root, "one_of", c, [&](const toml::table& t) {
    OneOfSpec rule;
    rule.keys = list_of(t, "keys", c, "[[one_of]]");
    rule.required = flag_of(t, "required", c);
    if (rule.keys.size() < 2) c.add(t.source(), "[[one_of]] needs at least two keys");
    for (const auto& k : rule.keys) {
      known(t, k, "[[one_of]]");
      if (const ConfigKeySpec* spec = meta.find(k); spec && spec->required)
        c.add(t.source(), fmt::format("[[one_of]]: '{}' is required on its own", k));
    }
    meta.one_of.push_back(std::move(rule));
  });
  each_table(root, "requires", c, [&](const toml::table& t) {
    RequiresSpec rule;
    rule.key = text_of(t, "key", c, true, "[[requires]]");
    rule.keys = list_of(t, "keys", c, "[[requires]]");
    if (rule.keys.empty()) c.add(t.source(), "[[requires]] needs keys = [...]");
    known(t, rule.key, "[[requires]]");
    for (const auto& k : rule.keys) known(t, k, "[[requires]]");
    meta.requirements.push_back(std::move(rule));
  });
}

}  // namespace

const ConfigKeySpec* ProviderMetadata::find(std::string_view key) const noexcept {
  for (const auto& spec : keys)
    if (spec.key == key) return &spec;
  return nullptr;
}

std::optional<ValueKind> parse_value_kind(std::string_view name) {
  if (name == "string") return ValueKind::string;
  if (name == "integer") return ValueKind::integer;
  if (name == "boolean") return ValueKind::boolean;
  if (name == "duration") return ValueKind::duration;
  if (name == "strings") return ValueKind::string_list;
  return std::nullopt;
}

const char* value_kind_name(ValueKind kind) noexcept {
  switch (kind) {
    case ValueKind::string: return "string";
    case ValueKind::integer: return "integer";
    case ValueKind::boolean: return "boolean";
    case ValueKind::duration: return "duration";
    case ValueKind::string_list: return "strings";
  }
  return "string";
}

ProviderMetadata parse_provider_metadata(std::string_view text, const std::string& source_name) {
  Collector c{source_name, {}};
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    c.add(e.source(), std::string(e.description()));
    throw ConfigError(std::move(c.issues), "fix the provider's provider.toml");
  }
  ProviderMetadata meta;
  meta.source = source_name;
  meta.code = text_of(root, "code", c, true, "provider.toml");
  if (!meta.code.empty() && !valid_identifier(meta.code, false))
    c.add(root.source(), fmt::format("code '{}' must use lower-case letters and digits only",
                                     meta.code));
  meta.name = text_of(root, "name", c, true, "provider.toml");
  meta.description = text_of(root, "description", c, true, "provider.toml");
  if (const toml::node* links = root.get("links")) {
    if (auto arr = links->as_array(); arr && arr->is_array_of_tables()) {
      for (auto&& item : *arr) {
        const toml::table& t = *item.as_table();
        ProviderLink link{text_of(t, "title", c, true, "[[links]]"),
                          text_of(t, "url", c, true, "[[links]]")};
        meta.links.push_back(std::move(link));
      }
    } else {
      c.add(links->source(), "links must be [[links]] tables with title and url");
    }
  }
  if (const toml::node* keys = root.get("config")) {
    if (auto arr = keys->as_array(); arr && arr->is_array_of_tables()) {
      for (auto&& item : *arr) parse_key(*item.as_table(), meta, c);
    } else {
      c.add(keys->source(), "config must be [[config]] tables, one per key");
    }
  }
  parse_rules(root, meta, c);
  for (auto&& [k, n] : root) {
    static const std::vector<std::string_view> known = {"code", "name", "description", "links",
                                                        "config", "one_of", "requires"};
    if (std::find(known.begin(), known.end(), k.str()) == known.end())
      c.add(n.source(), fmt::format("unknown top-level key '{}'", k.str()));
  }
  if (!c.issues.empty()) throw ConfigError(std::move(c.issues), "fix the provider's provider.toml");
  return meta;
}

ProviderMetadata load_provider_metadata(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw ConfigError("read provider metadata", fmt::format("cannot read {}", path.string()),
                      "every provider module needs its provider.toml beside it; reinstall the "
                      "provider");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_provider_metadata(text.str(), path.string());
}

}  // namespace dns01::plugins
