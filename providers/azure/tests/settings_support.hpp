#pragma once
// Settings as the host hands them to the azure provider (provider.toml's defaults applied), for
// the unit tests.
#include <dns01/provider.hpp>

#include "settings_values.hpp"  // providers/kit/tests

#include <map>
#include <string>

namespace azure_test {

using dns01::kit::test::text;
using dns01::kit::test::flag;
using dns01::kit::test::integer;

// [providers.az] with the defaults and `given` on top; an empty Value text removes a key.
inline dns01::provider::Settings table(
    std::map<std::string, dns01::provider::Value, std::less<>> given) {
  dns01::provider::Settings s;
  s.instance = "az";
  s.code = "azure";
  s.zones = {"example.com"};
  s.values = {{"zone_type", text("public")},
              {"environment", text("public")},
              {"managed_identity", flag(false)},
              {"ttl", integer(60)}};
  for (auto& [key, value] : given) {
    if (value.kind == dns01::provider::ValueKind::string && value.text.empty())
      s.values.erase(key);
    else
      s.values[key] = value;
  }
  return s;
}

// A client-secret table: the usual case.
inline dns01::provider::Settings secret_table(
    std::map<std::string, dns01::provider::Value, std::less<>> more = {}) {
  std::map<std::string, dns01::provider::Value, std::less<>> given = {
      {"subscription_id", text("sub-1")},
      {"tenant_id", text("tenant-1")},
      {"client_id", text("app-1")},
      {"client_secret", text("s3cret-value", true)}};
  for (auto& [k, v] : more) given[k] = v;
  return table(std::move(given));
}

}  // namespace azure_test
