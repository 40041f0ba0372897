// `dns01 renew`: the renewal loop (renew.hpp); the due rules are in renewal_due.cpp.
#include "dns01/flow/renew.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <exception>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <thread>

#include "dns01/acme/ari.hpp"
#include "dns01/acme/ca_client.hpp"
#include "dns01/acme/client.hpp"
#include "dns01/flow/engine.hpp"
#include "dns01/flow/hooks.hpp"
#include "dns01/http.hpp"
#include "dns01/json.hpp"
#include "dns01/log.hpp"
#include "dns01/signals.hpp"
#include "dns01/storage.hpp"

namespace dns01::flow {

namespace {

using Clock = std::chrono::system_clock;
using std::chrono::duration_cast;

std::string join(const std::vector<std::string>& v) { return fmt::format("{}", fmt::join(v, " ")); }

// Default RenewServices::renewal_info: one HTTP client and one directory fetch per CA for the
// whole run, however many lineages it has.
class RenewalInfoFetcher {
 public:
  std::optional<acme::RenewalInfo> operator()(const RenewalConfig& renewal, const CertInfo& cert) {
    if (cert.ari_cert_id.empty()) return std::nullopt;
    const std::string url = acme::resolve_directory_url(renewal.server);
    const std::string key = url + "\n" + renewal.ca_bundle;
    auto it = cas_.find(key);
    if (it == cas_.end()) it = cas_.emplace(key, std::make_unique<Ca>(url, renewal.ca_bundle)).first;
    Ca& ca = *it->second;
    // An unreachable CA is tried once per run, not once per lineage (each try costs retries).
    if (ca.unreachable) std::rethrow_exception(ca.unreachable);
    try {
      if (ca.client.directory().renewal_info.empty()) return std::nullopt;
    } catch (const NetworkError&) {
      ca.unreachable = std::current_exception();
      throw;
    }
    return ca.client.renewal_info(cert.ari_cert_id);
  }

