#pragma once
// Settings as the host hands them to the cloudflare provider (provider.toml defaults applied),
// for the unit tests of this folder.
#include <dns01/provider.hpp>

#include "settings_values.hpp"  // providers/kit/tests

#include <cstdint>
#include <string>
#include <utility>

namespace cloudflare::test {

using dns01::kit::test::text;
using dns01::kit::test::integer;

// A table with provider.toml's defaults (ttl 60, the public endpoint) and zones example.com.
inline dns01::provider::Settings table() {
  dns01::provider::Settings s;
  s.instance = "cf";
  s.code = "cloudflare";
  s.zones = {"example.com"};
  s.values["ttl"] = integer(60);
  s.values["endpoint"] = text("https://api.cloudflare.com/client/v4");
  return s;
}

inline dns01::provider::Settings token_table(std::string token = "tok-SECRET-123") {
  auto s = table();
  s.values["api_token"] = text(std::move(token), true);
  return s;
}

}  // namespace cloudflare::test
