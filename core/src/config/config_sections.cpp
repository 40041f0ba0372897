// The fixed sections: [security], [acme], [storage], [propagation], [log].
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "config_internal.hpp"
#include "dns01/http.hpp"
#include "dns01/storage.hpp"

namespace dns01::config_detail {

const std::map<std::string, std::vector<std::string>> kSectionKeys = {
    {"acme",
     {"server", "email", "ca_bundle", "key_type", "eab_kid", "eab_hmac_key", "profile",
      "preferred_chain", "agree_tos"}},
    {"storage", {"dir"}},
    {"propagation",
     {"timeout", "nameservers", "resolvers", "port", "require_recursive", "extra_wait"}},
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
  issues.add(it->second.where,
             fmt::format("{} cannot be read from a file; give '{}' directly", it->second.subject,
                         key));
  return true;
}

bool valid_url_or_shortcut(const std::string& v) {
  if (v.find("://") != std::string::npos)
    return v.starts_with("https://") && v.size() > 8 &&
           v.find_first_of(" \t\r\n") == std::string::npos;
  return !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

bool valid_email(std::string_view v) {
  if (v.starts_with("mailto:")) v.remove_prefix(7);
  const auto at = v.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < v.size() &&
         v.find('@', at + 1) == std::string_view::npos &&
         v.find_first_of(" \t\r\n,;<>") == std::string_view::npos;
}

bool base64ish(std::string_view v) {
  return !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '+' ||
           c == '/' || c == '=';
  });
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
  // Only the MAC key is a secret; the other values are quoted in messages, so no _file for them.
  for (const auto& key : kSectionKeys.at("acme"))
    if (key != "eab_hmac_key") refuse_file(in, key, issues);
  if (const RawValue* raw = raw_of(in, "agree_tos"))
    if (auto v = get_bool(*raw, issues)) acme.agree_tos = *v;
  auto str = [&](const char* key, std::string& target, bool secret = false) {
    if (!secret && !in.values.count(key)) return false;
    if (auto v = resolve_string(in, key, secret, insecure, issues)) {
      target = *v;
      return true;
    }
    return false;
  };
  if (str("server", acme.server) && acme.server.starts_with("http://"))
    issues.add(raw_of(in, "server")->where,
               fmt::format("{}: '{}' is a plain http:// URL; RFC 8555 requires HTTPS for ACME, "
                           "give the CA's https:// directory URL",
                           raw_of(in, "server")->subject, redact_url(acme.server)));
  else if (!acme.server.empty() && !valid_url_or_shortcut(acme.server))
    issues.add(raw_of(in, "server")->where,
               fmt::format("{}: '{}' is neither a directory URL (https://...) nor a shortcut like "
                           "'letsencrypt' or 'letsencrypt-staging'",
                           raw_of(in, "server")->subject, acme.server));
  if (str("email", acme.email) && !acme.email.empty() && !valid_email(acme.email))
    issues.add(raw_of(in, "email")->where,
               fmt::format("{}: '{}' is not an e-mail address", raw_of(in, "email")->subject,
                           acme.email));
  if (str("ca_bundle", acme.ca_bundle) && !acme.ca_bundle.empty()) {
    // Says what is wrong: missing, unreadable (permissions), not a regular file, too large.
    const FileRead bundle = read_regular_file(acme.ca_bundle, kMaxCaBundleBytes);
    if (bundle.problem != FileRead::none)
      issues.add(raw_of(in, "ca_bundle")->where,
                 fmt::format("{}: {}", raw_of(in, "ca_bundle")->subject,
                             bundle.describe(acme.ca_bundle, kMaxCaBundleBytes)));
  }
  if (str("key_type", acme.key_type)) {
    static constexpr std::array<std::string_view, 5> kTypes = {"ec256", "ec384", "rsa2048",
                                                               "rsa3072", "rsa4096"};
    if (std::find(kTypes.begin(), kTypes.end(), acme.key_type) == kTypes.end())
      issues.add(raw_of(in, "key_type")->where,
                 fmt::format("{}: '{}' is not a key type (use ec256, ec384, rsa2048, rsa3072 or "
                             "rsa4096)",
                             raw_of(in, "key_type")->subject, acme.key_type));
  }
  const bool have_kid = str("eab_kid", acme.eab_kid);
  const bool have_key = str("eab_hmac_key", acme.eab_hmac_key, /*secret=*/true);
  // The value is never quoted: it is a secret.
  if (have_key && !acme.eab_hmac_key.empty() && !base64ish(acme.eab_hmac_key))
    issues.add(raw_of(in, "eab_hmac_key")->where,
               fmt::format("{} must be the base64url MAC key given by the CA (value not shown)",
                           raw_of(in, "eab_hmac_key")->subject));
  if (have_kid || have_key) {
    if (acme.eab_kid.empty() != acme.eab_hmac_key.empty()) {
      const RawValue* raw = raw_of(in, have_kid ? "eab_kid" : "eab_hmac_key");
      issues.add(raw->where, "[acme] external account binding needs both 'eab_kid' and "
                             "'eab_hmac_key' (or 'eab_hmac_key_file')");
    }
  }
  str("profile", acme.profile);
  str("preferred_chain", acme.preferred_chain);
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
  for (const char* key : {"timeout", "nameservers", "resolvers", "port", "require_recursive",
                          "extra_wait"})
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
  auto endpoints = [&](const char* key, std::vector<Endpoint>& target, std::uint16_t port) {
    const RawValue* raw = raw_of(in, key);
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
  };
  endpoints("nameservers", p.nameservers, p.port);
  endpoints("resolvers", p.resolvers, 53);
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
        issues.add(raw->where,
                   fmt::format("{}: '{}' is not a log format (use text or json)", raw->subject, *v));
      }
    }
  }
}

}  // namespace dns01::config_detail
