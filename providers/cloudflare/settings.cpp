// Settings of the cloudflare provider, read once (see settings.hpp).
#include "settings.hpp"

#include <dns01/kit/files.hpp>
#include <dns01/kit/settings.hpp>

#include <algorithm>
#include <cctype>
#include <optional>

namespace cloudflare {

using dns01::provider::Settings;

namespace {

bool hex32(const std::string& text) {
  return text.size() == 32 && std::all_of(text.begin(), text.end(), [](unsigned char c) {
           return std::isxdigit(c);
         });
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// certbot-dns-cloudflare's INI (no sections): dns_cloudflare_api_token, or
// dns_cloudflare_email + dns_cloudflare_api_key. certbot refuses a file with both; so do we.
void read_certbot_file(const std::string& path, CloudflareSettings& out,
                       dns01::kit::SettingsReader& in) {
  const auto ini = dns01::kit::parse_ini(
      dns01::kit::read_secret_text_file(path, "the certbot credentials file"));
  auto value = [&](const char* key) -> std::string {
    auto section = ini.find("");
    if (section == ini.end()) return {};
    auto it = section->second.find(key);
    return it == section->second.end() ? std::string() : it->second;
  };
  out.dns.token = value("dns_cloudflare_api_token");
  out.dns.email = value("dns_cloudflare_email");
  out.dns.key = value("dns_cloudflare_api_key");
  out.source = "the credentials file " + path;
  for (const auto* secret : {&out.dns.token, &out.dns.key})
    if (!secret->empty()) out.learnt_secrets.push_back(*secret);
  if (out.dns.is_token() && !out.dns.key.empty())
    in.problem(path + " holds both dns_cloudflare_api_token and dns_cloudflare_api_key; keep one");
  else if (!out.dns.is_token() && (out.dns.key.empty() || out.dns.email.empty()))
    in.problem(path + " holds neither dns_cloudflare_api_token nor dns_cloudflare_email with "
               "dns_cloudflare_api_key");
  if (out.dns.is_token()) out.dns.email.clear();
}

}  // namespace

dns01::provider::HttpHeaders Credentials::headers() const {
  if (is_token()) return {{"Authorization", "Bearer " + token}};
  return {{"X-Auth-Email", email}, {"X-Auth-Key", key}};
}

CloudflareSettings parse_settings(const Settings& settings) {
  CloudflareSettings out;
  out.instance = settings.instance;
  dns01::kit::SettingsReader in(settings);
  std::string credentials, zone_token, zone_id;
  in.optional("api_token", out.dns.token);
  in.optional("api_key", out.dns.key);
  in.optional("email", out.dns.email);
  in.optional("credentials", credentials);
  in.optional("zone_api_token", zone_token);
  in.optional("zone_id", zone_id);
  in.optional("ttl", out.ttl);
  in.optional("endpoint", out.endpoint);

  const int sources = !out.dns.token.empty() + !out.dns.key.empty() + !credentials.empty();
  if (sources == 0) {
    in.problem("no credentials: set api_token (an API token with Zone:Read and DNS:Edit), or "
               "api_key with email (the global API key), or credentials (a certbot "
               "cloudflare.ini)");
  } else if (sources > 1) {
    in.problem("give exactly one of api_token, api_key (with email) and credentials");
  } else if (!credentials.empty()) {
    read_certbot_file(credentials, out, in);
  } else if (out.dns.is_token()) {
    out.source = "api_token";
    out.dns.email.clear();  // lego ignores CF_API_EMAIL next to a token, and so do we
  } else {
    out.source = "api_key";
    if (out.dns.email.empty()) in.problem("api_key needs email, the account's email address");
  }
  out.zone = out.dns;
  if (!zone_token.empty()) {
    if (!out.dns.is_token()) in.problem("zone_api_token only works together with api_token");
    out.zone = Credentials{zone_token, {}, {}};
  }

  if (!zone_id.empty() && !hex32(zone_id))
    in.problem("zone_id must be the zone's 32 hex digit id (Overview page, API section)");
  out.zone_id = lower(zone_id);
  if (out.ttl != 1 && (out.ttl < 60 || out.ttl > 86400))
    in.problem("ttl must be 1 (automatic) or from 60 to 86400 seconds");
  while (!out.endpoint.empty() && out.endpoint.back() == '/') out.endpoint.pop_back();
  if (out.endpoint.rfind("https://", 0) != 0)
    in.problem("endpoint must be an https:// URL, e.g. https://api.cloudflare.com/client/v4");
  in.finish();
  return out;
}

}  // namespace cloudflare
