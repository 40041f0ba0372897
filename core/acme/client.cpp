// AcmeClient transport (nonces, signed POSTs, badNonce retries), directory and accounts.
#include "dns01/acme/client.hpp"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "dns01/log.hpp"
#include "dns01/signals.hpp"

namespace dns01::acme {

namespace {

bool valid_nonce(std::string_view n) {
  if (n.empty() || n.size() > 512) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

std::string describe_statuses(const std::vector<long>& v) {
  std::string out;
  for (long s : v) out += fmt::format("{}{}", out.empty() ? "" : "/", s);
  return out;
}

}  // namespace

AcmeClient::AcmeClient(HttpClient& http, PrivateKey account_key, AcmeClientOptions options)
    : AcmeClient(http, std::move(options)) {
  account_key_.emplace(std::move(account_key));
}

AcmeClient::AcmeClient(HttpClient& http, AcmeClientOptions options) : http_(http), options_(std::move(options)) {
  if (options_.directory_url.empty())
    throw UsageError("acme", "set up client", "no ACME directory URL given",
                     "set [acme] server to a directory URL or a CA shortcut");
  if (std::string why = url_policy_violation(options_.directory_url, url_policy()); !why.empty())
    throw UsageError("acme", "set up client",
                     fmt::format("the ACME server {} is refused: {}",
                                 redact_url(options_.directory_url), why),
                     "give the CA's https:// directory URL or a CA shortcut");
}

UrlPolicy AcmeClient::url_policy() const {
  UrlPolicy policy;
  policy.https_only = true;
  policy.allow_http_loopback = options_.allow_http_loopback;
  policy.refuse_link_local = true;
  return policy;
}

HttpResponse AcmeClient::send(HttpRequest request) {
  // Every URL but the directory's came from the CA: a broken one is the CA's fault, not ours.
  if (request.url.empty() || request.url.find_first_of(std::string_view(" \t\r\n\0", 5)) != std::string::npos)
    throw AcmeError(fmt::format("{} a URL from the CA", request.method),
                    fmt::format("the CA handed out an unusable URL '{}' (empty, or with blanks or "
                                "line breaks)",
                                redact_url(request.url)),
                    "the CA's reply is malformed; try again later or report it to the CA");
  request.url_policy = url_policy();
  // SIGINT/SIGTERM ends a request to a stalled CA within a second (exit 130, not a timeout).
  request.cancelled = [] { return stop_requested(); };
  return http_.send(request);
}

const PrivateKey& AcmeClient::account_key() const {
  if (!account_key_)
    throw Error(ErrorCategory::internal, "acme", "use the account key",
                "this ACME client was built without an account key");
  return *account_key_;
}

std::string AcmeClient::thumbprint() const { return jwk_thumbprint(account_key()); }

void AcmeClient::pause(std::chrono::milliseconds d) {
  if (options_.sleep) {
    options_.sleep(d);
    return;
  }
  // In slices: a signal ends a poll interval (up to a minute with Retry-After) at once.
  const auto end = std::chrono::steady_clock::now() + d;
  for (auto now = std::chrono::steady_clock::now(); now < end; now = std::chrono::steady_clock::now()) {
    if (stop_requested()) throw InterruptedError("wait for the CA");
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
        std::chrono::milliseconds(50),
        std::chrono::duration_cast<std::chrono::milliseconds>(end - now) + std::chrono::milliseconds(1)));
  }
}

const Directory& AcmeClient::directory() {
  if (directory_) return *directory_;
  HttpRequest req;
  req.url = options_.directory_url;
  req.timeout = options_.request_timeout;
  req.max_body = options_.max_body;
  req.follow_redirects = true;
  HttpResponse resp = send(std::move(req));
  if (resp.status != 200)
    throw AcmeError("fetch directory", parse_problem(resp.body, static_cast<int>(resp.status)),
                    resp.retry_after(), "check the ACME server URL");
  directory_ = parse_directory(resp.body);
  Logger::global().debug("acme", "directory {} loaded", options_.directory_url);
  return *directory_;
}

void AcmeClient::remember_nonce(const HttpResponse& response) {
  auto n = response.header("Replay-Nonce");
  if (n && valid_nonce(*n)) {
    if (nonces_.size() >= 16) nonces_.erase(nonces_.begin());
    nonces_.push_back(*n);
  }
}

std::string AcmeClient::take_nonce() {
  if (nonces_.empty()) {
    HttpRequest req;
    req.method = "HEAD";
    req.url = directory().new_nonce;
    req.timeout = options_.request_timeout;
    req.max_body = 4096;
    HttpResponse resp = send(std::move(req));
    remember_nonce(resp);
    if (nonces_.empty())
      throw AcmeError("get nonce",
                      fmt::format("newNonce answered HTTP {} without a usable Replay-Nonce header", resp.status),
                      "check that the URL is an ACME directory");
  }
  std::string n = std::move(nonces_.back());
  nonces_.pop_back();
  return n;
}

void AcmeClient::require_account(const std::string& step) const {
  if (account_url_.empty())
    throw Error(ErrorCategory::internal, "acme", step, "no account URL is known",
                "register or find the account first");
}

