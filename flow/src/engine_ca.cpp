// The engine's CA side (engine.hpp): the default CaAccount over acme::AcmeClient, the per-CA
// connection pool, and the order phase of one lineage (Retry-After, `replaces` fallback).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <thread>

#include "dns01/acme/ca_client.hpp"
#include "dns01/acme/solver.hpp"
#include "dns01/log.hpp"
#include "dns01/signals.hpp"
#include "engine_state.hpp"

namespace dns01::flow::engine {

namespace {

// Polling sleeps that a signal cuts short, so Ctrl-C during validation reaches the cleanup fast.
void interruptible_sleep(std::chrono::milliseconds d) {
  const auto end = SteadyClock::now() + d;
  while (SteadyClock::now() < end) {
    if (stop_requested()) throw InterruptedError("wait for the CA");
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
        std::chrono::milliseconds(50),
        std::chrono::duration_cast<std::chrono::milliseconds>(end - SteadyClock::now()) +
            std::chrono::milliseconds(1)));
  }
}

bool account_unknown(const AcmeError& e) { return acme::is_problem(e.problem(), "accountDoesNotExist"); }

// One AcmeClient: a worker's own nonces and state over the CA's shared HttpClient.
class AcmeConnection final : public CaConnection {
 public:
  AcmeConnection(HttpClient& http, acme::PrivateKey key, const CaRequest& request, std::string account_url,
                 std::mutex& account_mutex)
      : client_(http, std::move(key), options(request.directory_url)), request_(request), account_mutex_(account_mutex) {
    client_.set_account_url(std::move(account_url));
  }
  static acme::AcmeClientOptions options(const std::string& url) {
    acme::AcmeClientOptions o;
    o.directory_url = url;
    o.sleep = interruptible_sleep;
    // CAs usually validate and issue within milliseconds of the request; a short first poll
    // (doubling from there) saves most of a default 75 ms per phase at the cost of a request.
    o.poll.first_delay = std::chrono::milliseconds(20);
    return o;
  }
  acme::AcmeClient& client() { return client_; }

  acme::Order new_order(const acme::NewOrderOptions& o) override {
    try {
      return client_.new_order(o);
    } catch (const AcmeError& e) {
      if (!account_unknown(e)) throw;
      Logger::global().warn("account", "the CA no longer knows the stored account; registering again");
      {
        const std::lock_guard lock(account_mutex_);
        reregister_account(client_, request_.account_dir, request_.account);
      }
      return client_.new_order(o);
    }
  }
  std::vector<acme::Dns01Task> tasks(const acme::Order& order) override { return acme::dns01_tasks(client_, order); }
  std::size_t deactivate_valid(const acme::Order& order) override {
    std::size_t n = 0;
    for (const auto& url : order.authorizations) {
      if (client_.fetch_authorization(url).status != acme::AuthorizationStatus::valid) continue;
      client_.deactivate_authorization(url);
      ++n;
    }
    return n;
  }
  void answer(const acme::Dns01Task& task) override {
    acme::Challenge c;
    c.type = "dns-01";
    c.url = task.challenge_url;
    client_.answer_challenge(c);
  }
  void wait_valid(const acme::Dns01Task& task) override { client_.wait_authorization(task.authorization_url); }
  acme::Order wait_ready(const std::string& url) override { return client_.wait_order_ready(url); }
  acme::Order finalize(const acme::Order& order, const Bytes& csr) override { return client_.finalize(order, csr); }
  std::vector<acme::CertificateChain> download(const std::string& url) override { return client_.download_chains(url); }

 private:
  acme::AcmeClient client_;
  const CaRequest& request_;
  std::mutex& account_mutex_;
};

class AcmeAccount final : public CaAccount {
 public:
  AcmeAccount(const Config& config, CaRequest request)
      : config_(config), request_(std::move(request)), http_(acme::ca_http_options(request_.ca_bundle)) {
    AcmeConnection first(http_, key(), request_, "", mutex_);
    ensure_account(first.client(), request_.account_dir, request_.account);
    url_ = first.client().account_url();
  }
  std::unique_ptr<CaConnection> connect() override {
    const std::lock_guard lock(mutex_);
    return std::make_unique<AcmeConnection>(http_, key(), request_, url_, mutex_);
  }

