#pragma once
// The issuance engine: ONE run issues or renews N lineages with one of everything shared
// (issue 19). issue() is this engine with one lineage, `renew` runs it over every due lineage,
// `apply` over a certificate set.
//
// A run, phase by phase (each lineage fails on its own: its error is recorded, the others go on):
//   1. lineage: per request, choose_lineage() + the not-due rule (issue.hpp) - a lineage that
//      holds these names and is not due ends here as IssueStatus::not_due, nothing ordered;
//   2. setup, once: providers loaded, one Checker, the storage, ONE journal for the run, one
//      stale-journal sweep; per lineage its lock (storage/locks/<name>.lock) and the decision
//      again under it; every record name routed (a name no provider serves, or outside the
//      lineage's pinned IssueOptions::provider, fails that lineage before any order);
//   3. pre-flight (EngineOptions::preflight, preflight.hpp): lineages needing a provider
//      instance or nameserver that failed it are failed without an order;
//   4. accounts: one CaAccount per (directory URL, CA bundle) - ensure_account() once under the
//      account lock (accounts.hpp), so N lineages on empty storage make ONE account;
//   5. orders: newOrder + authorizations + the certificate key, up to EngineOptions::concurrency
//      lineages in flight; a CA's 429/503 with Retry-After (<= 60 s) is waited out and retried
//      (3 times), a refused ARI `replaces` is retried without it;
//   6. records: every record of every order through ONE RecordPublisher (one add_all per
//      provider instance, chunked by Hints::max_batch, journaled first); a failed batch fails
//      only the lineages with a record in it;
//   7. ONE propagation wait for all records; on timeout only the lineages whose records lag fail
//      (each error names its laggards);
//   8. challenges answered and authorizations polled, concurrently (bounded);
//   9. records removed (one cleanup pass, batched) WHILE the orders are finalized concurrently
//      (bounded); the removal is joined before the run returns, on every path;
//  10. per lineage in request order: files stored, renewal/<name>.toml written, deploy hooks.
// A stop request (SIGINT/SIGTERM) fails every unfinished lineage with InterruptedError after
// the records are removed.
//
// Thread-safety (what is shared and how):
//   - ProviderSet / ProviderInstance and the Checker are NOT thread-safe: only the calling thread
//     uses them (present, wait and the pre-flight run there; the record removal of phase 9 is the
//     only other user while it runs, and nothing else touches providers or checker meanwhile).
//   - AcmeClient is NOT thread-safe: each worker borrows its own CaConnection from its CA's pool
//     (one AcmeClient each, own nonces); all connections of a CA share ONE HttpClient (its
//     connection pool is thread-safe) and one account (URL + key). At most `concurrency`
//     connections per CA exist.
//   - RecordJournal, Logger and Redactor are thread-safe; each lineage's state is touched by one
//     worker at a time (phases are joined before the next starts).
#include <chrono>
#include <cstddef>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dns01/acme/client.hpp"
#include "dns01/acme/solver.hpp"
#include "dns01/config.hpp"
#include "dns01/error.hpp"
#include "dns01/flow/accounts.hpp"
#include "dns01/flow/issue_options.hpp"
#include "dns01/flow/issue_result.hpp"
#include "dns01/flow/preflight.hpp"
#include "dns01/plugins/loader.hpp"
#include "dns01/propagation/propagation.hpp"

namespace dns01::flow {

// What the engine asks of a CA for one lineage at a time. Not thread-safe: one per worker.
// Errors: AcmeError / NetworkError / InterruptedError as acme::AcmeClient throws them.
class CaConnection {
 public:
  virtual ~CaConnection() = default;
  // newOrder; an account the CA no longer knows is registered again once (accounts.hpp).
  virtual acme::Order new_order(const acme::NewOrderOptions& options) = 0;
  // The dns-01 tasks of the order's pending authorizations (acme::dns01_tasks).
  virtual std::vector<acme::Dns01Task> tasks(const acme::Order& order) = 0;
  // Dry runs: deactivates the order's authorizations that are still valid; returns how many.
  virtual std::size_t deactivate_valid(const acme::Order& order) = 0;
  virtual void answer(const acme::Dns01Task& task) = 0;
  virtual void wait_valid(const acme::Dns01Task& task) = 0;  // the authorization
  virtual acme::Order wait_ready(const std::string& order_url) = 0;
  virtual acme::Order finalize(const acme::Order& order, const Bytes& csr_der) = 0;
  virtual std::vector<acme::CertificateChain> download(const std::string& certificate_url) = 0;
};

// Which CA, with which account, for a run.
struct CaRequest {
  std::string directory_url;
  std::string ca_bundle;
  std::filesystem::path account_dir;  // accounts/<ca-id>/
  AccountRequest account;             // of the first lineage using this CA
};

// One CA for the whole run: created once (the account is made usable then), connect() hands
// out connections signing as that account. connect() is thread-safe.
class CaAccount {
 public:
  virtual ~CaAccount() = default;
  virtual std::unique_ptr<CaConnection> connect() = 0;
};

// The seams of issue()/run_engine(); an empty member means the default (the real CA through
// acme::AcmeClient, ProviderSet::load(config.providers), propagation::Checker(config.propagation),
// the system clock, flow::preflight). Tests replace them.
struct IssueServices {
  std::function<std::unique_ptr<CaAccount>(const Config&, const CaRequest&)> ca;
  std::function<plugins::ProviderSet(const Config&)> providers;
  std::function<std::unique_ptr<propagation::Checker>(const Config&)> checker;
  std::function<std::chrono::system_clock::time_point()> now;
  std::function<PreflightResult(plugins::ProviderSet&, propagation::Checker&,
                                const std::vector<std::string>&)> preflight;
};

struct EngineOptions {
  std::size_t concurrency = 8;  // lineages in flight in the order/validation/finalize phases (>= 1)
  bool preflight = false;       // run the pre-flight before any order
  // Log the lineage choice ("adding ... (--expand)") and "not due" lines; issue() does.
  bool announce = true;
};

// One lineage of a run: exactly one of `result` and `error` is set.
struct LineageRun {
  std::string cert_name;            // the lineage (chosen), or the requested name when that failed
  std::vector<std::string> domains; // normalized when that succeeded, else as requested
  std::optional<IssueResult> result;
  std::exception_ptr error;         // the dns01::Error (or other exception) it failed with
  std::optional<ErrorCategory> error_category;
  nlohmann::json error_json;        // {category, exit_code, message, hint} or null (json.hpp)
  bool ok() const noexcept { return !error; }
};

// Run-level milliseconds (each lineage's IssueResult::timings has its own view).
struct EngineTimings {
  long long setup = 0, preflight = 0, accounts = 0, order = 0, present = 0, propagation = 0,
            validation = 0, finalize = 0, cleanup = 0, store = 0, total = 0;
  nlohmann::json to_json() const;  // {"setup":..,...,"total":..}
};

struct EngineRun {
  std::vector<LineageRun> lineages;         // in request order
  std::optional<PreflightResult> preflight; // when it ran
  EngineTimings timings;
  std::size_t orders = 0;                   // newOrder requests that succeeded
  std::size_t dns_queries = 0;              // packets of the one propagation wait
  bool ok() const noexcept;                 // no lineage failed
  int exit_code() const noexcept;           // 0, else the first failed lineage's category code
};

// Runs the phases above for `requests` (each an issue() request). Throws nothing for a lineage's
// failure (see LineageRun); InterruptedError is recorded per lineage too.
EngineRun run_engine(const Config& config, const std::vector<IssueOptions>& requests,
                     const EngineOptions& options = {}, IssueServices services = {});

}  // namespace dns01::flow
