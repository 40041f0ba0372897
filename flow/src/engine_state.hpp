#pragma once
// Private to the engine (engine.hpp): one lineage's state through the phases, the per-CA
// connection pools, and the phase helpers split over engine_*.cpp.
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dns01/acme/keys.hpp"
#include "dns01/flow/engine.hpp"
#include "dns01/flow/issue_result.hpp"
#include "dns01/storage.hpp"

namespace dns01::flow::engine {

using SteadyClock = std::chrono::steady_clock;

long long ms_since(SteadyClock::time_point start);

// Adds the time a scope took to a counter, also when it throws.
class PhaseTimer {
 public:
  explicit PhaseTimer(long long& into) : into_(into), start_(SteadyClock::now()) {}
  ~PhaseTimer() { into_ += ms_since(start_); }
  PhaseTimer(const PhaseTimer&) = delete;
  PhaseTimer& operator=(const PhaseTimer&) = delete;

 private:
  long long& into_;
  SteadyClock::time_point start_;
};

// The connections of one CA: at most `limit` exist, workers borrow one per step.
class CaPool {
 public:
  CaPool(std::unique_ptr<CaAccount> account) : account_(std::move(account)) {}
  std::unique_ptr<CaConnection> take();
  void give(std::unique_ptr<CaConnection> connection);

 private:
  std::unique_ptr<CaAccount> account_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<CaConnection>> idle_;
};

// Borrows a connection for one scope.
class Borrowed {
 public:
  explicit Borrowed(CaPool& pool) : pool_(pool), connection_(pool.take()) {}
  ~Borrowed() { pool_.give(std::move(connection_)); }
  Borrowed(const Borrowed&) = delete;
  Borrowed& operator=(const Borrowed&) = delete;
  CaConnection* operator->() { return connection_.get(); }

 private:
  CaPool& pool_;
  std::unique_ptr<CaConnection> connection_;
};

struct Lineage {
  IssueOptions options;
  IssueResult result;
  std::exception_ptr error;
  bool finished = false;  // not_due or failed: no further phase touches it
  bool log_failure = true;  // fail() logs the error (runs of more than one lineage)
  std::string server;     // after the --dry-run staging mapping
  acme::KeyType key_type = acme::KeyType::ec256;
  SteadyClock::time_point started;
  std::optional<LineageLock> lock;
  CaPool* ca = nullptr;
  std::optional<acme::PrivateKey> cert_key;
  acme::Order order;
  std::vector<acme::Dns01Task> tasks;
  std::vector<std::size_t> records;  // indexes into the publisher's records()
  std::vector<acme::CertificateChain> chains;

  bool active() const { return !finished; }
  void fail(std::exception_ptr e);  // records the error (logged) and finishes the lineage
};

// Runs fn(lineage) for every active lineage with at most `concurrency` at a time; an exception
// fails that lineage only.
void for_each_concurrently(std::vector<Lineage>& lineages, std::size_t concurrency,
                           const std::function<void(Lineage&)>& fn);

// Phase 1: normalizes, chooses the lineage and decides not_due (finishing it then).
// `announce` logs the choice. Throws what the checks throw.
void prepare(const Config& config, Lineage& l, bool announce, std::chrono::system_clock::time_point now);
// The same decision again under the lineage lock; true when it is now not_due.
bool settle_again(const Config& config, Lineage& l, std::chrono::system_clock::time_point now);
// Phase 10 for one lineage: files, renewal file, deploy hooks.
void store(const Config& config, CertStore& store, Lineage& l);

// The default CaAccount: acme::AcmeClient over one shared HttpClient per CA.
std::unique_ptr<CaAccount> default_ca(const Config& config, const CaRequest& request);

// Phase 5 for one lineage on a borrowed connection.
void order(Lineage& l);

// The LineageRun of a finished lineage (its result moved out); `total` = the run's milliseconds.
LineageRun report(Lineage& l, long long total);
// Writes status/<name>.json (run_status.hpp) when the lineage was attempted or failed; a
// failure to write is a warning.
void record_status(const Config& config, const Lineage& l, std::chrono::system_clock::time_point started,
                   const LineageRun& r);

}  // namespace dns01::flow::engine
