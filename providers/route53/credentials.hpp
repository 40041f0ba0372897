#pragma once
// The AWS credential chain, in the order the AWS SDKs use (botocore's, without SSO and
// credential_process), each source read through the Host (environment, HTTP) so tests can
// inject it:
//   1. the table's access_key_id + secret_access_key (+ session_token)
//   2. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN)
//   3. web identity: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE (or the profile's role_arn +
//      web_identity_token_file) -> STS AssumeRoleWithWebIdentity, unsigned; the token file is
//      re-read on every refresh
//   4. the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials), profile
//      `profile` / AWS_PROFILE / AWS_DEFAULT_PROFILE / default
//   5. the config file (AWS_CONFIG_FILE, ~/.aws/config), [profile <name>] or [default]
//   6. container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (http://169.254.170.2)
//      or _FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]
//   7. EC2 IMDSv2 (one 1 s attempt; AWS_EC2_METADATA_DISABLED=true skips it,
//      AWS_EC2_METADATA_SERVICE_ENDPOINT moves it)
// then, when the table sets role_arn, STS AssumeRole signed with what was found.
// Temporary credentials are resolved again 5 minutes before their Expiration.
//
// Errors: Failure(config) when nothing is found or a source is half-configured (naming the keys
// and variables, never a value); auth/denied/network from STS and the metadata endpoints.
// Every key, token and secret learnt is passed to Host::add_secret(). The source used is logged
// at info level by name only.
// Threading: one chain per provider object (the host calls a provider from one thread at a time).
#include <dns01/kit/time.hpp>
#include <dns01/provider.hpp>

#include <optional>
#include <string>

#include "settings.hpp"
#include "sigv4.hpp"

namespace route53 {

struct Credentials {
  SigningKey key;
  std::optional<dns01::kit::SystemTime> expiration;  // nullopt: long-term keys
  std::string source;                                // "environment (AWS_ACCESS_KEY_ID)", ...
};

class CredentialChain {
 public:
  CredentialChain(const Route53Settings& settings, dns01::provider::Host& host)
      : settings_(settings), host_(host) {}

  // The credentials to sign with now: resolved on first use, again when they expire soon.
  const SigningKey& current();
  // Which source the current credentials came from ("" before the first current()).
  const std::string& source() const noexcept { return credentials_.source; }

  // Forget the current credentials (after ExpiredToken): the next current() resolves again.
  void invalidate() noexcept { resolved_ = false; }

 private:
  Credentials resolve();
  std::optional<Credentials> from_settings();
  std::optional<Credentials> from_environment();
  std::optional<Credentials> from_web_identity(const std::string& profile);
  std::optional<Credentials> from_files(const std::string& profile, bool profile_named);
  std::optional<Credentials> from_container();
  std::optional<Credentials> from_imds();
  Credentials assume_role(const Credentials& base);
  std::optional<std::string> env(const char* name) const;
  Credentials remember(Credentials c);

  const Route53Settings& settings_;
  dns01::provider::Host& host_;
  Credentials credentials_;
  bool resolved_ = false;
};

}  // namespace route53
