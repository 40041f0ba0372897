#pragma once
// Settings tables for the route53 unit tests, built the way the host hands them over
// (provider.toml defaults applied).
#include <dns01/provider.hpp>

#include "settings_values.hpp"  // providers/kit/tests

#include <map>
#include <string>

namespace route53::test {

using dns01::kit::test::text;
using dns01::kit::test::integer;
using dns01::kit::test::flag;
using dns01::kit::test::duration;

inline dns01::provider::Settings table(
    std::map<std::string, dns01::provider::Value, std::less<>> given = {}) {
  dns01::provider::Settings s;
  s.instance = "aws";
  s.code = "route53";
  s.zones = {"example.com"};
  s.values = {{"endpoint", text("https://route53.amazonaws.com")},
              {"sts_endpoint", text("https://sts.amazonaws.com")},
              {"region", text("us-east-1")},
              {"role_session_name", text("dns01")},
              {"private_zone", flag(false)},
              {"ttl", integer(60)},
              {"insync_timeout", duration(std::chrono::minutes(5))}};
  for (auto& [key, value] : given) s.values[key] = value;
  return s;
}

}  // namespace route53::test
