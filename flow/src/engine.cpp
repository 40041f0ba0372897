// run_engine(): the phases of engine.hpp over every lineage of a run. The per-lineage steps are
// in engine_lineage.cpp (choice, store, hooks) and engine_ca.cpp (accounts, orders).
#include <fmt/format.h>

#include <future>
#include <map>
#include <set>

#include "dns01/acme/csr.hpp"
#include "dns01/flow/records.hpp"
#include "dns01/journal.hpp"
#include "dns01/log.hpp"
#include "dns01/signals.hpp"
#include "engine_state.hpp"

namespace dns01::flow {

namespace engine {
namespace {

std::string canonical(std::string name) {
  if (!name.empty() && name.back() == '.') name.pop_back();
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// The challenge record names a lineage needs ("_acme-challenge.<name>", once per base name).
std::vector<std::string> record_names(const Lineage& l) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& d : l.result.domains) {
    std::string base = d.starts_with("*.") ? d.substr(2) : d;
    if (seen.insert(base).second) out.push_back("_acme-challenge." + base);
  }
  return out;
}

class Run {
 public:
  Run(const Config& config, const EngineOptions& options, IssueServices& services, std::vector<Lineage>& lineages,
      EngineRun& out)
      : config_(config), options_(options), services_(services), lineages_(lineages), out_(out) {}

  void run() {
    if (!any_active() || !setup()) return;
    if (options_.preflight) preflight();
    accounts();
    step("place the orders", out_.timings.order, [](Lineage& l) { order(l); });
    for (const auto& l : lineages_) out_.orders += l.order.url.empty() ? 0 : 1;
    present();
    wait();
    step("answer the challenges", out_.timings.validation, [](Lineage& l) { validate(l); });
    finalize_while_cleaning();
    PhaseTimer timer(out_.timings.store);
    for (auto& l : lineages_)
      if (l.active()) try {
          engine::store(config_, *store_, l);
        } catch (...) {
          l.fail(std::current_exception());
        }
  }

 private:
  bool any_active() const {
    for (const auto& l : lineages_)
      if (l.active()) return true;
    return false;
  }
  void fail_all(const std::exception_ptr& e) {
    for (auto& l : lineages_)
      if (l.active()) l.fail(e);
  }
  void check_stop(const char* step) {
    if (stop_requested()) fail_all(std::make_exception_ptr(InterruptedError(step)));
  }
  // A bounded concurrent phase, timed for the run and for each lineage.
  void step(const char* what, long long& timing, const std::function<void(Lineage&)>& fn) {
    check_stop(what);
    PhaseTimer timer(timing);
    for_each_concurrently(lineages_, options_.concurrency, fn);
  }

  static void validate(Lineage& l) {
    if (l.tasks.empty()) return;
    PhaseTimer timer(l.result.timings.validation);
    if (stop_requested()) throw InterruptedError("answer the challenges");
    Borrowed ca(*l.ca);
    // All challenges first, then the polls: the CA validates them in parallel.
    for (const auto& task : l.tasks) ca->answer(task);
    for (const auto& task : l.tasks) {
      ca->wait_valid(task);
      Logger::global().info("acme", "{}{}: validated", task.wildcard ? "*." : "", task.domain);
    }
  }

  bool setup() {
    PhaseTimer timer(out_.timings.setup);
    try {
      if (!services_.providers && config_.providers.empty())
        throw ConfigError("load providers",
                          config_.source.empty() ? "no configuration file was found, so no DNS provider is configured"
                                                 : fmt::format("{} has no [providers.<name>] table", config_.source.string()),
                          "add a provider table (docs/configuration.md) or name the file with --config / $DNS01_CONFIG");
      providers_.emplace(services_.providers ? services_.providers(config_) : plugins::ProviderSet::load(config_.providers));
      checker_ = services_.checker ? services_.checker(config_) : std::make_unique<propagation::Checker>(config_.propagation);
      checker_->options().cancelled = [] { return stop_requested(); };
    } catch (...) {
      fail_all(std::current_exception());
      return false;
    }
    // Every record name must have a provider before anything is ordered.
    for (auto& l : lineages_)
      if (l.active()) try {
          for (const auto& name : record_names(l)) place_record(*providers_, *checker_, name, l.options.provider);
        } catch (...) {
          l.fail(std::current_exception());
        }
    try {
      store_.emplace(config_.storage.dir);
      ensure_private_dir(store_->dir());
    } catch (...) {
      fail_all(std::current_exception());
      return false;
    }
    for (auto& l : lineages_) lock(l);
    if (!any_active()) return false;
    try {
      journal_.emplace(store_->journal_dir());
      StaleSweep sweep = clean_stale_records(store_->journal_dir(), *providers_);
      for (auto& l : lineages_) l.result.stale_records_removed = sweep.removed.size();
      for (const auto& e : sweep.errors) Logger::global().warn("cleanup", "stale record kept for later: {}", e);
    } catch (...) {
      fail_all(std::current_exception());
      return false;
    }
    publisher_.emplace(*providers_, *checker_, *journal_);
    return true;
  }

