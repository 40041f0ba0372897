// renewal/<name>.toml read and write (renewal.hpp).
#include "dns01/flow/renewal.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <optional>

#include "dns01/acme/documents.hpp"
#include "dns01/config.hpp"
#include "dns01/error.hpp"
#include "dns01/version.hpp"

namespace dns01::flow {

namespace {

namespace fs = std::filesystem;

const std::vector<std::string>& known_keys() {
  static const std::vector<std::string> keys = {
      "version", "domains", "server", "ca_bundle", "key_type", "reuse_key", "email",
      "profile", "preferred_chain", "eab_kid", "deploy_hooks", "config", "provider",
      "ari_window_start", "ari_window_end", "ari_renewal_time"};
  return keys;
}

// A TOML basic string: the few escapes TOML requires, control characters as \uXXXX.
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
        else
          out += c;
    }
  }
  return out + "\"";
}

std::string quote_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + quote(items[i]);
  return out + "]";
}

// Collects every problem of the file so one error lists them all, like the main config.
struct Reader {
  std::string file;
  std::vector<ConfigIssue> issues;

  void add(const toml::source_region& where, std::string message) {
    issues.push_back({file, static_cast<int>(where.begin.line), static_cast<int>(where.begin.column),
                      std::move(message)});
  }

  void string(const toml::table& root, const char* key, std::string& out) {
    const toml::node* node = root.get(key);
    if (node == nullptr) return;
    if (auto v = node->value<std::string>(); v && node->is_string())
      out = *v;
    else
      add(node->source(), fmt::format("'{}' must be a string", key));
  }

  void time(const toml::table& root, const char* key, std::optional<std::chrono::system_clock::time_point>& out) {
    std::string text;
    string(root, key, text);
    if (text.empty()) return;
    out = acme::parse_rfc3339(text);
    if (!out) add(root.get(key)->source(), fmt::format("'{}' must be an RFC 3339 time", key));
  }

  void boolean(const toml::table& root, const char* key, bool& out) {
    const toml::node* node = root.get(key);
    if (node == nullptr) return;
    if (node->is_boolean())
      out = *node->value<bool>();
    else
      add(node->source(), fmt::format("'{}' must be true or false", key));
  }

  void list(const toml::table& root, const char* key, std::vector<std::string>& out) {
    const toml::node* node = root.get(key);
    if (node == nullptr) return;
    const toml::array* arr = node->as_array();
    if (arr == nullptr) {
      add(node->source(), fmt::format("'{}' must be an array of strings", key));
      return;
    }
    out.clear();
    for (const auto& item : *arr) {
      if (!item.is_string()) {
        add(item.source(), fmt::format("'{}' must hold strings only", key));
        continue;
      }
      out.push_back(*item.value<std::string>());
    }
  }
};

// The URL of a directory → its shortcut name when there is one, so issue() can map a dry run
// to the staging twin exactly as it does for `dns01 issue --server letsencrypt --dry-run`.
std::string server_for_issue(const std::string& url) {
  for (const auto& s : acme::ca_shortcuts())
    if (url == s.url) return s.name;
  return url;
}

}  // namespace

void save_renewal(const CertStore& store, const RenewalConfig& r) {
  CertStore::check_name(r.cert_name);
  std::string text = fmt::format("# written by dns01 {} — edit with care\n", kVersion);
  text += "version = 1\n";
  text += fmt::format("domains = {}\n", quote_list(r.domains));
  text += fmt::format("server = {}\n", quote(r.server));
  text += fmt::format("ca_bundle = {}\n", quote(r.ca_bundle));
  text += fmt::format("key_type = {}\n", quote(r.key_type));
  text += fmt::format("reuse_key = {}\n", r.reuse_key ? "true" : "false");
  text += fmt::format("email = {}\n", quote(r.email));
  text += fmt::format("profile = {}\n", quote(r.profile));
  text += fmt::format("preferred_chain = {}\n", quote(r.preferred_chain));
  text += fmt::format("eab_kid = {}  # the MAC key is never stored here: it stays in dns01.toml\n",
                      quote(r.eab_kid));
  text += fmt::format("deploy_hooks = {}\n", quote_list(r.deploy_hooks));
  text += fmt::format("config = {}  # the config used at issuance (informational)\n", quote(r.config));
  if (!r.provider.empty())
    text += fmt::format("provider = {}  # the [providers.<name>] instance serving every name\n",
                        quote(r.provider));
  if (r.ari_window_start && r.ari_window_end && r.ari_renewal_time) {
    text += "# the CA's suggested renewal window and the time chosen in it (dns01 renew)\n";
    text += fmt::format("ari_window_start = {}\n", quote(acme::format_rfc3339(*r.ari_window_start)));
    text += fmt::format("ari_window_end = {}\n", quote(acme::format_rfc3339(*r.ari_window_end)));
    text += fmt::format("ari_renewal_time = {}\n", quote(acme::format_rfc3339(*r.ari_renewal_time)));
  }
  const fs::path path = store.renewal_file(r.cert_name);
  ensure_private_dir(path.parent_path());
  write_file_atomic(path, text, 0600);
}