 private:
  acme::PrivateKey key() { return account_key(request_.account_dir, config_.acme); }
  const Config& config_;
  CaRequest request_;
  HttpClient http_;  // one connection pool to the CA, shared by every connection (thread-safe)
  std::mutex mutex_;
  std::string url_;
};

bool replaces_rejected(const AcmeError& e) {
  // A CA may refuse `replaces` (the certificate was already replaced, e.g. after a manual
  // issue, or it does not know it): renewing without it is still right.
  const auto& p = e.problem();
  return acme::is_problem(p, "alreadyReplaced") || p.status == 409 ||
         (acme::is_problem(p, "malformed") && p.detail.find("replace") != std::string::npos);
}

bool rate_limited(const AcmeError& e) {
  const auto& p = e.problem();
  return (p.status == 429 || p.status == 503 || acme::is_problem(p, "rateLimited")) && e.retry_after() &&
         *e.retry_after() <= std::chrono::seconds(60);
}

// newOrder with the CA's Retry-After honoured (a bounded number of times) and a refused
// `replaces` dropped.
acme::Order place_order(CaConnection& ca, Lineage& l, acme::NewOrderOptions& o) {
  auto& log = Logger::global();
  for (int attempt = 0;; ++attempt) {
    try {
      return ca.new_order(o);
    } catch (const AcmeError& e) {
      if (!o.replaces.empty() && replaces_rejected(e)) {
        log.warn("renew", "{}: the CA refused 'replaces' ({}); ordering without it", l.result.cert_name,
                 Redactor::global().apply(e.what()));
        o.replaces.clear();
        continue;
      }
      if (attempt >= 3 || !rate_limited(e)) throw;
      log.warn("acme", "{}: the CA asks to retry after {} s ({}); waiting", l.result.cert_name,
               e.retry_after()->count(), Redactor::global().apply(e.problem().detail));
      interruptible_sleep(*e.retry_after());
    }
  }
}

}  // namespace

std::unique_ptr<CaConnection> CaPool::take() {
  {
    const std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  return account_->connect();
}

void CaPool::give(std::unique_ptr<CaConnection> connection) {
  if (!connection) return;
  const std::lock_guard lock(mutex_);
  idle_.push_back(std::move(connection));
}

std::unique_ptr<CaAccount> default_ca(const Config& config, const CaRequest& request) {
  return std::make_unique<AcmeAccount>(config, request);
}

void order(Lineage& l) {
  auto& log = Logger::global();
  auto& t = l.result.timings;
  if (!l.cert_key) {  // a fresh key (the lineage's own with --reuse-key was loaded in setup)
    PhaseTimer timer(t.setup);
    l.cert_key.emplace(acme::PrivateKey::generate(l.key_type));
  }
  PhaseTimer timer(t.order);
  Borrowed ca(*l.ca);
  log.info("issue", "ordering {} from {}{}", fmt::join(l.result.domains, ", "), l.result.directory_url,
           l.options.dry_run ? " (dry run: nothing is stored)" : "");
  acme::NewOrderOptions o{l.result.domains, l.options.profile, l.options.replaces};
  l.order = place_order(*ca.operator->(), l, o);
  if (l.options.dry_run) {
    l.result.deactivated_authorizations = ca->deactivate_valid(l.order);
    if (l.result.deactivated_authorizations) {
      log.info("acme", "dry run: {} authorization{} still valid from an earlier run deactivated, "
               "so every record is written and validated again",
               l.result.deactivated_authorizations, l.result.deactivated_authorizations == 1 ? "" : "s");
      l.order = place_order(*ca.operator->(), l, o);
    }
  }
  if (l.order.status == acme::OrderStatus::pending) l.tasks = ca->tasks(l.order);
  l.result.reused_authorizations = l.order.authorizations.size() - l.tasks.size();
  if (l.result.reused_authorizations)
    log.info("acme", "{} authorization{} already valid (reused)", l.result.reused_authorizations,
             l.result.reused_authorizations == 1 ? "" : "s");
}

}  // namespace dns01::flow::engine