 private:
  struct Ca {
    // renewalInfo is an unauthenticated GET: no account key (ca_client.hpp).
    Ca(const std::string& url, const std::string& ca_bundle) : ca(acme::ca_client(url, ca_bundle)), client(ca->acme()) {}
    std::unique_ptr<acme::CaClient> ca;
    acme::AcmeClient& client;
    std::exception_ptr unreachable;
  };
  std::map<std::string, std::unique_ptr<Ca>> cas_;
};

void sleep_in_slices(std::chrono::milliseconds total) {
  const auto end = std::chrono::steady_clock::now() + total;
  while (std::chrono::steady_clock::now() < end && !stop_requested())
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

std::vector<std::string> merged_hooks(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out = a;
  for (const auto& h : b)
    if (std::find(out.begin(), out.end(), h) == out.end()) out.push_back(h);
  return out;
}

bool replaces_rejected(const AcmeError& e) {
  // A CA may refuse `replaces` (the certificate was already replaced, e.g. after a manual
  // issue, or it does not know it): renewing without it is still right.
  const auto& p = e.problem();
  return acme::is_problem(p, "alreadyReplaced") || p.status == 409 ||
         (acme::is_problem(p, "malformed") && p.detail.find("replace") != std::string::npos);
}

class Renewer {
 public:
  Renewer(const Config& config, const RenewOptions& options, RenewServices services)
      : config_(config), options_(options), services_(std::move(services)), store_(config.storage.dir) {}

  RenewSummary run() {
    summary_.dry_run = options_.dry_run;
    summary_.force = options_.force;
    std::vector<std::string> names;
    if (!options_.cert_name.empty()) {
      CertStore::check_name(options_.cert_name);
      std::error_code ec;
      if (!store_.current(options_.cert_name) &&
          !std::filesystem::exists(store_.renewal_file(options_.cert_name), ec))
        throw StorageError("find certificate",
                           fmt::format("no certificate named '{}' in {}", options_.cert_name,
                                       store_.dir().string()),
                           "`dns01 certificates` lists the certificates");
      names.push_back(options_.cert_name);
    } else {
      names = store_.lineages();
    }
    if (names.empty()) Logger::global().info("renew", "no certificates to renew in {}", store_.dir().string());
    // 1. Decide every lineage (ARI per CA); 2. renew the due ones in one engine run.
    for (const auto& name : names) {
      if (stop_requested()) break;
      summary_.certificates.push_back(decide_one(name));
      if (summary_.certificates.back().error_category == ErrorCategory::interrupted) break;
    }
    if (!due_.empty()) {
      attempted_ = true;
      run_hooks(options_.pre_hooks, "pre", {});
      if (services_.issue) issue_one_by_one();
      else issue_together();
    }
    for (const auto& out : summary_.certificates) {
      auto& list = out.status == RenewStatus::failed ? summary_.failed_domains
                                                         : summary_.renewed_domains;
      if (out.status != RenewStatus::not_due) list.insert(list.end(), out.domains.begin(), out.domains.end());
    }
    if (attempted_) run_hooks(options_.post_hooks, "post",
                              {{"RENEWED_DOMAINS", join(summary_.renewed_domains)},
                               {"FAILED_DOMAINS", join(summary_.failed_domains)}});
    return std::move(summary_);
  }

 private:
  void run_hooks(const std::vector<std::string>& hooks, const char* kind,
                 const std::map<std::string, std::string>& env) {
    for (const auto& command : hooks) {
      std::string error = run_hook({command, kind, env});
      if (!error.empty()) {
        Logger::global().error("hook", "{}", error);
        summary_.hook_errors.push_back(std::move(error));
      }
    }
  }

  void random_sleep_once() {
    if (!options_.random_sleep || slept_) return;
    slept_ = true;
    std::mt19937 rng{std::random_device{}()};
    const auto seconds = std::uniform_int_distribution<int>(1, 480)(rng);
    Logger::global().info("renew", "--random-sleep: waiting {} s before contacting the CA", seconds);
    services_.sleep(std::chrono::seconds(seconds));
    if (stop_requested()) throw InterruptedError("random sleep before renewal");
  }

  // The ARI time drawn once per window and kept in the renewal file (renewal.hpp): drawing again
  // on every run of a twice-daily timer would renew early in the window, not at the plan.
  RenewalDecision decide(const RenewalConfig& renewal, const CertInfo& cert,
                         const std::optional<acme::RenewalInfo>& ari) {
    const auto now = services_.now();
    if (options_.days) return renewal_due_in_days(cert, now, *options_.days);
    if (!ari) return renewal_due(cert, ari, now);
    auto same = [](const std::optional<Clock::time_point>& a, Clock::time_point b) {
      return a && acme::format_rfc3339(*a) == acme::format_rfc3339(b);
    };
    if (renewal.ari_renewal_time && same(renewal.ari_window_start, ari->window_start) &&
        same(renewal.ari_window_end, ari->window_end))
      return ari_decision(*ari, *renewal.ari_renewal_time, now);
    const RenewalDecision d = renewal_due(cert, ari, now);
    if (!options_.dry_run && d.renewal_time) {
      RenewalConfig updated = renewal;
      updated.ari_window_start = ari->window_start;
      updated.ari_window_end = ari->window_end;
      updated.ari_renewal_time = *d.renewal_time;
      try {
        save_renewal(store_, updated);
      } catch (const Error& e) {
        Logger::global().warn("renew", "{}: the planned renewal time could not be saved: {}",
                              renewal.cert_name, Redactor::global().apply(e.what()));
      }
    }
    return d;
  }

  static void fail(LineageOutcome& out, const Error& e) {
    out.status = RenewStatus::failed;
    out.error_category = e.category();
    out.error = json::error_json(e);
    Logger::global().error("renew", "{}: {}", out.cert_name, Redactor::global().apply(e.what()));
  }

  LineageOutcome decide_one(const std::string& name) {
    LineageOutcome out;
    out.cert_name = name;
    auto& log = Logger::global();
    try {
      const RenewalConfig renewal = load_renewal(store_, name);
      out.domains = renewal.domains;
      const auto paths = store_.current(name);
      if (!paths)
        throw StorageError("read certificate", fmt::format("{} has no live/{}/cert.pem", store_.dir().string(), name),
                           "issue it again with dns01 issue");
      const CertInfo cert = inspect_certificate(read_file(paths->cert), paths->cert.string());
      out.certificate = cert;

      std::optional<acme::RenewalInfo> ari;
      std::string ari_failure;
      // Also with --force: the answer tells whether the CA takes `replaces`.
      if (!options_.dry_run) {
        random_sleep_once();
        try {
          ari = services_.renewal_info(renewal, cert);
        } catch (const Error& e) {
          // ARI is advice: without it the lifetime rule still renews in time.
          ari_failure = Redactor::global().apply(e.what());
          log.warn("renew", "{}: renewal info unavailable, using the lifetime rule: {}", name, ari_failure);
        }
      }
      RenewalDecision decision = decide(renewal, cert, ari);
      if (!ari_failure.empty()) decision.reason = fmt::format("ARI unavailable; {}", decision.reason);
      if (options_.force) decision = {true, "forced", false, std::nullopt};
      else if (options_.dry_run) decision = {true, fmt::format("dry run; {}", decision.reason), false, std::nullopt};
      out.reason = decision.reason;
      out.ari = decision.ari;
      out.renewal_time = decision.renewal_time;
      if (!decision.due) {
        out.status = RenewStatus::not_due;
        log.info("renew", "{}: not due ({})", name, decision.reason);
        return out;
      }

      log.info("renew", "{}: renewing ({})", name, decision.reason);
      random_sleep_once();
      IssueOptions io = issue_options_for(config_, renewal);
      io.dry_run = options_.dry_run;
      // The renewal file names the lineage and its names: renew never picks another lineage,
      // and it already decided that the certificate is due.
      io.expand = io.shrink = io.force_renewal = true;
      io.deploy_hooks = merged_hooks(renewal.deploy_hooks, options_.deploy_hooks);
      // A dry run must not mark the live certificate as replaced at the CA.
      if (!options_.dry_run && ari) io.replaces = cert.ari_cert_id;
      out.status = options_.dry_run ? RenewStatus::dry_run : RenewStatus::renewed;
      due_.push_back({summary_.certificates.size(), std::move(io)});
    } catch (const Error& e) {
      fail(out, e);
    } catch (const std::exception& e) {
      fail(out, Error(ErrorCategory::internal, "renew", fmt::format("renew {}", name), e.what(),
                      "please report this with the -vv output"));
    }
    return out;
  }

  // Test seam (RenewServices::issue): one lineage after the other, `replaces` retried without.
  void issue_one_by_one() {
    auto& log = Logger::global();
    for (auto& [index, io] : due_) {
      LineageOutcome& out = summary_.certificates[index];
      try {
        IssueResult result;
        try {
          result = services_.issue(config_, io);
        } catch (const AcmeError& e) {
          if (io.replaces.empty() || !replaces_rejected(e)) throw;
          log.warn("renew", "{}: the CA refused 'replaces' ({}); ordering without it", out.cert_name,
                   Redactor::global().apply(e.what()));
          io.replaces.clear();
          result = services_.issue(config_, io);
        }
        out.result = result.to_json();
      } catch (const Error& e) {
        fail(out, e);
      } catch (const std::exception& e) {
        fail(out, Error(ErrorCategory::internal, "renew", fmt::format("renew {}", out.cert_name), e.what(),
                        "please report this with the -vv output"));
      }
      if (out.error_category == ErrorCategory::interrupted) {
        summary_.certificates.resize(index + 1);  // the rest is skipped, as documented
        break;
      }
    }
  }

  // Every due lineage in one engine run (engine.hpp): one account per CA, orders concurrent,
  // one propagation wait; pre-flight when more than one lineage is renewed.
  void issue_together() {
    std::vector<IssueOptions> requests;
    for (const auto& d : due_) requests.push_back(d.second);
    EngineOptions engine;
    engine.concurrency = options_.concurrency;
    engine.preflight = options_.preflight && requests.size() > 1;
    engine.announce = false;
    EngineRun run = run_engine(config_, requests, engine, services_.engine);
    summary_.preflight = run.preflight;
    for (std::size_t i = 0; i < due_.size(); ++i) {
      LineageOutcome& out = summary_.certificates[due_[i].first];
      LineageRun& lineage = run.lineages[i];
      if (lineage.result) {
        out.result = lineage.result->to_json();
        continue;
      }
      out.status = RenewStatus::failed;
      out.error_category = lineage.error_category;
      out.error = lineage.error_json;
    }
  }

  const Config& config_;
  const RenewOptions& options_;
  RenewServices services_;
  CertStore store_;
  RenewSummary summary_;
  bool attempted_ = false;
  bool slept_ = false;
  std::vector<std::pair<std::size_t, IssueOptions>> due_;  // index in summary_.certificates
};

}  // namespace

RenewSummary renew(const Config& config, const RenewOptions& options, RenewServices services) {
  if (!services.renewal_info) {
    auto fetcher = std::make_shared<RenewalInfoFetcher>();
    services.renewal_info = [fetcher](const RenewalConfig& r, const CertInfo& c) { return (*fetcher)(r, c); };
  }
  if (!services.now) services.now = [] { return Clock::now(); };
  if (!services.sleep) services.sleep = sleep_in_slices;
  return Renewer(config, options, std::move(services)).run();
}

RenewSummary renew(const Config& config, const RenewOptions& options) {
  return renew(config, options, RenewServices{});
}

}  // namespace dns01::flow
