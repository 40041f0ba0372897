// parse_settings(): the only reader of the azure table (and of a certbot azure.ini).
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "settings.hpp"
#include "settings_support.hpp"

using azure_test::flag;
using azure_test::secret_table;
using azure_test::table;
using azure_test::text;
using dns01::provider::Failure;
using dns01::provider::StatusCode;

namespace {

dns01::provider::Status refusal(const dns01::provider::Settings& s) {
  try {
    azure::parse_settings(s);
  } catch (const Failure& f) {
    return f.status();
  }
  FAIL("parse_settings accepted the table");
  return {};
}

// A credentials file in a fresh temporary directory, mode 0600 unless told otherwise.
std::string ini_file(const std::string& content, mode_t mode = 0600) {
  char pattern[] = "/tmp/azure-settings-XXXXXX";
  REQUIRE(mkdtemp(pattern) != nullptr);
  const std::string path = std::string(pattern) + "/azure.ini";
  std::ofstream(path) << content;
  REQUIRE(chmod(path.c_str(), mode) == 0);
  return path;
}

}  // namespace

TEST_CASE("a client-secret table: public cloud endpoints and scope") {
  const auto s = azure::parse_settings(secret_table());
  CHECK(s.sign_in == azure::SignIn::client_secret);
  CHECK(s.authority == "https://login.microsoftonline.com");
  CHECK(s.arm == "https://management.azure.com");
  CHECK(s.scope == "https://management.azure.com/.default");
  CHECK(s.subscription == "sub-1");
  CHECK(s.zone_type == azure::ZoneType::public_zone);
  CHECK(s.ttl == 60);
  CHECK(s.pinned.empty());
}

TEST_CASE("national clouds set authority, ARM and scope; overrides keep the scope") {
  auto china = azure::parse_settings(secret_table({{"environment", text("china")}}));
  CHECK(china.authority == "https://login.chinacloudapi.cn");
  CHECK(china.arm == "https://management.chinacloudapi.cn");
  CHECK(china.scope == "https://management.chinacloudapi.cn/.default");
  auto gov = azure::parse_settings(secret_table({{"environment", text("usgovernment")},
                                                 {"arm_endpoint", text("https://127.0.0.1:9/")},
                                                 {"authority_host", text("https://127.0.0.1:8")}}));
  CHECK(gov.arm == "https://127.0.0.1:9");
  CHECK(gov.authority == "https://127.0.0.1:8");
  CHECK(gov.scope == "https://management.usgovcloudapi.net/.default");
  auto plain = refusal(secret_table({{"arm_endpoint", text("http://127.0.0.1:9")}}));
  CHECK(plain.code == StatusCode::config);
  CHECK(plain.message.find("arm_endpoint must be an https:// URL") != std::string::npos);
}

TEST_CASE("the sign-in: secret before federated token before managed identity") {
  auto federated = azure::parse_settings(table({{"subscription_id", text("s")},
                                                {"tenant_id", text("t")},
                                                {"client_id", text("c")},
                                                {"federated_token_path", text("/run/token")},
                                                {"managed_identity", flag(true)}}));
  CHECK(federated.sign_in == azure::SignIn::federated_token);
  CHECK(federated.federated_token_path == "/run/token");
  auto msi = azure::parse_settings(table({{"subscription_id", text("s")},
                                          {"managed_identity", flag(true)}}));
  CHECK(msi.sign_in == azure::SignIn::managed_identity);
  CHECK(msi.client_id.empty());
  auto both = azure::parse_settings(secret_table({{"federated_token_path", text("/run/t")}}));
  CHECK(both.sign_in == azure::SignIn::client_secret);
}

TEST_CASE("no sign-in and no subscription: every problem at once, no secret") {
  auto status = refusal(table({}));
  CHECK(status.code == StatusCode::config);
  for (const char* key : {"client_secret", "tenant_id", "client_id", "federated_token_path",
                          "managed_identity", "credentials", "subscription_id"})
    CHECK(status.message.find(key) != std::string::npos);
  auto half = refusal(table({{"subscription_id", text("s")},
                             {"client_secret", text("s3cret-value", true)}}));
  CHECK(half.message.find("tenant_id (or AZURE_TENANT_ID) is required") != std::string::npos);
  CHECK(half.message.find("client_id (or AZURE_CLIENT_ID) is required") != std::string::npos);
  CHECK(half.message.find("s3cret-value") == std::string::npos);
}