HttpResponse AcmeClient::post(const std::string& url, const std::optional<Json>& payload,
                              const std::string& step, const PostOptions& po) {
  const PrivateKey& key = po.key ? *po.key : account_key();
  if (!po.use_jwk) require_account(step);
  for (int attempt = 0;; ++attempt) {
    const std::string nonce = take_nonce();
    Json header = acme_header(key, nonce, url, po.use_jwk ? std::string_view() : std::string_view(account_url_));
    const Json jws = sign_jws(key, std::move(header), payload);
    HttpRequest req;
    req.method = "POST";
    req.url = url;
    req.headers = {{"Content-Type", "application/jose+json"}};
    if (!po.accept.empty()) req.headers.emplace_back("Accept", po.accept);
    req.body = jws.dump();
    req.timeout = options_.request_timeout;
    req.idempotent = false;
    req.max_body = po.max_body ? po.max_body : options_.max_body;
    HttpResponse resp = send(std::move(req));
    remember_nonce(resp);
    if (std::find(po.expected.begin(), po.expected.end(), resp.status) != po.expected.end()) return resp;

    AcmeProblem problem = parse_problem(resp.body, static_cast<int>(resp.status));
    if (is_problem(problem, "badNonce") && attempt < options_.max_bad_nonce_retries) {
      Logger::global().debug("acme", "{}: badNonce, retrying with a fresh nonce ({}/{})", step, attempt + 1,
                             options_.max_bad_nonce_retries);
      continue;
    }
    if (resp.status >= 200 && resp.status < 400 && problem.type.empty())
      problem.detail = fmt::format("unexpected HTTP {} (expected {})", resp.status, describe_statuses(po.expected));
    std::string hint;
    const std::string t = problem.short_type();
    if (t == "rateLimited") hint = "wait until the time the CA gives (Retry-After) before trying again";
    else if (t == "externalAccountRequired") hint = "give the EAB key ID and MAC key your CA issued";
    else if (t == "accountDoesNotExist") hint = "register the account first";
    else if (step == "create account" && payload && payload->is_object() &&
             payload->contains("externalAccountBinding") &&
             (t == "unauthorized" || t == "malformed" || t == "externalAccountRequired"))
      hint = "check the EAB key ID and MAC key (--eab-kid, --eab-hmac-key-file): they must be the "
             "pair your CA issued for this account";
    else if (t == "unauthorized" && (step == "create account" || step == "find account"))
      hint = "the CA refused the account; check its terms of service and your account settings";
    else if (t == "unauthorized" && step.find("revoke") != std::string::npos)
      hint = "this account or key may not revoke the certificate; revoke with the account that ordered it";
    else if (t == "unauthorized")
      hint = "check that the records were visible to the CA and that the account may issue for these names";
    else if (t == "badNonce") hint = "the CA kept rejecting nonces; try again later";
    else if (resp.status >= 500) hint = "the CA failed; try again later";
    throw AcmeError(step, std::move(problem), resp.retry_after(), std::move(hint));
  }
}

// --- accounts ----------------------------------------------------------------------------------

Account AcmeClient::register_account(const NewAccountOptions& o) {
  const Directory& dir = directory();
  if (!dir.meta.terms_of_service.empty() && !o.agree_to_terms)
    throw UsageError("acme", "create account",
                     fmt::format("the CA requires agreeing to its terms of service ({})", dir.meta.terms_of_service),
                     "read them and pass the option that agrees to them");
  if (dir.meta.external_account_required && !o.eab)
    throw UsageError("acme", "create account", "the CA requires external account binding (EAB)",
                     "give the EAB key ID and MAC key your CA issued");
  Json payload = Json::object();
  if (!o.contact.empty()) payload["contact"] = o.contact;
  if (o.agree_to_terms) payload["termsOfServiceAgreed"] = true;
  if (o.eab) {
    Redactor::global().add_secret(o.eab->hmac_key_b64url);
    payload["externalAccountBinding"] = eab_jws(*o.eab, public_jwk(account_key()), dir.new_account);
  }
  PostOptions po;
  po.use_jwk = true;
  po.expected = {200, 201};
  HttpResponse resp = post(dir.new_account, payload, "create account", po);
  auto location = resp.header("Location");
  if (!location || location->empty())
    throw AcmeError("create account", "the CA gave no account URL (Location header)");
  Account a = parse_account(resp.body);
  a.url = *location;
  account_url_ = *location;
  Logger::global().info("acme", "account {} ({})", account_url_, resp.status == 201 ? "created" : "existing");
  return a;
}

Account AcmeClient::find_account() {
  PostOptions po;
  po.use_jwk = true;
  po.expected = {200};
  HttpResponse resp = post(directory().new_account, Json{{"onlyReturnExisting", true}}, "find account", po);
  auto location = resp.header("Location");
  if (!location || location->empty()) throw AcmeError("find account", "the CA gave no account URL (Location header)");
  Account a = parse_account(resp.body);
  a.url = *location;
  account_url_ = *location;
  return a;
}

Account AcmeClient::fetch_account() {
  require_account("fetch account");
  Account a = parse_account(post(account_url_, std::nullopt, "fetch account").body);
  a.url = account_url_;
  return a;
}

Account AcmeClient::update_contacts(const std::vector<std::string>& contact) {
  require_account("update account");
  Account a = parse_account(post(account_url_, Json{{"contact", contact}}, "update account").body);
  a.url = account_url_;
  return a;
}

Account AcmeClient::deactivate_account() {
  require_account("deactivate account");
  Account a = parse_account(post(account_url_, Json{{"status", "deactivated"}}, "deactivate account").body);
  a.url = account_url_;
  return a;
}

void AcmeClient::change_account_key(PrivateKey new_key) {
  require_account("change account key");
  const Directory& dir = directory();
  if (dir.key_change.empty())
    throw UsageError("acme", "change account key", "the CA offers no keyChange endpoint");
  const Json inner = key_change_inner_jws(new_key, account_key(), account_url_, dir.key_change);
  post(dir.key_change, inner, "change account key");
  account_key_.emplace(std::move(new_key));
  Logger::global().info("acme", "account key of {} changed", account_url_);
}

}  // namespace dns01::acme
