// parse_settings(): the only reader of the route53 table.
#include "settings.hpp"

#include <dns01/kit/settings.hpp>

#include <algorithm>

#include "sigv4.hpp"

namespace route53 {
namespace {

void check_url(dns01::kit::SettingsReader& in, std::string& url, const char* key) {
  while (url.ends_with('/')) url.pop_back();
  try {
    const UrlParts parts = split_url(url);
    if (parts.path != "/" || !parts.query.empty())
      in.problem(std::string(key) + " = \"" + url +
                 "\" has a path or query; give only scheme, host and port");
  } catch (const std::invalid_argument& e) {
    in.problem(std::string(key) + " = \"" + url + "\": " + e.what() +
               "; write it like https://route53.amazonaws.com");
  }
}

}  // namespace

Route53Settings parse_settings(const dns01::provider::Settings& settings) {
  Route53Settings out;
  out.instance = settings.instance;
  dns01::kit::SettingsReader in(settings);
  in.required("endpoint", out.endpoint);
  in.required("sts_endpoint", out.sts_endpoint);
  in.required("region", out.region);
  in.optional("access_key_id", out.access_key_id);
  in.optional("secret_access_key", out.secret_access_key);
  in.optional("session_token", out.session_token);
  in.optional("profile", out.profile);
  in.optional("role_arn", out.role_arn);
  in.required("role_session_name", out.role_session_name);
  in.optional("hosted_zone_id", out.hosted_zone_id);
  in.optional("private_zone", out.private_zone);
  std::int64_t ttl = 0;
  in.optional("ttl", ttl);
  out.ttl = static_cast<std::uint32_t>(std::clamp<std::int64_t>(ttl, 0, 2147483647));
  in.optional("insync_timeout", out.insync_timeout);

  check_url(in, out.endpoint, "endpoint");
  check_url(in, out.sts_endpoint, "sts_endpoint");
  if (out.hosted_zone_id.starts_with("/hostedzone/")) out.hosted_zone_id.erase(0, 12);
  const bool id_ok = std::all_of(out.hosted_zone_id.begin(), out.hosted_zone_id.end(),
                                 [](unsigned char c) { return std::isalnum(c); });
  if (!id_ok || out.hosted_zone_id.size() > 32)
    in.problem("hosted_zone_id = \"" + out.hosted_zone_id +
               "\" is not a hosted zone id; copy it from `aws route53 list-hosted-zones` "
               "(like Z0123456789ABCDEFGHIJ)");
  if (!out.role_arn.empty() && !out.role_arn.starts_with("arn:"))
    in.problem("role_arn = \"" + out.role_arn + "\" is not an ARN (arn:aws:iam::<account>:role/<name>)");
  in.finish();
  return out;
}

}  // namespace route53