TEST_CASE("a pinned zone needs its resource group") {
  auto pinned = azure::parse_settings(secret_table({{"zone", text("Example.COM.")},
                                                    {"resource_group", text("rg-dns")}}));
  REQUIRE(pinned.pinned.size() == 1);
  CHECK(pinned.pinned[0].name == "example.com");
  CHECK(pinned.pinned[0].resource_group == "rg-dns");
  CHECK(pinned.pinned[0].subscription == "sub-1");
  auto status = refusal(secret_table({{"zone", text("example.com")}}));
  CHECK(status.message.find("zone needs resource_group") != std::string::npos);
}

TEST_CASE("private zones") {
  auto s = azure::parse_settings(secret_table({{"zone_type", text("private")}}));
  CHECK(s.zone_type == azure::ZoneType::private_zone);
}

TEST_CASE("a certbot-dns-azure credentials file: service principal and zone lines") {
  const auto path = ini_file(
      "# certbot-dns-azure\n"
      "dns_azure_sp_client_id = app-ini\n"
      "dns_azure_sp_client_secret = ini-secret\n"
      "dns_azure_tenant_id = tenant-ini\n"
      "dns_azure_environment = \"AzureUSGovernmentCloud\"\n"
      "dns_azure_zone1 = example.com:/subscriptions/sub-a/resourceGroups/rg-a\n"
      "dns_azure_zone2 = lab.example.com:/subscriptions/sub-b/resourcegroups/rg-b\n");
  auto s = azure::parse_settings(table({{"credentials", text(path)}}));
  CHECK(s.sign_in == azure::SignIn::client_secret);
  CHECK(s.client_id == "app-ini");
  CHECK(s.client_secret == "ini-secret");
  CHECK(s.tenant_id == "tenant-ini");
  CHECK(s.arm == "https://management.usgovcloudapi.net");
  REQUIRE(s.pinned.size() == 2);
  CHECK(s.pinned[1].name == "lab.example.com");
  CHECK(s.pinned[1].subscription == "sub-b");
  CHECK(s.pinned[1].resource_group == "rg-b");
  // keys of the table win over the file
  auto mixed = azure::parse_settings(table({{"credentials", text(path)},
                                            {"tenant_id", text("tenant-table")}}));
  CHECK(mixed.tenant_id == "tenant-table");
}

TEST_CASE("a certbot file with a managed identity, a bad zone line, a loose mode") {
  const auto msi = ini_file("dns_azure_msi_client_id = identity-1\n"
                            "dns_azure_zone1 = example.com:/subscriptions/s/resourceGroups/r\n");
  auto s = azure::parse_settings(table({{"credentials", text(msi)}}));
  CHECK(s.sign_in == azure::SignIn::managed_identity);
  CHECK(s.client_id == "identity-1");
  const auto system = ini_file("dns_azure_msi_system_assigned = true\n"
                               "dns_azure_zone1 = example.com:/subscriptions/s/resourceGroups/r\n");
  CHECK(azure::parse_settings(table({{"credentials", text(system)}})).sign_in ==
        azure::SignIn::managed_identity);
  const auto bad = ini_file("dns_azure_msi_system_assigned = true\n"
                            "dns_azure_zone1 = example.com/subscriptions/s\n");
  auto status = refusal(table({{"credentials", text(bad)}}));
  CHECK(status.message.find("dns_azure_zone1") != std::string::npos);
  const auto loose = ini_file("dns_azure_sp_client_secret = x\n", 0644);
  CHECK(refusal(table({{"credentials", text(loose)}})).code == StatusCode::config);
}

TEST_CASE("resource group ids") {
  auto [sub, rg] = azure::parse_resource_group_id(
      "/subscriptions/s-1/resourceGroups/RG-1/providers/Microsoft.Network/dnszones/example.com");
  CHECK(sub == "s-1");
  CHECK(rg == "RG-1");
  CHECK_THROWS_AS(azure::parse_resource_group_id("/subscriptions/s-1"), std::invalid_argument);
}
