// The engine's per-lineage steps that need no CA: the lineage choice and the not-due rule
// (phase 1), storing and deploy hooks (phase 10), and the bounded worker loop.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <atomic>
#include <thread>

#include "dns01/acme/ca.hpp"
#include "dns01/acme/csr.hpp"
#include "dns01/flow/hooks.hpp"
#include "dns01/flow/issue_lineage.hpp"
#include "dns01/flow/renewal.hpp"
#include "dns01/flow/renewal_due.hpp"
#include "dns01/log.hpp"
#include "engine_state.hpp"

namespace dns01::flow::engine {

namespace {

std::string join(const std::vector<std::string>& v, const char* sep) { return fmt::format("{}", fmt::join(v, sep)); }

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

// True (and the result filled as not_due) when the lineage already holds the requested names
// and is not due (renewal_due.hpp's rule, or the ARI time `renew` saved). A certificate from
// another CA (staging -> production) or with another key type counts as due: it is ordered.
bool not_due(const CertStore& store, Lineage& l, const CertInfo& cert, std::chrono::system_clock::time_point now) {
  IssueResult& result = l.result;
  RenewalDecision decision = renewal_due(cert, std::nullopt, now);
  if (!l.options.reuse_key && cert.key_type != l.options.key_type) return false;
  std::error_code ec;
  if (std::filesystem::exists(store.renewal_file(result.cert_name), ec)) {
    const RenewalConfig renewal = load_renewal(store, result.cert_name);
    if (renewal.server != result.directory_url) return false;
    if (renewal.ari_renewal_time && renewal.ari_window_start && renewal.ari_window_end) {
      const acme::RenewalInfo window{*renewal.ari_window_start, *renewal.ari_window_end, "", std::nullopt};
      decision = ari_decision(window, *renewal.ari_renewal_time, now);
    }
  }
  if (decision.due) return false;
  auto paths = store.current(result.cert_name);
  if (!paths) return false;
  result.status = IssueStatus::not_due;
  result.reason = decision.reason;
  result.paths = *paths;
  result.version = paths->version;
  result.certificate = cert;
  return true;
}

// Chooses the lineage into result.cert_name; true when it is not_due (nothing to order).
bool settle(const Config& config, Lineage& l, bool announce, std::chrono::system_clock::time_point now) {
  auto& log = Logger::global();
  const IssueOptions& o = l.options;
  const CertStore store(config.storage.dir);
  const LineageChoice lineage = choose_lineage(store, l.result.domains, o.cert_name, o.expand, o.shrink);
  l.result.cert_name = lineage.cert_name;
  if (announce) {
    if (!lineage.note.empty()) log.info("issue", "{}", lineage.note);
    if (!lineage.added.empty() && lineage.exists)
      log.info("issue", "adding {} to {} (--expand)", join(lineage.added, ", "), l.result.cert_name);
    if (!lineage.dropped.empty() && lineage.exists)
      log.warn("issue", "removing {} from {} (--shrink)", join(lineage.dropped, ", "), l.result.cert_name);
  }
  if (!lineage.exists || !lineage.same_names || o.force_renewal || o.dry_run) return false;
  if (!not_due(store, l, *lineage.current, now)) return false;
  if (announce)
    log.info("issue", "{} holds these names and is not due for renewal ({}): no action taken; "
             "--force-renewal orders a new certificate anyway", l.result.cert_name, l.result.reason);
  return true;
}

}  // namespace

long long ms_since(SteadyClock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start).count();
}

void Lineage::fail(std::exception_ptr e) {
  error = std::move(e);
  finished = true;
  if (!log_failure) return;  // issue(): the caller reports the one error
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& x) {
    Logger::global().error("issue", "{}: {}", result.cert_name.empty() ? options.cert_name : result.cert_name,
                           Redactor::global().apply(x.what()));
  } catch (...) {
  }
}

