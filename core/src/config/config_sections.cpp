// The fixed sections: [security], [acme], [storage], [propagation], [log].
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>
#include <type_traits>

#include "config_internal.hpp"
#include "dns01/acme/ca.hpp"
#include "dns01/acme/keys.hpp"
#include "dns01/http.hpp"
#include "dns01/storage.hpp"

namespace dns01::config_detail {

const std::map<std::string, std::vector<std::string>> kSectionKeys = {
    {"acme",
     {"server", "email", "ca_bundle", "key_type", "eab_kid", "eab_hmac_key", "profile",
      "preferred_chain", "agree_tos", "account_key"}},
    {"storage", {"dir"}},
    {"propagation",
     {"timeout", "nameservers", "resolvers", "port", "require_recursive", "extra_wait",
      "queries_per_second"}},
    {"log", {"level", "format"}},
    {"security", {"allow_insecure_secret_files"}},
};

namespace {

const RawValue* raw_of(const SectionInput& in, const std::string& key) {
  if (auto it = in.values.find(key); it != in.values.end()) return &it->second;
  if (auto it = in.files.find(key); it != in.files.end()) return &it->second;
  return nullptr;
}

// Keys that only make sense as plain values are refused as k_file, with a precise message.
bool refuse_file(const SectionInput& in, const std::string& key, Issues& issues) {
  auto it = in.files.find(key);
  if (it == in.files.end()) return false;
  issues.add(it->second.where, fmt::format("{} cannot be read from a file; give '{}' directly",
                                           it->second.subject, key));
  return true;
}

// The CA is checked here, with file:line, by the same resolve_directory_url (and shortcut
// table) that `dns01 issue` uses later, so `config check` passing means the CA name resolves.
// The value is kept as written (shortcut or URL) and resolved again where it is used.
void check_server(const RawValue& raw, const std::string& server, Issues& issues) {
  if (server.starts_with("http://")) {
    issues.add(raw.where,
               fmt::format("{}: '{}' is a plain http:// URL; RFC 8555 requires HTTPS for ACME, "
                           "give the CA's https:// directory URL",
                           raw.subject, redact_url(server)));
    return;
  }
  try {
    acme::resolve_directory_url(server);
  } catch (const UsageError& e) {
    std::vector<std::string> names;
    for (const auto& ca : acme::ca_shortcuts()) names.emplace_back(ca.name);
    const auto near = did_you_mean(server, names);
    issues.add(raw.where,
               fmt::format("{}: '{}' is neither a directory URL (https://...) nor a known CA "
                           "shortcut{}; {}",
                           raw.subject, redact_url(server),
                           near ? fmt::format(" (did you mean '{}'?)", *near) : std::string(),
                           e.hint()));
  }
}

bool valid_email(std::string_view v) {
  if (v.starts_with("mailto:")) v.remove_prefix(7);
  const auto at = v.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < v.size() &&
         v.find('@', at + 1) == std::string_view::npos &&
         v.find_first_of(" \t\r\n,;<>") == std::string_view::npos;
}

// A shape check only: the key itself is parsed where it is used (core config does not depend on
// the ACME key code). Catches the usual mistakes early, with file:line: a path given instead of
// the PEM text, a certificate or public key, and a passphrase-protected key dns01 cannot open.
std::optional<std::string> account_key_problem(std::string_view pem) {
  const auto begin = pem.find("-----BEGIN ");
  if (begin == std::string_view::npos || pem.find("-----END ", begin) == std::string_view::npos)
    return "is not PEM text (no -----BEGIN ... -----END block)";
  const auto label_end = pem.find("-----", begin + 11);
  const std::string_view label = label_end == std::string_view::npos
                                     ? std::string_view{}
                                     : pem.substr(begin + 11, label_end - begin - 11);
  if (label == "ENCRYPTED PRIVATE KEY" ||
      pem.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos)
    return "is a passphrase-protected key, which dns01 cannot open";
  if (!label.ends_with("PRIVATE KEY"))
    return label.empty() || label.size() > 40
               ? std::string("is not a PEM private key")
               : fmt::format("is a PEM '{}' block, not a private key", label);
  return std::nullopt;
}

// Registers the base64 lines of a PEM secret one by one as well: a log or error line that
// re-wraps or indents the text (sanitize_text indents continuation lines) must still not show
// any part of the key.
void register_pem_lines(std::string_view pem) {
  std::size_t start = 0;
  while (start < pem.size()) {
    auto end = pem.find('\n', start);
    if (end == std::string_view::npos) end = pem.size();
    std::string_view line = pem.substr(start, end - start);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.size() >= 16 && !line.starts_with("-----") && line.find(':') == std::string_view::npos)
      Redactor::global().add_secret(std::string(line));
    start = end + 1;
  }
}

bool base64ish(std::string_view v) {
  return !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '+' ||
           c == '/' || c == '=';
  });
}