  // The lineage lock, the decision again under it, and a --reuse-key key.
  void lock(Lineage& l) {
    if (!l.active()) return;
    PhaseTimer timer(l.result.timings.setup);
    try {
      const std::string locked = l.result.cert_name;
      l.lock.emplace(store_->dir(), locked, l.options.lock_wait);
      if (settle_again(config_, l, services_.now())) {
        l.finished = true;
        return;
      }
      if (l.result.cert_name != locked) {
        l.lock.reset();
        l.lock.emplace(store_->dir(), l.result.cert_name, l.options.lock_wait);
      }
      if (l.options.reuse_key)
        if (auto current = store_->current(l.result.cert_name)) {
          l.cert_key.emplace(acme::PrivateKey::load(current->privkey));
          Logger::global().info("issue", "reusing the private key of {}", l.result.cert_name);
        }
    } catch (...) {
      l.fail(std::current_exception());
    }
  }

  void preflight() {
    PhaseTimer timer(out_.timings.preflight);
    std::vector<std::string> names;
    for (const auto& l : lineages_)
      if (l.active())
        for (auto& n : record_names(l)) names.push_back(std::move(n));
    try {
      PreflightOptions o;
      o.propagation = config_.propagation;  // the run's servers, ports and timeout
      out_.preflight = services_.preflight ? services_.preflight(*providers_, *checker_, names)
                                           : flow::preflight(*providers_, *checker_, names, o);
    } catch (...) {
      fail_all(std::current_exception());
      return;
    }
    for (auto& l : lineages_)
      if (l.active())
        if (auto why = out_.preflight->failure_for(record_names(l)))
          l.fail(std::make_exception_ptr(ProviderError("preflight", "pre-flight check", *why,
                                                       "fix that provider instance or nameserver; no order was placed")));
  }

  void accounts() {
    PhaseTimer timer(out_.timings.accounts);
    std::map<std::string, std::exception_ptr> broken;
    for (auto& l : lineages_) {
      if (!l.active()) continue;
      PhaseTimer own(l.result.timings.setup);
      const std::string key = l.result.directory_url + "\n" + l.options.ca_bundle;
      if (auto b = broken.find(key); b != broken.end()) {
        l.fail(b->second);
        continue;
      }
      auto& pool = cas_[key];
      if (!pool) try {
          const CaRequest request{l.result.directory_url, l.options.ca_bundle, account_dir(*store_, l.result.directory_url),
                                  AccountRequest{l.options.email, l.options.agree_tos, l.options.eab_kid, l.options.eab_hmac_key}};
          pool = std::make_unique<CaPool>(services_.ca ? services_.ca(config_, request) : default_ca(config_, request));
        } catch (...) {
          cas_.erase(key);
          broken[key] = std::current_exception();
          l.fail(broken[key]);
          continue;
        }
      l.ca = pool.get();
    }
  }

  void present() {
    check_stop("present the TXT records");
    PhaseTimer timer(out_.timings.present);
    std::vector<ChallengeRecord> records;
    std::vector<std::string> pinned;
    std::vector<Lineage*> owner;
    for (auto& l : lineages_)
      if (l.active())
        for (const auto& task : l.tasks) {
          records.push_back({task.record_name, task.txt_value, (task.wildcard ? "*." : "") + task.domain});
          pinned.push_back(l.options.provider);
          owner.push_back(&l);
        }
    if (records.empty()) return;
    std::vector<std::exception_ptr> failures;
    try {
      failures = publisher_->present_each(records, pinned);
    } catch (...) {
      fail_all(std::current_exception());
      return;
    }
    for (std::size_t i = 0; i < records.size(); ++i)
      if (failures[i] && owner[i]->active()) owner[i]->fail(failures[i]);
    std::map<std::string, Lineage*> by_value;
    for (std::size_t i = 0; i < records.size(); ++i) by_value[records[i].record_name + " " + records[i].value] = owner[i];
    const auto& placed = publisher_->records();
    for (std::size_t k = 0; k < placed.size(); ++k) {
      Lineage* l = by_value[placed[k].record.record_name + " " + placed[k].record.value];
      l->records.push_back(k);
      const auto& p = placed[k];
      l->result.records.push_back({p.record.label, p.record.record_name, p.effective_name, p.zone, p.provider});
    }
    for (auto& l : lineages_) l.result.timings.present = out_.timings.present;
  }

