// certificate_set.hpp: the `dns01 apply` file, read in one pass that collects every problem.
#include "dns01/flow/certificate_set.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "dns01/acme/ca.hpp"
#include "dns01/acme/keys.hpp"
#include "dns01/error.hpp"
#include "dns01/log.hpp"
#include "dns01/storage.hpp"

namespace dns01::flow {
namespace {

namespace fs = std::filesystem;

constexpr const char* kHint = "see docs/apply.md for the keys of [[certificate]] and [defaults]";

// Keys a [defaults] table may set; a [[certificate]] table also takes name and domains.
const std::vector<std::string> kOptionKeys = {
    "key_type", "server",          "ca_bundle", "eab_kid",      "eab_hmac_key", "eab_hmac_key_file",
    "profile",  "preferred_chain", "reuse_key", "deploy_hooks", "provider"};

// One layer ([defaults] or a [[certificate]]) as read: only what it sets.
struct Layer {
  std::optional<std::string> key_type, server, ca_bundle, eab_kid, eab_hmac_key, profile,
      preferred_chain, provider;
  std::optional<bool> reuse_key;
  std::optional<std::vector<std::string>> deploy_hooks;
};

struct Reader {
  const Config& config;
  std::string file;  // for messages
  fs::path base;     // folder relative paths start from
  std::vector<ConfigIssue> issues;

  void add(const toml::source_region& where, std::string message) {
    issues.push_back({file, static_cast<int>(where.begin.line),
                      static_cast<int>(where.begin.column), std::move(message)});
  }

  std::optional<std::string> string(const toml::table& t, const char* key) {
    const toml::node* node = t.get(key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_string()) {
      add(node->source(), fmt::format("'{}' must be a string", key));
      return std::nullopt;
    }
    return *node->value<std::string>();
  }

  std::optional<std::vector<std::string>> strings(const toml::table& t, const char* key) {
    const toml::node* node = t.get(key);
    if (node == nullptr) return std::nullopt;
    const toml::array* arr = node->as_array();
    if (arr == nullptr) {
      add(node->source(), fmt::format("'{}' must be an array of strings, e.g. {} = [\"a\", \"b\"]", key, key));
      return std::nullopt;
    }
    std::vector<std::string> out;
    for (const auto& item : *arr) {
      if (!item.is_string())
        add(item.source(), fmt::format("'{}' must hold strings only", key));
      else
        out.push_back(*item.value<std::string>());
    }
    return out;
  }

  fs::path resolve(const std::string& path) const {
    fs::path p(path);
    return p.is_relative() ? base / p : p;
  }

  void unknown_keys(const toml::table& t, const std::vector<std::string>& known, const char* where) {
    for (const auto& [k, node] : t) {
      const std::string key(k.str());
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      std::string message = fmt::format("unknown key '{}' in {}", key, where);
      if (auto near = did_you_mean(key, known)) message += fmt::format(" (did you mean '{}'?)", *near);
      add(k.source(), std::move(message));
    }
  }

  // Reads and checks every option key of `t`.
  Layer layer(const toml::table& t) {
    Layer l;
    if (auto v = string(t, "key_type")) {
      try {
        l.key_type = acme::key_type_name(acme::parse_key_type(*v));
      } catch (const Error& e) {
        add(t.get("key_type")->source(), fmt::format("key_type: {}", e.cause()));
      }
    }
    if (auto v = string(t, "server")) {
      try {
        acme::resolve_directory_url(*v);
        l.server = *v;
      } catch (const Error& e) {
        add(t.get("server")->source(), fmt::format("server: {}", e.cause()));
      }
    }
    if (auto v = string(t, "ca_bundle")) {
      fs::path p = resolve(*v);
      std::error_code ec;
      if (!fs::is_regular_file(p, ec))
        add(t.get("ca_bundle")->source(),
            fmt::format("ca_bundle: no file at {}; give the PEM bundle of the CA's TLS certificate", p.string()));
      else
        l.ca_bundle = p.string();
    }
    l.eab_kid = string(t, "eab_kid");
    if (t.contains("eab_hmac_key") && t.contains("eab_hmac_key_file")) {
      add(t.get("eab_hmac_key_file")->source(), "give eab_hmac_key or eab_hmac_key_file, not both");
    } else if (auto v = string(t, "eab_hmac_key")) {
      Redactor::global().add_secret(*v);
      l.eab_hmac_key = *v;
    } else if (auto f = string(t, "eab_hmac_key_file")) {
      const toml::node* node = t.get("eab_hmac_key_file");
      SourceLocation where{file, static_cast<int>(node->source().begin.line),
                           static_cast<int>(node->source().begin.column)};
      try {
        l.eab_hmac_key = read_secret_file(resolve(*f), config.allow_insecure_secret_files, where);
      } catch (const ConfigError& e) {
        for (const auto& issue : e.issues()) issues.push_back(issue);
        if (e.issues().empty()) add(node->source(), e.cause());
      }
    }
    l.profile = string(t, "profile");
    l.preferred_chain = string(t, "preferred_chain");
    if (const toml::node* node = t.get("reuse_key")) {
      if (node->is_boolean())
        l.reuse_key = *node->value<bool>();
      else
        add(node->source(), "'reuse_key' must be true or false");
    }
    l.deploy_hooks = strings(t, "deploy_hooks");
    if (auto v = string(t, "provider")) {
      std::vector<std::string> names;
      for (const auto& p : config.providers) names.push_back(p.name);
      if (std::find(names.begin(), names.end(), *v) != names.end()) {
        l.provider = *v;
      } else {
        std::string message = fmt::format("provider '{}' is not a [providers.<name>] table of {}", *v,
                                          config.source.empty() ? "the configuration" : config.source.string());
        if (auto near = did_you_mean(*v, names)) message += fmt::format(" (did you mean '{}'?)", *near);
        message += names.empty() ? "; it configures no provider"
                                 : fmt::format("; configured: {}", fmt::join(names, ", "));
        add(t.get("provider")->source(), std::move(message));
      }
    }
    return l;
  }
};

// Applies what a layer sets. A layer naming a server starts that CA's EAB afresh.
void apply_layer(IssueOptions& o, const Layer& l) {
  if (l.server) {
    o.server = *l.server;
    o.eab_kid.clear();
    o.eab_hmac_key.clear();
  }
  if (l.key_type) o.key_type = *l.key_type;
  if (l.ca_bundle) o.ca_bundle = *l.ca_bundle;
  if (l.eab_kid) o.eab_kid = *l.eab_kid;
  if (l.eab_hmac_key) o.eab_hmac_key = *l.eab_hmac_key;
  if (l.profile) o.profile = *l.profile;
  if (l.preferred_chain) o.preferred_chain = *l.preferred_chain;
  if (l.reuse_key) o.reuse_key = *l.reuse_key;
  if (l.deploy_hooks) o.deploy_hooks = *l.deploy_hooks;
  if (l.provider) o.provider = *l.provider;
}

std::string display_name(const std::string& source_name) {
  return fs::path(source_name).filename().string();
}

}  // namespace

CertificateSet parse_certificate_set(const Config& config, std::string_view text,
                                     const std::string& source_name) {
  Reader r{config, source_name, fs::path(source_name).parent_path(), {}};
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    r.add(e.source(), std::string(e.description()));
    throw ConfigError(std::move(r.issues), "fix the TOML syntax; " + std::string(kHint));
  }
  r.unknown_keys(root, {"certificate", "defaults"}, "the certificate set (top level)");

