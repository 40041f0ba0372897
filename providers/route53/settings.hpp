#pragma once
// The route53 provider's settings: one struct, filled once from the host's Settings by
// parse_settings(), the only code that reads them. Defaults live in provider.toml (the host
// applies them, and the AWS_ENDPOINT_URL_* aliases, before the factory runs), never here.
//
// Errors: parse_settings() throws dns01::provider::Failure(config) listing every problem, never
// a secret's value. Threading: pure function.
#include <dns01/provider.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace route53 {

struct Route53Settings {
  std::string instance;           // [providers.<instance>], for hints
  std::string endpoint;           // `endpoint`, no trailing slash
  std::string sts_endpoint;       // `sts_endpoint`, no trailing slash
  std::string region;             // `region`: SigV4 signing region
  std::string access_key_id;      // `access_key_id`; empty: the AWS credential chain
  std::string secret_access_key;  // `secret_access_key`
  std::string session_token;      // `session_token`
  std::string profile;            // `profile`; empty: AWS_PROFILE, else "default"
  std::string role_arn;           // `role_arn`: assume this role from the resolved credentials
  std::string role_session_name;  // `role_session_name`
  std::string hosted_zone_id;     // `hosted_zone_id` without "/hostedzone/"; empty: look up
  bool private_zone = false;      // `private_zone`
  std::uint32_t ttl = 0;          // `ttl`, seconds
  std::chrono::milliseconds insync_timeout{0};  // `insync_timeout`
};

Route53Settings parse_settings(const dns01::provider::Settings& settings);

}  // namespace route53