  void wait() {
    const auto& placed = publisher_->records();
    std::vector<propagation::Expectation> expectations;
    for (const auto& l : lineages_)
      if (l.active())
        for (std::size_t k : l.records) expectations.push_back({placed[k].effective_name, placed[k].record.value});
    if (expectations.empty()) return;
    auto& log = Logger::global();
    PhaseTimer timer(out_.timings.propagation);
    log.info("propagation", "waiting until every authoritative nameserver serves {} value{}", expectations.size(),
             expectations.size() == 1 ? "" : "s");
    propagation::CheckResult check;
    try {
      check = checker_->check(expectations, [&](const propagation::Probe& p) {
        log.info("propagation", "{}", propagation::describe_probe(p));
      });
    } catch (...) {
      fail_all(std::current_exception());
      return;
    }
    out_.dns_queries = check.packets_sent;
    for (auto& l : lineages_) {
      l.result.dns_queries = check.packets_sent;
      l.result.timings.propagation = check.elapsed.count();
    }
    if (check.ok) {
      log.info("propagation", "every nameserver serves every value after {} ms ({} queries)", check.elapsed.count(),
               check.packets_sent);
      return;
    }
    // Only the lineages whose records lag fail; each error names its own laggards.
    for (auto& l : lineages_) {
      if (!l.active() || l.records.empty()) continue;
      std::set<std::string> names;
      for (std::size_t k : l.records) names.insert(canonical(placed[k].effective_name));
      propagation::CheckResult own = check;
      own.probes.clear();
      bool lagging = false;
      for (const auto& p : check.probes)
        if (names.count(canonical(p.name))) {
          own.probes.push_back(p);
          lagging |= p.state != propagation::ProbeState::seen;
        }
      if (lagging) l.fail(std::make_exception_ptr(propagation::failure_error(own, checker_->options().timeout)));
    }
  }

  void finalize_while_cleaning() {
    // The records are not needed any more: remove them while the CA finalizes. get() below
    // (or the future's destructor, should anything throw) joins the removal on every path.
    std::vector<std::string> errors;
    long long cleanup_ms = 0;
    std::future<void> removal = std::async(std::launch::async, [&] {
      PhaseTimer timer(cleanup_ms);
      errors = publisher_->cleanup();
    });
    step("finalize the orders", out_.timings.finalize, [](Lineage& l) {
      PhaseTimer timer(l.result.timings.finalize);
      if (stop_requested()) throw InterruptedError("finalize the order");
      Borrowed ca(*l.ca);
      l.order = ca->wait_ready(l.order.url);
      l.order = ca->finalize(l.order, acme::make_csr(*l.cert_key, l.result.domains));
      l.chains = ca->download(l.order.certificate);
    });
    removal.get();
    out_.timings.cleanup = cleanup_ms;
    const auto& placed = publisher_->records();
    for (auto& l : lineages_) {
      if (l.records.empty()) continue;
      l.result.timings.cleanup = cleanup_ms;
      for (const auto& e : errors)
        for (std::size_t k : l.records)
          if (e.starts_with(placed[k].effective_name + " (")) {
            l.result.cleanup_errors.push_back(e);
            break;
          }
    }
  }

  const Config& config_;
  const EngineOptions& options_;
  IssueServices& services_;
  std::vector<Lineage>& lineages_;
  EngineRun& out_;
  std::optional<plugins::ProviderSet> providers_;
  std::unique_ptr<propagation::Checker> checker_;
  std::optional<CertStore> store_;
  std::optional<RecordJournal> journal_;
  std::map<std::string, std::unique_ptr<CaPool>> cas_;
  std::optional<RecordPublisher> publisher_;  // last: removes what is still out before the rest goes
};

}  // namespace
}  // namespace engine

EngineRun run_engine(const Config& config, const std::vector<IssueOptions>& requests, const EngineOptions& options,
                     IssueServices services) {
  using namespace engine;
  const auto started = SteadyClock::now();
  const auto wall_started = std::chrono::system_clock::now();
  if (!services.now) services.now = [] { return std::chrono::system_clock::now(); };
  EngineRun out;
  std::vector<Lineage> lineages(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    Lineage& l = lineages[i];
    l.options = requests[i];
    l.log_failure = requests.size() > 1;
    try {
      prepare(config, l, options.announce, services.now());
    } catch (...) {
      l.fail(std::current_exception());
    }
  }
  {
    Run run(config, options, services, lineages, out);
    run.run();
  }  // locks, journal and publisher released here (records already removed)
  out.timings.total = ms_since(started);
  for (auto& l : lineages) {
    out.lineages.push_back(report(l, out.timings.total));
    if (!requests[&l - lineages.data()].dry_run) record_status(config, l, wall_started, out.lineages.back());
  }
  return out;  // the lineage locks go with `lineages`, after the status files are written
}

}  // namespace dns01::flow