  IssueOptions base = options_from_config(config);
  if (const toml::node* node = root.get("defaults")) {
    if (const toml::table* t = node->as_table()) {
      r.unknown_keys(*t, kOptionKeys, "[defaults] (name and domains belong in [[certificate]])");
      apply_layer(base, r.layer(*t));
    } else {
      r.add(node->source(), "'defaults' must be a table: [defaults]");
    }
  }

  CertificateSet set;
  set.file = source_name;
  const toml::node* certs = root.get("certificate");
  const toml::array* arr = certs ? certs->as_array() : nullptr;
  if (certs == nullptr) {
    r.issues.push_back({source_name, 0, 0, "no [[certificate]] table: the set declares no certificate"});
  } else if (arr == nullptr || !arr->is_array_of_tables()) {
    r.add(certs->source(), "'certificate' must be an array of tables: write each as [[certificate]]");
    arr = nullptr;
  }
  std::vector<std::string> table_keys = kOptionKeys;
  table_keys.insert(table_keys.begin(), {"name", "domains"});
  std::map<std::string, std::string> first_seen;  // name -> source of its first table
  for (std::size_t i = 0; arr != nullptr && i < arr->size(); ++i) {
    const toml::table& t = *arr->get(i)->as_table();
    const int line = static_cast<int>(t.source().begin.line);
    const std::size_t before = r.issues.size();
    CertificateSpec spec;
    spec.source = fmt::format("{}:{}", display_name(source_name), line);
    r.unknown_keys(t, table_keys, "[[certificate]]");
    auto name = r.string(t, "name");
    auto domains = r.strings(t, "domains");
    if (!name && !t.contains("name"))
      r.add(t.source(), "[[certificate]] without 'name': give each lineage a unique name");
    if (!domains && !t.contains("domains"))
      r.add(t.source(), "[[certificate]] without 'domains': list its names, e.g. domains = [\"host.example.com\"]");
    if (name) {
      try {
        CertStore::check_name(*name);
        if (auto [it, fresh] = first_seen.emplace(*name, spec.source); !fresh)
          r.add(t.get("name")->source(),
                fmt::format("duplicate name '{}' (first at {}): every lineage needs its own name", *name, it->second));
        spec.name = *name;
      } catch (const Error& e) {
        r.add(t.get("name")->source(), fmt::format("name: {}", e.cause()));
      }
    }
    if (domains) {
      try {
        spec.domains = normalize_domains(*domains);
      } catch (const Error& e) {
        r.add(t.get("domains")->source(),
              fmt::format("domains: {}{}", e.cause(), e.hint().empty() ? "" : " (" + e.hint() + ")"));
      }
    }
    spec.options = base;
    apply_layer(spec.options, r.layer(t));
    if (r.issues.size() != before) continue;
    if (!spec.options.eab_kid.empty() && spec.options.eab_hmac_key.empty())
      r.issues.push_back({source_name, line, 0,
                          fmt::format("'{}': eab_kid without eab_hmac_key for server {}: give both (eab_hmac_key_file "
                                      "for the secret)", spec.name, spec.options.server)});
    else if (spec.options.eab_kid.empty() && !spec.options.eab_hmac_key.empty())
      r.issues.push_back({source_name, line, 0,
                          fmt::format("'{}': eab_hmac_key without eab_kid for server {}: give both",
                                      spec.name, spec.options.server)});
    spec.options.domains = spec.domains;
    spec.options.cert_name = spec.name;
    set.certificates.push_back(std::move(spec));
  }
  if (!r.issues.empty()) throw ConfigError(std::move(r.issues), kHint);
  return set;
}

CertificateSet load_certificate_set(const Config& config, const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw ConfigError("read the certificate set", fmt::format("cannot open {}", file.string()),
                      "give the path of a TOML file of [[certificate]] tables (docs/apply.md)");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_certificate_set(config, text.str(), file.string());
}

}  // namespace dns01::flow
