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
//   4. a due lineage is issued again through issue() with IssueOptions built from its renewal
//      file (replaces = the old CertID when the CA speaks ARI; agree_tos = true, the account
//      exists). Providers and propagation settings come from the CURRENT Config.
// Pre hooks run once before the first due lineage, post hooks once at the end (RENEWED_DOMAINS,
// FAILED_DOMAINS); deploy hooks are issue()'s business (it gets them in IssueOptions).
// One failing lineage does not stop the others.
//
// Errors: renew() throws only for problems before any lineage is looked at (an unknown
// cert_name: StorageError, a bad name: UsageError); per-lineage failures are recorded in the
// summary. A stop request (SIGINT/SIGTERM, also during --random-sleep) ends the loop: the
// lineage in progress is recorded as failed with category interrupted, the rest is skipped,
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
#include "dns01/flow/issue.hpp"
#include "dns01/flow/renewal.hpp"

namespace dns01::flow {

struct RenewOptions {
  std::string cert_name;  // "" = every lineage
  bool force = false;
  bool dry_run = false;
  bool random_sleep = false;  // 1..480 s before the first network access; never by default
  std::optional<int> days;    // due with fewer than this many days left (replaces ARI and the
                              // lifetime rule, like certbot's renew_before_expiry)
  std::vector<std::string> deploy_hooks, post_hooks, pre_hooks;
};

struct RenewalDecision {
  bool due = false;
  std::string reason;  // "31 of 90 days left", "ARI window starts 2026-...", "forced"
  bool ari = false;    // the decision used the CA's suggested window
  std::optional<std::chrono::system_clock::time_point> renewal_time;  // chosen ARI time
};

// Due decision without network. With `ari`: due when now >= a time chosen uniformly in the
// window (`u` in [0,1] picks it; the overload without `u` draws it at random). Without: due when
// less than a third of the lifetime is left (half when the lifetime is under 10 days).
RenewalDecision renewal_due(const CertInfo& cert, const std::optional<acme::RenewalInfo>& ari,
                            std::chrono::system_clock::time_point now, double u);
RenewalDecision renewal_due(const CertInfo& cert, const std::optional<acme::RenewalInfo>& ari,
                            std::chrono::system_clock::time_point now);
// `renew --days N`: due with fewer than N whole days left (certbot's renew_before_expiry); the
// reason says how much of the lifetime is left.
RenewalDecision renewal_due_in_days(const CertInfo& cert, std::chrono::system_clock::time_point now,
                                    int days);
// The ARI decision for a renewal time already chosen in `ari`'s window (renew keeps the time it
// drew in the renewal file and decides with it on later runs while the window stays the same).
RenewalDecision ari_decision(const acme::RenewalInfo& ari, std::chrono::system_clock::time_point when,
                             std::chrono::system_clock::time_point now);

// What happened to one lineage.
struct LineageOutcome {
  std::string cert_name;
  std::string status;  // "renewed" | "not_due" | "failed" | "dry_run"
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
  bool ok() const;
  // 0 when nothing failed, else the exit code of the first failure's category.
  int exit_code() const;
  // The documented `dns01 renew --json` object (docs/cli.md).
  nlohmann::json to_json() const;
};

// The seams renew() uses; defaults talk to the CA and the clock. Tests replace them.
struct RenewServices {
  std::function<IssueResult(const Config&, const IssueOptions&)> issue;  // default: flow::issue
  // Suggested window for a certificate at this CA; nullopt when the CA has no renewalInfo.
  // May throw (then the lifetime rule applies). Default: GET <renewalInfo>/<CertID>.
  std::function<std::optional<acme::RenewalInfo>(const RenewalConfig&, const CertInfo&)> renewal_info;
  std::function<std::chrono::system_clock::time_point()> now;
  // Sleeps up to the duration, returning early on a stop request. Default: sleeps in slices.
  std::function<void(std::chrono::milliseconds)> sleep;
};

// The IssueOptions a renewal of `renewal` uses (without replaces / dry_run / hooks of the run).
IssueOptions issue_options_for(const Config& config, const RenewalConfig& renewal);
// The reverse: what issue() stores for a lineage it just saved. The two live side by side so a
// new option is carried both ways. `key_type` is the certificate key's actual type.
RenewalConfig renewal_config_for(const Config& config, const IssueOptions& options,
                                 const IssueResult& result, const std::string& key_type);

RenewSummary renew(const Config& config, const RenewOptions& options);
RenewSummary renew(const Config& config, const RenewOptions& options, RenewServices services);

}  // namespace dns01::flow
