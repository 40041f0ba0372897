// The AWS credential chain (see credentials.hpp for the order and why).
#include "credentials.hpp"

#include <dns01/kit/files.hpp>
#include <dns01/kit/http.hpp>
#include <dns01/kit/json.hpp>

#include "xml.hpp"

namespace route53 {
namespace {

using dns01::provider::Failure;
using dns01::provider::Severity;
using dns01::provider::StatusCode;
namespace kit = dns01::kit;

constexpr auto kRefreshMargin = std::chrono::minutes(5);
constexpr const char* kImdsDefault = "http://169.254.169.254";
constexpr const char* kContainerHost = "http://169.254.170.2";

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  return text;
}

// The JSON document of the container and IMDS endpoints:
// {AccessKeyId, SecretAccessKey, Token, Expiration}.
Credentials from_metadata_json(const std::string& body, const std::string& step,
                               std::string source) {
  const kit::Json doc = kit::parse_json(body, step);
  Credentials c;
  c.key.access_key_id = kit::json_string(doc, "AccessKeyId", step);
  c.key.secret_access_key = kit::json_string(doc, "SecretAccessKey", step);
  if (const auto* token = kit::json_find(doc, "Token"); token && token->is_string())
    c.key.session_token = token->get<std::string>();
  if (const auto* exp = kit::json_find(doc, "Expiration"); exp && exp->is_string())
    c.expiration = kit::parse_rfc3339(exp->get<std::string>());
  c.source = std::move(source);
  return c;
}

// STS answers <XResponse><XResult><Credentials>{AccessKeyId, SecretAccessKey, SessionToken,
// Expiration}</Credentials>... for AssumeRole and AssumeRoleWithWebIdentity.
Credentials from_sts_reply(const dns01::provider::HttpReply& reply, const std::string& action,
                           const std::string& step, std::string source) {
  if (reply.code != 200) {
    const AwsError error = parse_error(reply.body);
    const bool auth = error.code == "InvalidIdentityToken" || error.code == "ExpiredTokenException" ||
                      error.code == "IDPRejectedClaim" || error.code == "InvalidClientTokenId" ||
                      error.code == "ExpiredToken" || error.code == "SignatureDoesNotMatch";
    throw Failure(error.code == "AccessDenied" ? StatusCode::denied
                  : auth                       ? StatusCode::auth
                                               : kit::status_code_for(reply.code),
                  step,
                  "STS answered HTTP " + std::to_string(reply.code) +
                      (error.code.empty() ? "" : " " + error.code) +
                      (error.message().empty() ? "" : ": " + error.message()),
                  error.code == "AccessDenied"
                      ? "the role's trust policy must allow sts:" + action + " for this caller"
                      : "check the role ARN and the identity token (its audience must be "
                        "sts.amazonaws.com)");
  }
  const Xml xml = Xml::parse(reply.body, step);
  const auto* creds = Xml::find(xml.root(), action + "Result/Credentials");
  Credentials c;
  c.key.access_key_id = Xml::text(creds, "AccessKeyId").value_or("");
  c.key.secret_access_key = Xml::text(creds, "SecretAccessKey").value_or("");
  c.key.session_token = Xml::text(creds, "SessionToken").value_or("");
  if (auto exp = Xml::text(creds, "Expiration")) c.expiration = kit::parse_rfc3339(*exp);
  if (c.key.access_key_id.empty() || c.key.secret_access_key.empty())
    throw Failure(StatusCode::server, step, "the STS reply has no Credentials",
                  "check that sts_endpoint points at AWS STS");
  c.source = std::move(source);
  return c;
}

}  // namespace

std::optional<std::string> CredentialChain::env(const char* name) const {
  auto value = host_.env(name);
  if (value && value->empty()) return std::nullopt;
  return value;
}

Credentials CredentialChain::remember(Credentials c) {
  host_.add_secret(c.key.secret_access_key);
  if (!c.key.session_token.empty()) host_.add_secret(c.key.session_token);
  return c;
}