void check_email(const RawValue& raw, const std::string& email, Issues& issues) {
  if (!email.empty() && !valid_email(email))
    issues.add(raw.where, fmt::format("{}: '{}' is not an e-mail address", raw.subject, email));
}

void check_ca_bundle(const RawValue& raw, const std::string& path, Issues& issues) {
  if (path.empty()) return;
  // Says what is wrong: missing, unreadable (permissions), not a regular file, too large.
  const FileRead bundle = read_regular_file(path, kMaxCaBundleBytes);
  if (bundle.problem != FileRead::none)
    issues.add(raw.where,
               fmt::format("{}: {}", raw.subject, bundle.describe(path, kMaxCaBundleBytes)));
}

// The table of acme/keys.cpp decides, as for --key-type: case-insensitive, stored canonical.
void canonical_key_type(const RawValue& raw, std::string& key_type, Issues& issues) {
  try {
    key_type = acme::key_type_name(acme::parse_key_type(key_type));
  } catch (const UsageError& e) {
    issues.add(raw.where,
               fmt::format("{}: '{}' is not a key type ({})", raw.subject, key_type, e.hint()));
  }
}

// The value is never quoted: it is a secret.
void check_eab_hmac_key(const RawValue& raw, const std::string& key, Issues& issues) {
  if (!key.empty() && !base64ish(key))
    issues.add(raw.where, fmt::format("{} must be the base64url MAC key given by the CA (value "
                                      "not shown)",
                                      raw.subject));
}

void check_account_key(const RawValue& raw, const std::string& pem, Issues& issues) {
  if (pem.empty()) return;
  register_pem_lines(pem);
  if (auto problem = account_key_problem(pem))
    issues.add(raw.where, fmt::format("{} {} (value not shown); give the account's private key "
                                      "in PEM (\"-----BEGIN PRIVATE KEY-----\" ...), best as "
                                      "account_key_file = \"/etc/dns01/account.key\" (mode 600)",
                                      raw.subject, *problem));
}

// A list of "host[:port]" endpoints; `port` for those written without one.
void read_endpoints(const RawValue* raw, std::vector<Endpoint>& target, std::uint16_t port,
                    Issues& issues) {
  if (!raw) return;
  auto list = get_string_list(*raw, issues);
  if (!list) return;
  target.clear();
  for (const auto& item : *list) {
    try {
      target.push_back(parse_endpoint(item, port));
    } catch (const std::invalid_argument& e) {
      issues.add(raw->where, fmt::format("{}: {}", raw->subject, e.what()));
    }
  }
}

}  // namespace

void parse_security(const SectionInput& in, Config& config, Issues& issues) {
  if (refuse_file(in, "allow_insecure_secret_files", issues)) return;
  if (const RawValue* raw = raw_of(in, "allow_insecure_secret_files"))
    if (auto v = get_bool(*raw, issues))
      config.allow_insecure_secret_files = config.allow_insecure_secret_files || *v;
}