void for_each_concurrently(std::vector<Lineage>& lineages, std::size_t concurrency,
                           const std::function<void(Lineage&)>& fn) {
  std::vector<Lineage*> work;
  for (auto& l : lineages)
    if (l.active()) work.push_back(&l);
  auto run = [&fn](Lineage& l) {
    try {
      fn(l);
    } catch (...) {
      l.fail(std::current_exception());
    }
  };
  const std::size_t n = std::min(std::max<std::size_t>(concurrency, 1), work.size());
  if (n <= 1) {  // one lineage (issue): on this thread, as before the engine
    for (auto* l : work) run(*l);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::vector<std::jthread> workers;
  for (std::size_t w = 0; w < n; ++w)
    workers.emplace_back([&] {
      for (std::size_t i = next++; i < work.size(); i = next++) run(*work[i]);
    });
}

void prepare(const Config& config, Lineage& l, bool announce, std::chrono::system_clock::time_point now) {
  auto& log = Logger::global();
  const IssueOptions& o = l.options;
  l.result.domains = normalize_domains(o.domains);
  if (!o.cert_name.empty()) CertStore::check_name(o.cert_name);
  l.result.dry_run = o.dry_run;
  l.result.status = o.dry_run ? IssueStatus::dry_run : IssueStatus::issued;
  // --dry-run talks to the staging twin of a production CA, named by shortcut or by URL.
  const auto staging = o.dry_run ? acme::staging_directory_for(o.server) : std::nullopt;
  l.server = staging ? *staging : o.server;
  l.result.directory_url = acme::resolve_directory_url(l.server);
  l.key_type = acme::parse_key_type(o.key_type);
  // Decided before anything is loaded (a no-op run stays cheap) and again under the lineage lock
  // (a run that waited for the lock finds what the other run stored).
  if (settle(config, l, announce, now)) {
    l.finished = true;
    return;
  }
  if (o.dry_run && !staging && !acme::is_staging_directory(l.result.directory_url))
    log.warn("issue", "--dry-run: {} has no staging twin known to dns01, so the CA issues a real "
             "certificate (it is not stored); use a staging directory to keep it off the CA's "
             "records and rate limits", l.result.directory_url);
}

bool settle_again(const Config& config, Lineage& l, std::chrono::system_clock::time_point now) {
  return settle(config, l, false, now);
}

void store(const Config& config, CertStore& store, Lineage& l) {
  auto& log = Logger::global();
  IssueResult& result = l.result;
  auto& t = result.timings;
  const acme::CertificateChain& chain = acme::select_chain(l.chains, l.options.preferred_chain);
  result.certificate = inspect_certificate(chain.pem, "the issued certificate");
  log.info("issue", "certificate issued: serial {}, valid until {}", result.certificate.serial,
           acme::format_rfc3339(result.certificate.not_after));
  if (l.options.dry_run) return;
  {
    PhaseTimer timer(t.store);
    auto [leaf, rest] = split_chain(chain.pem);
    CertificateFiles files{leaf, rest, leaf + rest, l.cert_key->to_pem()};
    result.paths = store.save(result.cert_name, files);
    result.version = result.paths.version;
    save_renewal(store, renewal_config_for(config, l.options, result, acme::key_type_name(l.cert_key->type())));
    log.info("issue", "stored as {} (version {})", result.paths.live_dir.string(), result.version);
  }
  if (l.options.deploy_hooks.empty()) return;
  PhaseTimer timer(t.hooks);
  for (const auto& command : l.options.deploy_hooks) {
    std::string error = run_hook({command, "deploy",
                                  {{"RENEWED_LINEAGE", result.paths.live_dir.string()},
                                   {"RENEWED_DOMAINS", join(result.domains, " ")}}});
    if (!error.empty()) {
      log.error("hook", "{}", error);
      result.hook_errors.push_back(error);
    }
  }
}

}  // namespace dns01::flow::engine