const SigningKey& CredentialChain::current() {
  const bool expiring = credentials_.expiration &&
                        std::chrono::system_clock::now() + kRefreshMargin >= *credentials_.expiration;
  if (!resolved_ || expiring) {
    credentials_ = resolve();
    resolved_ = true;
    host_.log(Severity::info, "AWS credentials from " + credentials_.source);
  }
  return credentials_.key;
}

Credentials CredentialChain::resolve() {
  std::string profile = settings_.profile;
  bool named = !profile.empty();
  for (const char* var : {"AWS_PROFILE", "AWS_DEFAULT_PROFILE"}) {
    if (profile.empty()) {
      if (auto p = env(var)) profile = *p, named = true;
    }
  }
  if (profile.empty()) profile = "default";

  std::optional<Credentials> found = from_settings();
  if (!found) found = from_environment();
  if (!found) found = from_web_identity(profile);
  if (!found) found = from_files(profile, named);
  if (!found) found = from_container();
  if (!found) found = from_imds();
  if (!found)
    throw Failure(StatusCode::config, "find AWS credentials",
                  "no AWS credentials: access_key_id and secret_access_key are not set, and no "
                  "AWS_ACCESS_KEY_ID, web identity (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE), "
                  "profile '" + profile + "' in ~/.aws/credentials or ~/.aws/config, container "
                  "or EC2 instance credentials were found",
                  "set access_key_id and secret_access_key_file in [providers." +
                      settings_.instance + "], or one of the AWS sources (docs/providers/route53.md)");
  Credentials base = remember(std::move(*found));
  if (settings_.role_arn.empty()) return base;
  return remember(assume_role(base));
}

std::optional<Credentials> CredentialChain::from_settings() {
  if (settings_.access_key_id.empty()) return std::nullopt;
  Credentials c;
  c.key = {settings_.access_key_id, settings_.secret_access_key, settings_.session_token};
  c.source = "the settings (access_key_id)";
  return c;
}

std::optional<Credentials> CredentialChain::from_environment() {
  auto id = env("AWS_ACCESS_KEY_ID");
  auto secret = env("AWS_SECRET_ACCESS_KEY");
  if (!id && !secret) return std::nullopt;
  if (!id || !secret)
    throw Failure(StatusCode::config, "read AWS credentials from the environment",
                  std::string(id ? "AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY"
                                 : "AWS_SECRET_ACCESS_KEY is set without AWS_ACCESS_KEY_ID"),
                  "set both, or neither");
  Credentials c;
  c.key = {*id, *secret, env("AWS_SESSION_TOKEN").value_or(env("AWS_SECURITY_TOKEN").value_or(""))};
  if (auto exp = env("AWS_CREDENTIAL_EXPIRATION")) c.expiration = kit::parse_rfc3339(*exp);
  c.source = "the environment (AWS_ACCESS_KEY_ID)";
  return c;
}

// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
// Unsigned: the web identity token is the credential.
std::optional<Credentials> CredentialChain::from_web_identity(const std::string& profile) {
  auto role = env("AWS_ROLE_ARN");
  auto token_file = env("AWS_WEB_IDENTITY_TOKEN_FILE");
  auto session = env("AWS_ROLE_SESSION_NAME");
  std::string where = "AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE";
  if (!role && !token_file) {
    const std::string config = env("AWS_CONFIG_FILE").value_or(env("HOME").value_or("") + "/.aws/config");
    std::error_code ec;
    if (!std::filesystem::exists(config, ec)) return std::nullopt;
    const auto ini = kit::parse_ini(kit::read_text_file(config, "the AWS config file"));
    auto section = ini.find(profile == "default" ? "default" : "profile " + profile);
    if (section == ini.end()) return std::nullopt;
    auto r = section->second.find("role_arn");
    auto f = section->second.find("web_identity_token_file");
    if (r == section->second.end() || f == section->second.end()) return std::nullopt;
    role = r->second;
    token_file = f->second;
    if (auto s = section->second.find("role_session_name"); s != section->second.end())
      session = s->second;
    where = "profile '" + profile + "' (role_arn + web_identity_token_file)";
  }
  if (!role || !token_file)
    throw Failure(StatusCode::config, "read the web identity settings",
                  std::string(role ? "AWS_ROLE_ARN is set without AWS_WEB_IDENTITY_TOKEN_FILE"
                                   : "AWS_WEB_IDENTITY_TOKEN_FILE is set without AWS_ROLE_ARN"),
                  "set both (a CI job's OIDC token file and the role to assume), or neither");
  const std::string step = "assume role " + *role + " with web identity";
  const std::string token = trim(kit::read_text_file(*token_file, "the web identity token file"));
  if (token.empty())
    throw Failure(StatusCode::auth, step, "the web identity token file " + *token_file + " is empty",
                  "check the job's OIDC token step (GitHub: permissions id-token: write)");
  host_.add_secret(token);
  // https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
  auto request = kit::Request("POST", settings_.sts_endpoint + "/")
                     .form({{"Action", "AssumeRoleWithWebIdentity"},
                            {"Version", "2011-06-15"},
                            {"RoleArn", *role},
                            {"RoleSessionName", session.value_or(settings_.role_session_name)},
                            {"WebIdentityToken", token}})
                     .idempotent(true);
  return from_sts_reply(kit::send(host_, request, step), "AssumeRoleWithWebIdentity", step,
                        "web identity (" + where + ")");
}

std::optional<Credentials> CredentialChain::from_files(const std::string& profile, bool named) {
  const std::string home = env("HOME").value_or("");
  const std::string credentials_file =
      env("AWS_SHARED_CREDENTIALS_FILE").value_or(home + "/.aws/credentials");
  const std::string config_file = env("AWS_CONFIG_FILE").value_or(home + "/.aws/config");
  bool profile_seen = false;
  const std::pair<std::string, std::string> files[] = {
      {credentials_file, profile}, {config_file, profile == "default" ? profile : "profile " + profile}};
  for (const auto& [file, section_name] : files) {
    std::error_code ec;
    if (file.empty() || !std::filesystem::exists(file, ec)) continue;
    const auto ini = kit::parse_ini(kit::read_text_file(file, "the AWS credentials file"));
    auto section = ini.find(section_name);
    if (section == ini.end()) continue;
    profile_seen = true;
    auto id = section->second.find("aws_access_key_id");
    auto secret = section->second.find("aws_secret_access_key");
    if (id == section->second.end()) continue;
    if (secret == section->second.end())
      throw Failure(StatusCode::config, "read " + file,
                    "profile '" + profile + "' has aws_access_key_id without aws_secret_access_key",
                    "add aws_secret_access_key to [" + section_name + "] in " + file);
    Credentials c;
    c.key = {id->second, secret->second, ""};
    if (auto t = section->second.find("aws_session_token"); t != section->second.end())
      c.key.session_token = t->second;
    c.source = "profile '" + profile + "' of " + file;
    return c;
  }
  if (named && !profile_seen)
    throw Failure(StatusCode::config, "read AWS profile '" + profile + "'",
                  "the profile is in neither " + credentials_file + " nor " + config_file,
                  "check the profile name (profile setting, AWS_PROFILE) or the files' paths "
                  "(AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE)");
  return std::nullopt;
}