RenewalConfig load_renewal(const CertStore& store, const std::string& cert_name) {
  CertStore::check_name(cert_name);
  const fs::path path = store.renewal_file(cert_name);
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw StorageError("read renewal file",
                       fmt::format("{} does not exist: certificate '{}' has no renewal settings",
                                   path.string(), cert_name),
                       "issue it first with dns01 issue");
  // The file names the hooks `renew` runs (often as root): read it only from a directory nobody
  // else can write into, and never through a link (docs/storage.md, "Who may write").
  check_private_dir(path.parent_path());
  FileRead file = read_regular_file(path, kMaxStoredFileBytes, /*follow_links=*/false);
  if (file.problem != FileRead::none)
    throw StorageError("read renewal file", file.describe(path, kMaxStoredFileBytes),
                       "remove it; `dns01 issue --cert-name " + cert_name + "` writes it again");
  const std::string text = std::move(file.data);

  Reader reader{path.string(), {}};
  toml::table root;
  try {
    root = toml::parse(text, path.string());
  } catch (const toml::parse_error& e) {
    reader.add(e.source(), fmt::format("TOML syntax error: {}", e.description()));
    throw ConfigError(std::move(reader.issues), "fix the renewal file or issue the certificate again");
  }

  RenewalConfig r;
  r.cert_name = cert_name;
  for (auto&& [k, node] : root) {
    const std::string key(k.str());
    const auto& keys = known_keys();
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
    std::string message = fmt::format("unknown key '{}' in the renewal file", key);
    if (auto near = did_you_mean(key, keys)) message += fmt::format(" (did you mean '{}'?)", *near);
    reader.add(k.source(), std::move(message));
  }
  if (const toml::node* v = root.get("version")) {
    if (!v->is_integer() || *v->value<std::int64_t>() != 1)
      reader.add(v->source(), "'version' must be 1 (written by a newer dns01?)");
  }
  reader.list(root, "domains", r.domains);
  reader.string(root, "server", r.server);
  reader.string(root, "ca_bundle", r.ca_bundle);
  reader.string(root, "key_type", r.key_type);
  reader.boolean(root, "reuse_key", r.reuse_key);
  reader.string(root, "email", r.email);
  reader.string(root, "profile", r.profile);
  reader.string(root, "preferred_chain", r.preferred_chain);
  reader.string(root, "eab_kid", r.eab_kid);
  reader.list(root, "deploy_hooks", r.deploy_hooks);
  reader.string(root, "config", r.config);
  reader.string(root, "provider", r.provider);
  reader.time(root, "ari_window_start", r.ari_window_start);
  reader.time(root, "ari_window_end", r.ari_window_end);
  reader.time(root, "ari_renewal_time", r.ari_renewal_time);
  if (!(r.ari_window_start && r.ari_window_end && r.ari_renewal_time))
    r.ari_window_start = r.ari_window_end = r.ari_renewal_time = std::nullopt;  // all or none

  if (!root.contains("domains") || (root.get("domains")->is_array() && r.domains.empty()))
    reader.issues.push_back({path.string(), 0, 0, "'domains' must list at least one name"});
  const toml::node* server = root.get("server");
  if (r.server.empty() && (server == nullptr || server->is_string()))
    reader.issues.push_back({path.string(), 0, 0, "'server' (the CA directory URL) is missing"});
  if (!reader.issues.empty())
    throw ConfigError(std::move(reader.issues), "fix the renewal file or issue the certificate again");
  return r;
}

RenewalConfig renewal_config_for(const Config& config, const IssueOptions& o, const IssueResult& result,
                                 const std::string& key_type) {
  RenewalConfig r;
  r.cert_name = result.cert_name;
  r.domains = result.domains;
  r.server = result.directory_url;
  r.ca_bundle = o.ca_bundle;
  r.key_type = key_type;
  r.reuse_key = o.reuse_key;
  r.email = o.email;
  r.profile = o.profile;
  r.preferred_chain = o.preferred_chain;
  r.eab_kid = o.eab_kid;  // never the MAC key: it stays in dns01.toml
  r.deploy_hooks = o.deploy_hooks;
  r.provider = o.provider;
  r.config = config.source.string();
  return r;
}

IssueOptions issue_options_for(const Config& config, const RenewalConfig& r) {
  IssueOptions o;
  o.domains = r.domains;
  o.cert_name = r.cert_name;
  o.server = server_for_issue(r.server);
  o.ca_bundle = r.ca_bundle;
  o.key_type = r.key_type;
  o.reuse_key = r.reuse_key;
  o.email = r.email;
  o.profile = r.profile;
  o.preferred_chain = r.preferred_chain;
  o.eab_kid = r.eab_kid;
  // The MAC key lives only in dns01.toml: usable when it belongs to the same key id.
  if (!r.eab_kid.empty() && r.eab_kid == config.acme.eab_kid) o.eab_hmac_key = config.acme.eab_hmac_key;
  o.deploy_hooks = r.deploy_hooks;
  o.provider = r.provider;
  o.agree_tos = true;  // the account was created (terms agreed) at first issuance
  return o;
}

}  // namespace dns01::flow
