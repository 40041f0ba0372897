// Entra ID access tokens (see token_source.hpp).
#include "token_source.hpp"

#include <dns01/kit/files.hpp>
#include <dns01/kit/http.hpp>
#include <dns01/kit/json.hpp>

#include <charconv>

namespace azure {

namespace kit = dns01::kit;
using dns01::provider::Failure;
using dns01::provider::HttpReply;
using dns01::provider::StatusCode;

namespace {

// Refresh this long before expiry, so a token never expires between the check and ARM's.
constexpr std::chrono::seconds kRefreshMargin{120};
constexpr std::chrono::seconds kIdentityTimeout{10};

std::int64_t number_of(const kit::Json& v) {
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_string()) {  // IMDS and App Service write numbers as strings
    const auto& s = v.get_ref<const std::string&>();
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && end == s.data() + s.size()) return n;
  }
  return -1;
}

std::string first_line(std::string text, std::size_t limit = 300) {
  if (auto nl = text.find_first_of("\r\n"); nl != std::string::npos) text.resize(nl);
  if (text.size() > limit) text = text.substr(0, limit) + "...";
  return text;
}

// What the user can do about an AADSTS error (the codes Entra ID documents for these flows).
std::string hint_for(const std::string& description, const AzureSettings& s) {
  auto has = [&](const char* code) { return description.find(code) != std::string::npos; };
  if (has("AADSTS7000215"))
    return "client_secret is wrong: copy the secret's Value (not its Secret ID) from the app "
           "registration's Certificates & secrets";
  if (has("AADSTS7000222")) return "the client secret expired: create a new one and update "
                                   "client_secret";
  if (has("AADSTS700016") || has("AADSTS90002"))
    return "check tenant_id and client_id (" + s.client_id + "): the app must exist in that "
           "tenant";
  if (has("AADSTS70021") || has("AADSTS700211") || has("AADSTS700212") || has("AADSTS700213"))
    return "no federated credential of the app matches the token's issuer/subject/audience: "
           "check the app's Federated credentials (audience api://AzureADTokenExchange)";
  if (has("AADSTS700024")) return "the federated token expired: check that " +
                                  s.federated_token_path + " is refreshed";
  if (has("Identity not found"))
    return "no managed identity with that client_id is assigned to this machine: assign it, "
           "or leave client_id out for the system-assigned identity";
  return "check the sign-in settings of [providers." + s.instance + "] (docs/providers/azure.md)";
}

Failure token_failure(const HttpReply& reply, std::string step, const AzureSettings& s) {
  std::string description;
  try {
    const auto doc = kit::parse_json(reply.body, step);
    if (const auto* d = kit::json_find(doc, "error_description"); d && d->is_string())
      description = d->get<std::string>();
    else if (const auto* m = kit::json_find(doc, "message"); m && m->is_string())
      description = m->get<std::string>();
    else if (const auto* e = kit::json_find(doc, "error"); e && e->is_string())
      description = e->get<std::string>();
  } catch (const Failure&) {
  }
  const StatusCode code = reply.code >= 500 ? StatusCode::server : StatusCode::auth;
  const std::string message = "HTTP " + std::to_string(reply.code) +
                              (description.empty() ? "" : ": " + first_line(description));
  return Failure(code, std::move(step), message, hint_for(description, s));
}

std::string resource_of(const std::string& scope) {  // ".../.default" -> ".../"
  const std::string suffix = ".default";
  return scope.size() > suffix.size() ? scope.substr(0, scope.size() - suffix.size()) : scope;
}

}  // namespace

TokenReply parse_token_reply(std::string_view body, std::int64_t now_epoch,
                             std::string_view step) {
  const auto doc = kit::parse_json(body, step);
  TokenReply out;
  out.access_token = kit::json_string(doc, "access_token", step);
  std::int64_t lifetime = -1;
  if (const auto* in = kit::json_find(doc, "expires_in")) lifetime = number_of(*in);
  if (lifetime < 0)
    if (const auto* on = kit::json_find(doc, "expires_on"))
      if (const auto epoch = number_of(*on); epoch > 0) lifetime = epoch - now_epoch;
  if (lifetime < 0)
    throw Failure(StatusCode::server, std::string(step),
                  "the token reply has neither expires_in nor expires_on",
                  "the identity endpoint is not an Entra ID token endpoint");
  out.lifetime = std::chrono::seconds(lifetime);
  return out;
}

