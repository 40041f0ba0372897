// issue(): lock, stale sweep, account, order, records, one wait, validation, finalize, store.
#include "dns01/flow/issue.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <future>
#include <set>
#include <thread>

#include "dns01/acme/csr.hpp"
#include "dns01/acme/solver.hpp"
#include "dns01/flow/accounts.hpp"
#include "dns01/flow/hooks.hpp"
#include "dns01/flow/issue_lineage.hpp"
#include "dns01/flow/records.hpp"
#include "dns01/flow/renew.hpp"
#include "dns01/journal.hpp"
#include "dns01/log.hpp"
#include "dns01/plugins/loader.hpp"
#include "dns01/propagation/propagation.hpp"
#include "dns01/signals.hpp"

namespace dns01::flow {

namespace {

using SteadyClock = std::chrono::steady_clock;

// Measures one phase into a PhaseTimings field, also when the phase throws.
class PhaseTimer {
 public:
  explicit PhaseTimer(long long& into) : into_(into), start_(SteadyClock::now()) {}
  ~PhaseTimer() {
    into_ += std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start_).count();
  }
  PhaseTimer(const PhaseTimer&) = delete;
  PhaseTimer& operator=(const PhaseTimer&) = delete;

 private:
  long long& into_;
  SteadyClock::time_point start_;
};

// --dry-run talks to the staging twin of a production CA, named by shortcut or by URL.
std::string dry_run_server(const std::string& server) {
  static const std::pair<const char*, const char*> twins[] = {
      {"letsencrypt", "letsencrypt-staging"}, {"google", "google-staging"}, {"buypass", "buypass-staging"}};
  for (const auto& [prod, staging] : twins)
    if (server == prod || server == acme::resolve_directory_url(prod)) return staging;
  return server;
}

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

void check_stop(const char* step) {
  if (stop_requested()) throw InterruptedError(step);
}

bool is_known_staging(const std::string& url) {
  for (const char* name : {"letsencrypt-staging", "google-staging", "buypass-staging"})
    if (url == acme::resolve_directory_url(name)) return true;
  return false;
}

// The result for a lineage that already holds the requested names and is not due (renew.hpp's
// rule, or the ARI time `renew` saved); nullopt when it is due. A certificate from another CA
// (staging -> production) or with another key type counts as due: it is ordered.
std::optional<IssueResult> not_due(const CertStore& store, IssueResult& result, const CertInfo& cert,
                                   const IssueOptions& o) {
  const auto now = std::chrono::system_clock::now();
  RenewalDecision decision = renewal_due(cert, std::nullopt, now);
  if (!o.reuse_key && cert.key_type != o.key_type) return std::nullopt;
  std::error_code ec;
  if (std::filesystem::exists(store.renewal_file(result.cert_name), ec)) {
    const RenewalConfig renewal = load_renewal(store, result.cert_name);
    if (renewal.server != result.directory_url) return std::nullopt;
    if (renewal.ari_renewal_time && renewal.ari_window_start && renewal.ari_window_end) {
      const acme::RenewalInfo window{*renewal.ari_window_start, *renewal.ari_window_end, "", std::nullopt};
      decision = ari_decision(window, *renewal.ari_renewal_time, now);
    }
  }
  if (decision.due) return std::nullopt;
  auto paths = store.current(result.cert_name);
  if (!paths) return std::nullopt;
  result.status = "not_due";
  result.reason = decision.reason;
  result.paths = *paths;
  result.version = paths->version;
  result.certificate = cert;
  return result;
}

// --dry-run must redo every record write, propagation check and validation: authorizations the
// CA still holds as valid from an earlier run are deactivated and the order placed again
// (certbot does the same). Returns how many were deactivated.
std::size_t deactivate_valid_authorizations(acme::AcmeClient& client, const acme::Order& order) {
  std::size_t n = 0;
  for (const auto& url : order.authorizations) {
    if (client.fetch_authorization(url).status != "valid") continue;
    client.deactivate_authorization(url);
    ++n;
  }
  return n;
}

bool account_unknown(const AcmeError& e) {
  return acme::is_problem(e.problem(), "accountDoesNotExist");
}

// Splits the CA's PEM chain into the leaf and the rest.
std::pair<std::string, std::string> split_chain(const std::string& pem) {
  static constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  auto end = pem.find(kEnd);
  if (end == std::string::npos)
    throw AcmeError("download certificate", "the CA's reply holds no PEM certificate");
  end += kEnd.size();
  std::string leaf = pem.substr(0, end) + "\n";
  std::string rest = pem.substr(end);
  auto begin = rest.find("-----BEGIN");
  rest = begin == std::string::npos ? std::string() : rest.substr(begin);
  if (!rest.empty() && rest.back() != '\n') rest += '\n';
  return {leaf, rest};
}

// What the steps of one issuance share.
struct Session {
  IssueResult& result;
  CertStore store;
  plugins::ProviderSet providers;
  propagation::Checker checker;
};

// Every record name must have a provider before anything is ordered.
void preflight_routes(Session& s, const std::vector<std::string>& domains) {
  std::set<std::string> seen;
  for (const auto& d : domains) {
    std::string base = d.starts_with("*.") ? d.substr(2) : d;
    if (!seen.insert(base).second) continue;
    place_record(s.providers, s.checker, "_acme-challenge." + base);
  }
}

// Present, one wait, answer, poll. On failure the records are removed before the error
// propagates; on success the caller removes them (concurrently with finalization).
void solve(Session& s, acme::AcmeClient& client, RecordPublisher& publisher,
           const std::vector<acme::Dns01Task>& tasks) {
  auto& log = Logger::global();
  auto& t = s.result.timings;
  std::vector<ChallengeRecord> records;
  for (const auto& task : tasks)
    records.push_back({task.record_name, task.txt_value, (task.wildcard ? "*." : "") + task.domain});
  try {
    {
      PhaseTimer timer(t.present);
      publisher.present(records);
    }
    for (const auto& p : publisher.records())
      s.result.records.push_back({p.record.label, p.record.record_name, p.effective_name, p.zone, p.provider});
    {
      PhaseTimer timer(t.propagation);
      log.info("propagation", "waiting until every authoritative nameserver serves {} value{}",
               records.size(), records.size() == 1 ? "" : "s");
      auto check = publisher.wait([&](const propagation::Probe& p) {
        log.info("propagation", "{}", propagation::describe_probe(p));
      });
      s.result.dns_queries = check.packets_sent;
      log.info("propagation", "every nameserver serves every value after {} ms ({} queries)",
               check.elapsed.count(), check.packets_sent);
    }
    {
      PhaseTimer timer(t.validation);
      check_stop("answer the challenges");
      // All challenges first, then the polls: the CA validates them in parallel.
      for (const auto& task : tasks) {
        acme::Challenge c;
        c.type = "dns-01";
        c.url = task.challenge_url;
        client.answer_challenge(c);
      }
      for (const auto& task : tasks) {
        client.wait_authorization(task.authorization_url);
        log.info("acme", "{}{}: validated", task.wildcard ? "*." : "", task.domain);
      }
    }
  } catch (...) {
    PhaseTimer timer(t.cleanup);
    auto errors = publisher.cleanup();
    s.result.cleanup_errors.insert(s.result.cleanup_errors.end(), errors.begin(), errors.end());
    throw;
  }
}

std::string join(const std::vector<std::string>& v, const char* sep) { return fmt::format("{}", fmt::join(v, sep)); }

// Chooses the lineage (issue_lineage.hpp) into result.cert_name; returns the "not_due" result
// when that lineage already holds these names and nothing needs to be ordered. `announce` logs
// the choice (once per run).
std::optional<IssueResult> settle_lineage(const Config& config, const IssueOptions& o, IssueResult& result,
                                          bool announce) {
  auto& log = Logger::global();
  const CertStore store(config.storage.dir);
  const LineageChoice lineage = choose_lineage(store, result.domains, o.cert_name, o.expand, o.shrink);
  result.cert_name = lineage.cert_name;
  if (announce) {
    if (!lineage.note.empty()) log.info("issue", "{}", lineage.note);
    if (!lineage.added.empty() && lineage.exists)
      log.info("issue", "adding {} to {} (--expand)", join(lineage.added, ", "), result.cert_name);
    if (!lineage.dropped.empty() && lineage.exists)
      log.warn("issue", "removing {} from {} (--shrink)", join(lineage.dropped, ", "), result.cert_name);
  }
  if (!lineage.exists || !lineage.same_names || o.force_renewal || o.dry_run) return std::nullopt;
  auto kept = not_due(store, result, *lineage.current, o);
  if (kept)
    log.info("issue", "{} holds these names and is not due for renewal ({}): no action taken; "
             "--force-renewal orders a new certificate anyway", result.cert_name, kept->reason);
  return kept;
}

}  // namespace

