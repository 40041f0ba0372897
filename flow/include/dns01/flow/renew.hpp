#pragma once
// `dns01 renew`: which lineages are due, and renewing them with issue().
//
// For each lineage (CertStore::lineages(), or just RenewOptions::cert_name):
//   1. renewal/<name>.toml (load_renewal) and live/<name>/cert.pem (inspect_certificate);
//   2. when the CA's directory has renewalInfo and the certificate has an ARI CertID, the
//      suggested window (RFC 9773) is fetched; a failure to get it falls back to the lifetime rule;
//   3. renewal_due() decides (the ARI time drawn on the first run in a window is saved in the
//      renewal file and reused while the window stays; --days N replaces both rules);
//      --force and --dry-run make every selected lineage due;
//   4. every due lineage is issued again in ONE engine run (engine.hpp: one account per CA,
//      orders concurrent, one propagation wait for all records, pre-flight first when more than
//      one is due) with IssueOptions built from its renewal file (replaces = the old CertID when
//      the CA speaks ARI, retried without it when refused; agree_tos = true, the account
//      exists). Providers and propagation settings come from the CURRENT Config.
// Pre hooks run once before the engine run (when anything is due), post hooks once at the end (RENEWED_DOMAINS,
// FAILED_DOMAINS); deploy hooks are issue()'s business (it gets them in IssueOptions).
// One failing lineage does not stop the others.
//
// Errors: renew() throws only for problems before any lineage is looked at (an unknown
// cert_name: StorageError, a bad name: UsageError); per-lineage failures are recorded in the
// summary. A stop request (SIGINT/SIGTERM, also during --random-sleep) ends the run: while
// deciding, the lineage in progress is recorded as failed with category interrupted and the
// rest is skipped; during the engine run every due lineage not finished fails as interrupted;
// post hooks still run. Threading: one call at a time (hooks, signals).
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dns01/acme/documents.hpp"
#include "dns01/config.hpp"
#include "dns01/error.hpp"
#include "dns01/flow/certinfo.hpp"
#include "dns01/flow/engine.hpp"
#include "dns01/flow/issue.hpp"
#include "dns01/flow/renewal.hpp"
#include "dns01/flow/renewal_due.hpp"

namespace dns01::flow {

struct RenewOptions {
  std::string cert_name;  // "" = every lineage
  bool force = false;
  bool dry_run = false;
  bool random_sleep = false;  // 1..480 s before the first network access; never by default
  std::optional<int> days;    // due with fewer than this many days left (replaces ARI and the
                              // lifetime rule, like certbot's renew_before_expiry)
  std::vector<std::string> deploy_hooks, post_hooks, pre_hooks;
  bool preflight = true;        // pre-flight before the orders when more than one lineage is due
  std::size_t concurrency = 8;  // EngineOptions::concurrency
};

// What happened to one lineage.
// to_string() gives the --json "status" strings.
enum class RenewStatus { renewed, not_due, failed, dry_run };
std::string_view to_string(RenewStatus status) noexcept;

struct LineageOutcome {
  std::string cert_name;
  RenewStatus status = RenewStatus::not_due;
  std::string reason;
  std::vector<std::string> domains;
  std::optional<CertInfo> certificate;  // the live certificate before renewal, when readable
  bool ari = false;
  std::optional<std::chrono::system_clock::time_point> renewal_time;
  std::optional<nlohmann::json> result;  // IssueResult::to_json() when renewed / dry_run
  std::optional<ErrorCategory> error_category;
  nlohmann::json error;                  // {category, exit_code, message, hint} or null
};

struct RenewSummary {
  bool dry_run = false, force = false;
  std::vector<LineageOutcome> certificates;
  std::vector<std::string> renewed_domains, failed_domains;
  std::vector<std::string> hook_errors;  // pre/post hooks (deploy hook errors are in results)
  std::optional<PreflightResult> preflight;  // when it ran ("preflight" in --json only then)
  bool ok() const;
  // 0 when nothing failed, else the exit code of the first failure's category.
  int exit_code() const;
  // The documented `dns01 renew --json` object (docs/cli.md).
  nlohmann::json to_json() const;
};

// The seams renew() uses; defaults talk to the CA and the clock. Tests replace them.
struct RenewServices {
  // Test seam: when set, due lineages go through it one after the other (a refused `replaces`
  // retried without it) instead of one engine run.
  std::function<IssueResult(const Config&, const IssueOptions&)> issue;
  IssueServices engine;  // the engine's seams (engine.hpp) for the default path
  // Suggested window for a certificate at this CA; nullopt when the CA has no renewalInfo.
  // May throw (then the lifetime rule applies). Default: GET <renewalInfo>/<CertID>.
  std::function<std::optional<acme::RenewalInfo>(const RenewalConfig&, const CertInfo&)> renewal_info;
  std::function<std::chrono::system_clock::time_point()> now;
  // Sleeps up to the duration, returning early on a stop request. Default: sleeps in slices.
  std::function<void(std::chrono::milliseconds)> sleep;
};

RenewSummary renew(const Config& config, const RenewOptions& options);
RenewSummary renew(const Config& config, const RenewOptions& options, RenewServices services);

}  // namespace dns01::flow
