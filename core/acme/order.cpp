// AcmeClient: orders, authorizations, challenges, polling, finalization and chain download.
#include <algorithm>

#include <fmt/format.h>

#include "dns01/acme/client.hpp"
#include "dns01/acme/csr.hpp"
#include "dns01/log.hpp"

namespace dns01::acme {

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += fmt::format("{}{}", out.empty() ? "" : ", ", s);
  return out;
}

AcmeProblem with_identifier(AcmeProblem p, const std::string& identifier) {
  if (p.identifier.empty()) p.identifier = identifier;
  return p;
}

// Waits between polls: Retry-After when given (capped), else an exponential schedule.
class Poller {
 public:
  Poller(const PollPolicy& p, std::function<void(std::chrono::milliseconds)> sleep)
      : policy_(p), sleep_(std::move(sleep)), next_(p.first_delay),
        deadline_(std::chrono::steady_clock::now() + p.timeout) {}

  bool expired() const { return std::chrono::steady_clock::now() >= deadline_; }

  void wait(std::optional<std::chrono::seconds> retry_after) {
    std::chrono::milliseconds d = next_;
    if (retry_after) d = std::min<std::chrono::milliseconds>(*retry_after, policy_.max_retry_after);
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - std::chrono::steady_clock::now());
    d = std::max(std::chrono::milliseconds(1), std::min(d, left));
    sleep_(d);
    next_ = std::min(next_ * 2, policy_.max_interval);
  }

 private:
  PollPolicy policy_;
  std::function<void(std::chrono::milliseconds)> sleep_;
  std::chrono::milliseconds next_;
  std::chrono::steady_clock::time_point deadline_;
};

std::string seconds(std::chrono::milliseconds d) { return fmt::format("{:.1f} s", d.count() / 1000.0); }

}  // namespace

Order AcmeClient::new_order(const NewOrderOptions& o) {
  require_account("create order");
  const Directory& dir = directory();
  if (o.names.empty()) throw UsageError("acme", "create order", "no domain names given");
  if (!o.profile.empty() && !dir.meta.profiles.count(o.profile)) {
    std::vector<std::string> offered;
    for (const auto& [name, _] : dir.meta.profiles) offered.push_back(name);
    throw UsageError("acme", "create order", fmt::format("the CA does not offer the profile '{}'", o.profile),
                     offered.empty() ? "this CA advertises no profiles; remove the profile setting"
                                     : fmt::format("offered profiles: {}", join(offered)));
  }
  Json ids = Json::array();
  for (const auto& n : o.names) ids.push_back(Identifier{"dns", normalize_dns_name(n)}.to_json());
  Json payload = {{"identifiers", ids}};
  if (!o.profile.empty()) payload["profile"] = o.profile;
  if (!o.replaces.empty()) payload["replaces"] = o.replaces;
  PostOptions po;
  po.expected = {201, 200};
  HttpResponse resp = post(dir.new_order, payload, "create order", po);
  auto location = resp.header("Location");
  if (!location || location->empty()) throw AcmeError("create order", "the CA gave no order URL (Location header)");
  Order order = parse_order(resp.body);
  order.url = *location;
  Logger::global().info("acme", "order {} for {} ({})", order.url, join(o.names), to_string(order.status));
  return order;
}

Order AcmeClient::fetch_order(const std::string& url) {
  Order o = parse_order(post(url, std::nullopt, "fetch order").body);
  o.url = url;
  return o;
}

Authorization AcmeClient::fetch_authorization(const std::string& url) {
  Authorization a = parse_authorization(post(url, std::nullopt, "fetch authorization").body);
  a.url = url;
  return a;
}

Challenge AcmeClient::answer_challenge(const Challenge& challenge) {
  Logger::global().debug("acme", "answering {} challenge {}", challenge.type, challenge.url);
  return parse_challenge(post(challenge.url, Json::object(), "answer challenge").body);
}

void AcmeClient::deactivate_authorization(const std::string& url) {
  post(url, Json{{"status", "deactivated"}}, "deactivate authorization");
}

Authorization AcmeClient::wait_authorization(const std::string& url) {
  Poller poller(options_.poll, [this](auto d) { pause(d); });
  while (true) {
    HttpResponse resp = post(url, std::nullopt, "poll authorization");
    Authorization a = parse_authorization(resp.body);
    a.url = url;
    const std::string who = (a.wildcard ? "*." : "") + a.identifier.value;
    if (a.status == AuthorizationStatus::valid) return a;
    if (a.status == AuthorizationStatus::invalid) {
      for (const auto& c : a.challenges)
        if (c.error) throw AcmeError(fmt::format("validate {}", who), with_identifier(*c.error, who), std::nullopt,
                                     "check that the TXT record was visible on every authoritative nameserver");
      throw AcmeError(fmt::format("validate {}", who), "the CA marked the authorization invalid without a reason");
    }
    if (a.status != AuthorizationStatus::pending)
      throw AcmeError(fmt::format("validate {}", who), fmt::format("the authorization is {}", to_string(a.status)));
    if (poller.expired())
      throw AcmeError(fmt::format("validate {}", who),
                      fmt::format("still pending after {}", seconds(options_.poll.timeout)),
                      "the CA is slow; try again later");
    poller.wait(resp.retry_after());
  }
}