// https://docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html
std::optional<Credentials> CredentialChain::from_container() {
  std::string url;
  if (auto relative = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"))
    url = kContainerHost + *relative;
  else if (auto full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI"))
    url = *full;
  else
    return std::nullopt;
  const std::string step = "get container credentials";
  auto request = kit::Request("GET", url).timeout(std::chrono::seconds(2)).attempts(3);
  std::optional<std::string> token;
  if (auto file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"))  // re-read: it is rotated
    token = trim(kit::read_text_file(*file, "the container authorization token file"));
  else
    token = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  if (token) {
    host_.add_secret(*token);
    request.header("Authorization", *token);
  }
  const auto reply = kit::send(host_, request, step);
  if (reply.code != 200)
    throw kit::http_failure(reply, step, "the container credentials endpoint answered HTTP " +
                                             std::to_string(reply.code),
                            "check AWS_CONTAINER_CREDENTIALS_*_URI and the authorization token");
  return from_metadata_json(reply.body, step, "container credentials");
}

// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html
// IMDSv2: PUT a session token, GET the role name, GET its credentials. Off EC2 nothing answers:
// one 1 s attempt, then the chain ends.
std::optional<Credentials> CredentialChain::from_imds() {
  if (auto disabled = env("AWS_EC2_METADATA_DISABLED"); disabled && (*disabled == "true" || *disabled == "TRUE"))
    return std::nullopt;
  std::string base = env("AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or(kImdsDefault);
  while (base.ends_with('/')) base.pop_back();
  const std::string step = "get EC2 instance credentials";
  constexpr auto kProbe = std::chrono::seconds(1);
  dns01::provider::HttpReply token_reply;
  try {
    token_reply = kit::send(host_,
                            kit::Request("PUT", base + "/latest/api/token")
                                .header("X-aws-ec2-metadata-token-ttl-seconds", "21600")
                                .timeout(kProbe)
                                .attempts(1),
                            step);
  } catch (const Failure&) {
    if (host_.stop_requested()) throw;
    host_.log(Severity::debug, "no EC2 instance metadata service at " + base);
    return std::nullopt;  // not on EC2
  }
  std::optional<std::string> token;
  if (token_reply.code == 200) {
    token = trim(token_reply.body);
    host_.add_secret(*token);
  } else if (token_reply.code != 403 && token_reply.code != 404 && token_reply.code != 405) {
    throw kit::http_failure(token_reply, step, "the IMDS token request answered HTTP " +
                                                   std::to_string(token_reply.code));
  }  // 403/404/405: IMDSv1 only; go on without a token
  auto get = [&](const std::string& path) {
    auto request = kit::Request("GET", base + path).timeout(kProbe).attempts(2);
    if (token) request.header("X-aws-ec2-metadata-token", *token);
    auto reply = kit::send(host_, request, step);
    if (reply.code != 200)
      throw kit::http_failure(reply, step, "the instance metadata service answered HTTP " +
                                               std::to_string(reply.code) + " for " + path,
                              "attach an IAM role (instance profile) to the instance");
    return reply.body;
  };
  const std::string listing = get("/latest/meta-data/iam/security-credentials/");
  const std::string role = trim(listing.substr(0, listing.find('\n')));
  if (role.empty())
    throw Failure(StatusCode::config, step, "the instance has no IAM role",
                  "attach an IAM role (instance profile) to the instance");
  return from_metadata_json(get("/latest/meta-data/iam/security-credentials/" + role), step,
                            "EC2 instance metadata (role " + role + ")");
}

// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
// A query-protocol POST signed with the base credentials (service sts).
Credentials CredentialChain::assume_role(const Credentials& base) {
  const std::string step = "assume role " + settings_.role_arn;
  const std::string body = kit::form_encode({{"Action", "AssumeRole"},
                                             {"Version", "2011-06-15"},
                                             {"RoleArn", settings_.role_arn},
                                             {"RoleSessionName", settings_.role_session_name}});
  const std::string url = settings_.sts_endpoint + "/";
  const UrlParts parts = split_url(url);
  SignedRequest to_sign{"POST", parts.path, "", {{"Host", parts.host}}, body};
  auto request = kit::Request("POST", url)
                     .body(body, "application/x-www-form-urlencoded; charset=utf-8")
                     .idempotent(true);
  for (auto& [name, value] : sign(to_sign, base.key, kit::iso8601_basic(std::chrono::system_clock::now()),
                                  settings_.region, "sts"))
    request.header(name, value);
  Credentials c = from_sts_reply(kit::send(host_, request, step), "AssumeRole", step,
                                 "role " + settings_.role_arn + " assumed with " + base.source);
  return c;
}

}  // namespace route53
