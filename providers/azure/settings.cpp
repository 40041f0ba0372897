// Settings of the azure provider, read once (see settings.hpp).
#include "settings.hpp"

#include <dns01/kit/files.hpp>
#include <dns01/kit/names.hpp>
#include <dns01/kit/settings.hpp>

#include <algorithm>
#include <stdexcept>

namespace azure {

namespace kit = dns01::kit;
using dns01::provider::Settings;

namespace {

struct Cloud {
  const char* name;       // `environment`
  const char* certbot;    // certbot-dns-azure's dns_azure_environment
  const char* authority;
  const char* arm;
};

// cloud-apis.md §3.1: authority, ARM endpoint; the token scope is the ARM endpoint + /.default.
constexpr Cloud kClouds[] = {
    {"public", "AzurePublicCloud", "https://login.microsoftonline.com",
     "https://management.azure.com"},
    {"china", "AzureChinaCloud", "https://login.chinacloudapi.cn",
     "https://management.chinacloudapi.cn"},
    {"usgovernment", "AzureUSGovernmentCloud", "https://login.microsoftonline.us",
     "https://management.usgovcloudapi.net"},
};

const Cloud* cloud_named(const std::string& name) {
  for (const auto& c : kClouds)
    if (name == c.name || name == c.certbot) return &c;
  return nullptr;
}

std::string without_trailing_slash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

bool truthy(const std::string& v) { return v == "true" || v == "True" || v == "1" || v == "yes"; }

// What a certbot-dns-azure credentials file contributes; keys the table gives win.
struct CertbotFile {
  std::string tenant_id, client_id, client_secret, msi_client_id, environment;
  bool msi_system_assigned = false;
  std::vector<PinnedZone> zones;
};

CertbotFile read_certbot_file(const std::string& path, kit::SettingsReader& in) {
  CertbotFile out;
  const kit::IniFile ini = kit::parse_ini(kit::read_secret_text_file(path, "the certbot "
                                                                           "credentials file"));
  const auto section = ini.find("");
  if (section == ini.end()) return out;
  for (const auto& [key, value] : section->second) {
    if (key == "dns_azure_tenant_id") out.tenant_id = value;
    else if (key == "dns_azure_sp_client_id") out.client_id = value;
    else if (key == "dns_azure_sp_client_secret") out.client_secret = value;
    else if (key == "dns_azure_msi_client_id") out.msi_client_id = value;
    else if (key == "dns_azure_msi_system_assigned") out.msi_system_assigned = truthy(value);
    else if (key == "dns_azure_environment") out.environment = value;
    else if (key.rfind("dns_azure_zone", 0) == 0) {
      const auto colon = value.find(':');
      try {
        if (colon == std::string::npos) throw std::invalid_argument("no ':' after the zone");
        auto [sub, rg] = parse_resource_group_id(value.substr(colon + 1));
        out.zones.push_back({kit::normalize_name(value.substr(0, colon)), sub, rg});
      } catch (const std::invalid_argument& e) {
        in.problem(key + " in " + path + " is not 'zone:/subscriptions/<id>/resourceGroups/<rg>' (" +
                   e.what() + ")");
      }
    }
  }
  return out;
}

void fill(std::string& target, const std::string& from_file) {
  if (target.empty()) target = from_file;
}

}  // namespace

std::pair<std::string, std::string> parse_resource_group_id(const std::string& id) {
  // Path segments are case-insensitive in ARM ids ("resourcegroups" appears in the wild).
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= id.size()) {
    const auto slash = id.find('/', start);
    const auto end = slash == std::string::npos ? id.size() : slash;
    if (end > start) parts.push_back(id.substr(start, end - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
  };
  if (parts.size() < 4 || lower(parts[0]) != "subscriptions" ||
      lower(parts[2]) != "resourcegroups")
    throw std::invalid_argument("expected /subscriptions/<id>/resourceGroups/<name>");
  return {parts[1], parts[3]};
}

AzureSettings parse_settings(const Settings& settings) {
  AzureSettings out;
  out.instance = settings.instance;
  kit::SettingsReader in(settings);

  std::string zone_type = "public", environment = "public", authority, arm, zone, credentials;
  bool managed_identity = false;
  std::int64_t ttl = 60;
  in.optional("zone_type", zone_type);
  in.optional("environment", environment);
  in.optional("authority_host", authority);
  in.optional("arm_endpoint", arm);
  in.optional("subscription_id", out.subscription);
  in.optional("resource_group", out.resource_group);
  in.optional("zone", zone);
  in.optional("tenant_id", out.tenant_id);
  in.optional("client_id", out.client_id);
  in.optional("client_secret", out.client_secret);
  in.optional("federated_token_path", out.federated_token_path);
  in.optional("managed_identity", managed_identity);
  in.optional("credentials", credentials);
  in.optional("ttl", ttl);
  out.zone_type = zone_type == "private" ? ZoneType::private_zone : ZoneType::public_zone;
  out.ttl = static_cast<std::uint32_t>(std::clamp<std::int64_t>(ttl, 1, 86400));

  if (!credentials.empty()) {
    const CertbotFile file = read_certbot_file(credentials, in);
    fill(out.tenant_id, file.tenant_id);
    if (!file.client_secret.empty()) {
      fill(out.client_id, file.client_id);
      fill(out.client_secret, file.client_secret);
    } else if (!file.msi_client_id.empty() || file.msi_system_assigned) {
      fill(out.client_id, file.msi_client_id);
      managed_identity = true;
    }
    // The table's environment wins unless it is provider.toml's default.
    if (!file.environment.empty() && environment == "public") {
      if (const Cloud* c = cloud_named(file.environment)) environment = c->name;
      else
        in.problem("dns_azure_environment = " + file.environment + " in " + credentials +
                   " is not AzurePublicCloud, AzureChinaCloud or AzureUSGovernmentCloud "
                   "(Azure Germany is retired)");
    }
    out.pinned = file.zones;
  }

  const Cloud* cloud = cloud_named(environment);
  if (cloud == nullptr) cloud = &kClouds[0];  // provider.toml's choices already refused others
  out.authority = without_trailing_slash(authority.empty() ? cloud->authority : authority);
  out.arm = without_trailing_slash(arm.empty() ? cloud->arm : arm);
  out.scope = std::string(cloud->arm) + "/.default";
  if (out.authority.rfind("https://", 0) != 0)
    in.problem("authority_host must be an https:// URL");
  if (out.arm.rfind("https://", 0) != 0) in.problem("arm_endpoint must be an https:// URL");

  const bool app = !out.client_secret.empty() || !out.federated_token_path.empty();
  if (!out.client_secret.empty()) out.sign_in = SignIn::client_secret;
  else if (!out.federated_token_path.empty()) out.sign_in = SignIn::federated_token;
  else if (managed_identity) out.sign_in = SignIn::managed_identity;
  else
    in.problem("no sign-in configured: give client_secret (client_secret_file or "
               "AZURE_CLIENT_SECRET) with tenant_id and client_id, or federated_token_path "
               "(AZURE_FEDERATED_TOKEN_FILE) with tenant_id and client_id, or "
               "managed_identity = true, or credentials = a certbot azure.ini");
  if (app && out.tenant_id.empty()) in.problem("tenant_id (or AZURE_TENANT_ID) is required to "
                                               "sign in as an app registration");
  if (app && out.client_id.empty()) in.problem("client_id (or AZURE_CLIENT_ID) is required to "
                                               "sign in as an app registration");

  if (!zone.empty()) {
    if (out.resource_group.empty() || out.subscription.empty())
      in.problem("zone needs resource_group and subscription_id");
    else
      out.pinned.push_back({kit::normalize_name(zone), out.subscription, out.resource_group});
  }
  if (out.subscription.empty() && out.pinned.empty())
    in.problem("subscription_id (or AZURE_SUBSCRIPTION_ID) is required unless a certbot "
               "credentials file pins every zone");
  in.finish();
  return out;
}

}  // namespace azure