Order AcmeClient::wait_order_ready(const std::string& url) {
  Poller poller(options_.poll, [this](auto d) { pause(d); });
  while (true) {
    HttpResponse resp = post(url, std::nullopt, "poll order");
    Order o = parse_order(resp.body);
    o.url = url;
    if (o.status == OrderStatus::ready || o.status == OrderStatus::valid) return o;
    if (o.status == OrderStatus::invalid) {
      if (o.error) throw AcmeError("wait for order", *o.error);
      throw AcmeError("wait for order", "the CA marked the order invalid without a reason");
    }
    if (poller.expired())
      throw AcmeError("wait for order", fmt::format("still {} after {}", to_string(o.status), seconds(options_.poll.timeout)));
    poller.wait(resp.retry_after());
  }
}

Order AcmeClient::finalize(const Order& order, const Bytes& csr_der) {
  if (order.status == OrderStatus::valid) return order;
  HttpResponse resp = post(order.finalize, Json{{"csr", base64url_encode(csr_der)}}, "finalize order");
  Order o = parse_order(resp.body);
  o.url = order.url;
  Poller poller(options_.poll, [this](auto d) { pause(d); });
  std::optional<std::chrono::seconds> retry_after = resp.retry_after();
  while (o.status != OrderStatus::valid) {
    if (o.status == OrderStatus::invalid) {
      if (o.error) throw AcmeError("finalize order", *o.error);
      throw AcmeError("finalize order", "the CA marked the order invalid without a reason");
    }
    if (o.status != OrderStatus::processing && o.status != OrderStatus::ready)
      throw AcmeError("finalize order", fmt::format("unexpected order status '{}'", to_string(o.status)));
    if (poller.expired())
      throw AcmeError("finalize order", fmt::format("still {} after {}", to_string(o.status), seconds(options_.poll.timeout)));
    poller.wait(retry_after);
    resp = post(order.url, std::nullopt, "poll order");
    o = parse_order(resp.body);
    o.url = order.url;
    retry_after = resp.retry_after();
  }
  if (o.certificate.empty()) throw AcmeError("finalize order", "the valid order has no certificate URL");
  return o;
}

std::vector<CertificateChain> AcmeClient::download_chains(const std::string& certificate_url, bool alternates) {
  PostOptions po;
  po.accept = "application/pem-certificate-chain";
  po.max_body = options_.max_certificate_body;
  std::vector<CertificateChain> chains;
  std::vector<std::string> urls = {certificate_url};
  for (std::size_t i = 0; i < urls.size() && chains.size() < 10; ++i) {
    HttpResponse resp = post(urls[i], std::nullopt, "download certificate", po);
    CertificateChain chain;
    chain.url = urls[i];
    chain.pem = resp.body;
    const auto certs = parse_pem_certificates(resp.body);
    for (const auto& c : certs) chain.issuer_cns.push_back(issuer_common_name(c.get()));
    chain.top_issuer_cn = chain.issuer_cns.back();
    chains.push_back(std::move(chain));
    if (i == 0 && alternates)
      for (auto& link : resp.links("alternate"))
        if (std::find(urls.begin(), urls.end(), link) == urls.end()) urls.push_back(link);
  }
  return chains;
}

const CertificateChain& select_chain(const std::vector<CertificateChain>& chains,
                                     std::string_view preferred_issuer_cn) {
  if (chains.empty()) throw Error(ErrorCategory::internal, "acme", "select chain", "no chain downloaded");
  if (preferred_issuer_cn.empty()) return chains.front();
  for (const auto& c : chains)
    if (c.top_issuer_cn == preferred_issuer_cn) return c;
  for (const auto& c : chains)
    if (std::find(c.issuer_cns.begin(), c.issuer_cns.end(), preferred_issuer_cn) != c.issuer_cns.end()) return c;
  Logger::global().warn("acme", "no chain issued by '{}'; using the default chain", preferred_issuer_cn);
  return chains.front();
}

void AcmeClient::revoke(const Bytes& der, std::optional<RevocationReason> reason) {
  const Directory& dir = directory();
  if (dir.revoke_cert.empty()) throw UsageError("acme", "revoke certificate", "the CA offers no revokeCert endpoint");
  Json payload = {{"certificate", base64url_encode(der)}};
  if (reason) payload["reason"] = static_cast<int>(*reason);
  post(dir.revoke_cert, payload, "revoke certificate");
}

void AcmeClient::revoke_with_certificate_key(const Bytes& der, const PrivateKey& certificate_key,
                                             std::optional<RevocationReason> reason) {
  const Directory& dir = directory();
  if (dir.revoke_cert.empty()) throw UsageError("acme", "revoke certificate", "the CA offers no revokeCert endpoint");
  Json payload = {{"certificate", base64url_encode(der)}};
  if (reason) payload["reason"] = static_cast<int>(*reason);
  PostOptions po;
  po.use_jwk = true;
  po.key = &certificate_key;
  post(dir.revoke_cert, payload, "revoke certificate", po);
}

RenewalInfo AcmeClient::renewal_info(const std::string& cert_id) {
  const Directory& dir = directory();
  if (dir.renewal_info.empty())
    throw UsageError("acme", "fetch renewal info", "the CA offers no renewalInfo endpoint (ARI)",
                     "renew on a fixed schedule instead");
  std::string base = dir.renewal_info;
  if (!base.empty() && base.back() == '/') base.pop_back();
  HttpRequest req;
  req.url = base + "/" + cert_id;
  req.timeout = options_.request_timeout;
  req.max_body = options_.max_body;
  HttpResponse resp = send(std::move(req));
  if (resp.status != 200)
    throw AcmeError("fetch renewal info", parse_problem(resp.body, static_cast<int>(resp.status)), resp.retry_after());
  RenewalInfo info = parse_renewal_info(resp.body);
  info.retry_after = resp.retry_after();
  return info;
}

}  // namespace dns01::acme