IssueResult issue(const Config& config, const IssueOptions& o) {
  const auto started = SteadyClock::now();
  auto finish = [&](IssueResult r) {
    r.timings.total = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started).count();
    return r;
  };
  auto& log = Logger::global();
  IssueResult result;
  auto& t = result.timings;
  result.domains = normalize_domains(o.domains);
  if (!o.cert_name.empty()) CertStore::check_name(o.cert_name);
  result.dry_run = o.dry_run;
  result.status = o.dry_run ? "dry_run" : "issued";
  const std::string server = o.dry_run ? dry_run_server(o.server) : o.server;
  result.directory_url = acme::resolve_directory_url(server);
  const acme::KeyType key_type = acme::parse_key_type(o.key_type);
  // Decided before anything is loaded (a no-op run stays cheap) and again under the lineage lock
  // (a run that waited for the lock finds what the other run stored).
  if (auto kept = settle_lineage(config, o, result, true)) return finish(*kept);
  if (o.dry_run && server == o.server && !is_known_staging(result.directory_url))
    log.warn("issue", "--dry-run: {} has no staging twin known to dns01, so the CA issues a real "
             "certificate (it is not stored); use a staging directory to keep it off the CA's "
             "records and rate limits", result.directory_url);

  std::optional<Session> session;
  std::optional<LineageLock> lock;
  std::optional<RecordJournal> journal;
  {
    PhaseTimer timer(t.setup);
    if (config.providers.empty())
      throw ConfigError("load providers",
                        config.source.empty() ? "no configuration file was found, so no DNS provider is configured"
                                              : fmt::format("{} has no [providers.<name>] table", config.source.string()),
                        "add a provider table (docs/configuration.md) or name the file with --config / $DNS01_CONFIG");
    session.emplace(Session{result, CertStore(config.storage.dir),
                            plugins::ProviderSet::load(config.providers), propagation::Checker(config.propagation)});
    session->checker.options().cancelled = [] { return stop_requested(); };
    preflight_routes(*session, result.domains);
    ensure_private_dir(session->store.dir());
    lock.emplace(session->store.dir(), result.cert_name, o.lock_wait);
    const std::string locked = result.cert_name;
    if (auto kept = settle_lineage(config, o, result, false)) return finish(*kept);
    if (result.cert_name != locked) {
      lock.reset();
      lock.emplace(session->store.dir(), result.cert_name, o.lock_wait);
    }
    journal.emplace(session->store.journal_dir());
    StaleSweep sweep = clean_stale_records(session->store.journal_dir(), session->providers);
    result.stale_records_removed = sweep.removed.size();
    for (const auto& e : sweep.errors) log.warn("cleanup", "stale record kept for later: {}", e);
  }
  Session& s = *session;

  HttpOptions http_options;
  http_options.ca_bundle = o.ca_bundle;
  // A private CA's bundle replaces the system store (like certbot's REQUESTS_CA_BUNDLE): the
  // ACME server is pinned to it, and parsing ~150 public roots costs ~50 ms and several MB.
  http_options.ca_bundle_only = !o.ca_bundle.empty();
  http_options.component = "acme";
  HttpClient http(http_options);
  const auto acct_dir = account_dir(s.store, result.directory_url);
  acme::AcmeClientOptions client_options;
  client_options.directory_url = result.directory_url;
  client_options.sleep = interruptible_sleep;
  // CAs usually validate and issue within milliseconds of the request; a short first poll
  // (doubling from there) saves most of a default 75 ms per phase at the cost of a request.
  client_options.poll.first_delay = std::chrono::milliseconds(20);
  std::optional<acme::AcmeClient> client;
  const AccountRequest account_request{o.email, o.agree_tos, o.eab_kid, o.eab_hmac_key};
  {
    PhaseTimer timer(t.setup);
    client.emplace(http, load_or_create_account_key(acct_dir), std::move(client_options));
    ensure_account(*client, acct_dir, account_request);
  }

  // The certificate key: the lineage's own with --reuse-key, else a fresh one.
  std::optional<acme::PrivateKey> cert_key;
  if (o.reuse_key)
    if (auto current = s.store.current(result.cert_name)) {
      cert_key.emplace(acme::PrivateKey::load(current->privkey));
      log.info("issue", "reusing the private key of {}", result.cert_name);
    }
  if (!cert_key) cert_key.emplace(acme::PrivateKey::generate(key_type));

  log.info("issue", "ordering {} from {}{}", join(result.domains, ", "), result.directory_url,
           o.dry_run ? " (dry run: nothing is stored)" : "");
  acme::Order order;
  std::vector<acme::Dns01Task> tasks;
  {
    PhaseTimer timer(t.order);
    const acme::NewOrderOptions order_options{result.domains, o.profile, o.replaces};
    try {
      order = client->new_order(order_options);
    } catch (const AcmeError& e) {
      if (!account_unknown(e)) throw;
      log.warn("account", "the CA no longer knows the stored account; registering again");
      reregister_account(*client, acct_dir, account_request);
      order = client->new_order(order_options);
    }
    if (o.dry_run) {
      result.deactivated_authorizations = deactivate_valid_authorizations(*client, order);
      if (result.deactivated_authorizations) {
        log.info("acme", "dry run: {} authorization{} still valid from an earlier run deactivated, "
                 "so every record is written and validated again",
                 result.deactivated_authorizations, result.deactivated_authorizations == 1 ? "" : "s");
        order = client->new_order(order_options);
      }
    }
    if (order.status == "pending") tasks = acme::dns01_tasks(*client, order);
    result.reused_authorizations = order.authorizations.size() - tasks.size();
    if (result.reused_authorizations)
      log.info("acme", "{} authorization{} already valid (reused)", result.reused_authorizations,
               result.reused_authorizations == 1 ? "" : "s");
  }
  RecordPublisher publisher(s.providers, s.checker, *journal);
  if (!tasks.empty()) solve(s, *client, publisher, tasks);
  // The records are not needed any more: remove them while the CA finalizes. The future's
  // destructor waits for the removal, so it completes on every path out of this function.
  std::future<void> removal = std::async(std::launch::async, [&] {
    const auto begin = SteadyClock::now();
    auto errors = publisher.cleanup();
    result.cleanup_errors.insert(result.cleanup_errors.end(), errors.begin(), errors.end());
    t.cleanup += std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - begin).count();
  });
  std::vector<acme::CertificateChain> chains;
  {
    PhaseTimer timer(t.finalize);
    check_stop("finalize the order");
    order = client->wait_order_ready(order.url);
    order = client->finalize(order, acme::make_csr(*cert_key, result.domains));
    chains = client->download_chains(order.certificate);
  }
  removal.get();
  const acme::CertificateChain& chain = acme::select_chain(chains, o.preferred_chain);
  result.certificate = inspect_certificate(chain.pem, "the issued certificate");
  log.info("issue", "certificate issued: serial {}, valid until {}", result.certificate.serial,
           acme::format_rfc3339(result.certificate.not_after));
  if (o.dry_run) {
    t.total = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started).count();
    return result;
  }

  {
    PhaseTimer timer(t.store);
    auto [leaf, rest] = split_chain(chain.pem);
    CertificateFiles files{leaf, rest, leaf + rest, cert_key->to_pem()};
    result.paths = s.store.save(result.cert_name, files);
    result.version = result.paths.version;
    save_renewal(s.store, renewal_config_for(config, o, result, acme::key_type_name(cert_key->type())));
    log.info("issue", "stored as {} (version {})", result.paths.live_dir.string(), result.version);
  }
  if (!o.deploy_hooks.empty()) {
    PhaseTimer timer(t.hooks);
    for (const auto& command : o.deploy_hooks) {
      std::string error = run_hook({command, "deploy",
                                    {{"RENEWED_LINEAGE", result.paths.live_dir.string()},
                                     {"RENEWED_DOMAINS", join(result.domains, " ")}}});
      if (!error.empty()) {
        log.error("hook", "{}", error);
        result.hook_errors.push_back(error);
      }
    }
  }
  t.total = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started).count();
  return result;
}

}  // namespace dns01::flow