void parse_acme(const SectionInput& in, Config& config, Issues& issues) {
  const bool insecure = config.allow_insecure_secret_files;
  auto& acme = config.acme;
  // Only the MAC key and the account key are secrets; the other values are quoted in messages,
  // so no _file for them.
  for (const auto& key : kSectionKeys.at("acme"))
    if (key != "eab_hmac_key" && key != "account_key") refuse_file(in, key, issues);
  if (const RawValue* raw = raw_of(in, "agree_tos"))
    if (auto v = get_bool(*raw, issues)) acme.agree_tos = *v;
  // Reads `key` into `target`; then `check` (if any) validates the value it now holds. An empty
  // value means "none" for the optional keys (their checks let it pass), not for server/key_type.
  auto str = [&](const char* key, std::string& target, bool secret, auto check) {
    if (!secret && !in.values.count(key)) return false;
    auto v = resolve_string(in, key, secret, insecure, issues);
    if (!v) return false;
    target = *v;
    if constexpr (!std::is_same_v<decltype(check), std::nullptr_t>)
      check(*raw_of(in, key), target, issues);
    return true;
  };
  str("server", acme.server, false, check_server);
  str("email", acme.email, false, check_email);
  str("ca_bundle", acme.ca_bundle, false, check_ca_bundle);
  str("key_type", acme.key_type, false, canonical_key_type);
  const bool have_kid = str("eab_kid", acme.eab_kid, false, nullptr);
  const bool have_key = str("eab_hmac_key", acme.eab_hmac_key, true, check_eab_hmac_key);
  if ((have_kid || have_key) && acme.eab_kid.empty() != acme.eab_hmac_key.empty())
    issues.add(raw_of(in, have_kid ? "eab_kid" : "eab_hmac_key")->where,
               "[acme] external account binding needs both 'eab_kid' and 'eab_hmac_key' (or "
               "'eab_hmac_key_file')");
  str("account_key", acme.account_key, true, check_account_key);
  str("profile", acme.profile, false, nullptr);
  str("preferred_chain", acme.preferred_chain, false, nullptr);
}

void parse_storage(const SectionInput& in, Config& config, Issues& issues) {
  if (refuse_file(in, "dir", issues)) return;
  if (auto v = resolve_string(in, "dir", false, false, issues)) {
    if (v->empty())
      issues.add(raw_of(in, "dir")->where,
                 fmt::format("{} must not be empty", raw_of(in, "dir")->subject));
    else
      config.storage.dir = *v;
  }
}

void parse_propagation(const SectionInput& in, Config& config, Issues& issues) {
  auto& p = config.propagation;
  for (const char* key :
       {"timeout", "nameservers", "resolvers", "port", "require_recursive", "extra_wait",
        "queries_per_second"})
    if (refuse_file(in, key, issues)) return;
  // The port first: it is the default port of the nameservers listed without one.
  if (const RawValue* raw = raw_of(in, "port"))
    if (auto v = get_port(*raw, issues)) p.port = *v;
  if (const RawValue* raw = raw_of(in, "timeout")) {
    if (auto v = get_duration(*raw, issues)) {
      if (v->count() == 0)
        issues.add(raw->where, fmt::format("{} must be longer than 0s", raw->subject));
      else
        p.timeout = *v;
    }
  }
  if (const RawValue* raw = raw_of(in, "extra_wait"))
    if (auto v = get_duration(*raw, issues)) p.extra_wait = *v;
  if (const RawValue* raw = raw_of(in, "require_recursive"))
    if (auto v = get_bool(*raw, issues)) p.require_recursive = *v;
  if (const RawValue* raw = raw_of(in, "queries_per_second")) {
    if (auto v = get_int(*raw, issues)) {
      if (*v < 0 || *v > 100000)
        issues.add(raw->where, fmt::format("{} must be between 0 (no budget) and 100000 (got {})",
                                           raw->subject, *v));
      else
        p.queries_per_second = static_cast<double>(*v);
    }
  }
  read_endpoints(raw_of(in, "nameservers"), p.nameservers, p.port, issues);
  read_endpoints(raw_of(in, "resolvers"), p.resolvers, 53, issues);
}

void parse_log(const SectionInput& in, Config& config, Issues& issues) {
  for (const char* key : {"level", "format"})
    if (refuse_file(in, key, issues)) return;
  if (const RawValue* raw = raw_of(in, "level")) {
    if (auto v = get_string(*raw, issues)) {
      try {
        config.log.level = parse_log_level(*v);
      } catch (const ConfigError&) {
        issues.add(raw->where,
                   fmt::format("{}: '{}' is not a log level (use trace, debug, info, warn, error "
                               "or off)",
                               raw->subject, *v));
      }
    }
  }
  if (const RawValue* raw = raw_of(in, "format")) {
    if (auto v = get_string(*raw, issues)) {
      try {
        config.log.format = parse_log_format(*v);
      } catch (const ConfigError&) {
        issues.add(raw->where, fmt::format("{}: '{}' is not a log format (use text or json)",
                                           raw->subject, *v));
      }
    }
  }
}

}  // namespace dns01::config_detail