TokenSource::TokenSource(const AzureSettings& settings, dns01::provider::Host& host)
    : s_(settings), host_(host) {}

std::string TokenSource::token() {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (!cached_.empty() && now < refresh_at_) return cached_;
  TokenReply fresh = fetch();
  host_.add_secret(fresh.access_token);
  cached_ = std::move(fresh.access_token);
  // A token living less than twice the margin is used for half its life.
  const auto margin = std::min<std::chrono::seconds>(kRefreshMargin, fresh.lifetime / 2);
  refresh_at_ = now + fresh.lifetime - margin;
  return cached_;
}

void TokenSource::invalidate() {
  std::lock_guard lock(mutex_);
  cached_.clear();
}

TokenReply TokenSource::fetch() {
  switch (s_.sign_in) {
    case SignIn::client_secret: return client_credentials("sign in with the client secret");
    case SignIn::federated_token: return client_credentials("sign in with the federated token");
    case SignIn::managed_identity: return managed_identity("sign in with the managed identity");
  }
  throw Failure(StatusCode::internal, "sign in", "unknown sign-in");
}

// https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow
// (the federated form: .../workload-identity-federation, client_assertion)
TokenReply TokenSource::client_credentials(std::string_view step) {
  std::vector<std::pair<std::string, std::string>> form = {
      {"grant_type", "client_credentials"}, {"client_id", s_.client_id}, {"scope", s_.scope}};
  if (s_.sign_in == SignIn::client_secret) {
    form.emplace_back("client_secret", s_.client_secret);
  } else {
    // Re-read on every refresh: the kubelet / CI rotates the file behind our back.
    std::string assertion = kit::read_text_file(s_.federated_token_path, "the federated token file");
    while (!assertion.empty() && (assertion.back() == '\n' || assertion.back() == '\r' ||
                                  assertion.back() == ' '))
      assertion.pop_back();
    if (assertion.empty())
      throw Failure(StatusCode::config, std::string(step),
                    "the federated token file " + s_.federated_token_path + " is empty",
                    "write the OIDC token (a JWT) there before dns01 runs");
    host_.add_secret(assertion);
    form.emplace_back("client_assertion_type",
                      "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    form.emplace_back("client_assertion", std::move(assertion));
  }
  const auto url = s_.authority + "/" + kit::url_encode(s_.tenant_id) + "/oauth2/v2.0/token";
  // Asking for a token twice is harmless: the host may retry it like a GET.
  const auto reply = kit::send(host_, kit::Request("POST", url).form(form).idempotent(true), step);
  if (reply.code != 200) throw token_failure(reply, std::string(step), s_);
  return parse_token_reply(reply.body, std::time(nullptr), step);
}

// IMDS: https://learn.microsoft.com/en-us/entra/identity/managed-identities-azure-resources/how-to-use-vm-token
// App Service: https://learn.microsoft.com/en-us/azure/app-service/overview-managed-identity#rest-endpoint-reference
TokenReply TokenSource::managed_identity(std::string_view step) {
  const auto endpoint = host_.env("IDENTITY_ENDPOINT");
  const auto header = host_.env("IDENTITY_HEADER");
  const std::string resource = resource_of(s_.scope);
  std::optional<kit::Request> request;
  if (endpoint && header && !endpoint->empty()) {
    host_.add_secret(*header);
    request.emplace("GET", *endpoint);
    request->query("api-version", "2019-08-01").query("resource", resource);
    request->header("X-IDENTITY-HEADER", *header);
  } else {
    std::string base = host_.env("AZURE_POD_IDENTITY_AUTHORITY_HOST").value_or(
        "http://169.254.169.254");
    while (!base.empty() && base.back() == '/') base.pop_back();
    request.emplace("GET", base + "/metadata/identity/oauth2/token");
    request->query("api-version", "2018-02-01").query("resource", resource);
    request->header("Metadata", "true");
  }
  if (!s_.client_id.empty()) request->query("client_id", s_.client_id);
  request->timeout(kIdentityTimeout);
  HttpReply reply;
  try {
    reply = kit::send(host_, *request, step);
  } catch (const Failure& f) {
    auto status = f.status();
    status.hint = "managed_identity works on an Azure VM, scale set, App Service or Container "
                  "App with an identity assigned; elsewhere use client_secret or a federated "
                  "token";
    throw Failure(std::move(status));
  }
  if (reply.code != 200) throw token_failure(reply, std::string(step), s_);
  return parse_token_reply(reply.body, std::time(nullptr), step);
}

}  // namespace azure
