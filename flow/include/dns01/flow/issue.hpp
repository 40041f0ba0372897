#pragma once
// `dns01 issue` (and each certificate of `dns01 renew`) as one function.
//
// issue() runs, in this order:
//   0. the lineage: choose_lineage() (issue_lineage.hpp) never lets a run silently add or drop
//      names of an existing lineage. When the chosen lineage already holds exactly these names
//      and is not due for renewal (renew.hpp's rule, or the ARI time saved by `renew`), nothing
//      is ordered: the result has status "not_due" and the current paths (force_renewal,
//      dry_run override; a certificate from another CA or with another key type is ordered);
//   1. lineage lock (storage/locks/<name>.lock; a second run fails with StorageError naming the
//      holder's PID) and a sweep of stale journals left by killed runs;
//   2. the account for the CA: loaded from accounts/<ca-id>/ or created (terms of service must be
//      agreed to: agree_tos) and stored;
//   3. newOrder, every authorization fetched, already valid ones skipped;
//   4. every TXT record presented (RecordPublisher), ONE propagation wait, every challenge
//      answered, every authorization polled; records removed on every exit path;
//   5. finalize with the certificate key (new, or the lineage's with reuse_key), download, pick
//      the preferred chain, store (CertStore: archive + live symlinks), write renewal/<name>.toml;
//   6. deploy hooks (with RENEWED_LINEAGE / RENEWED_DOMAINS), unless dry_run.
// dry_run: everything up to the download happens (against the staging CA when `server` is a
// shortcut with a staging twin), nothing is stored except the account. Authorizations the CA
// still holds as valid are deactivated first and the order placed again, so every record is
// written, checked and validated (certbot does the same); with a CA that has no known staging
// twin a warning says that a real certificate is issued (and thrown away).
//
// Progress goes to Logger::global() (info: one line per phase, per record and per nameserver
// state change), so -q silences it. SIGINT/SIGTERM (StopOnSignals, installed by the caller)
// stop the run with InterruptedError after the records are removed.
//
// Errors: the dns01::Error of the failing step (config, usage, network, acme, provider,
// propagation, storage, interrupted). Nothing half-written is left: keys and certificates are
// written atomically, and only after the CA issued.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dns01/config.hpp"
#include "dns01/storage.hpp"
#include "dns01/flow/certinfo.hpp"

namespace dns01::flow {

struct IssueOptions {
  std::vector<std::string> domains;  // as given: "example.com", "*.example.com"
  std::string cert_name;             // "" = first domain without "*."
  std::string server;                // directory URL or shortcut (acme::resolve_directory_url)
  std::string ca_bundle;             // extra CA bundle for the ACME server
  std::string key_type = "ec256";
  std::string email;
  bool agree_tos = false;
  std::string eab_kid;
  std::string eab_hmac_key;          // secret; registered with the Redactor by whoever read it
  std::string profile;
  std::string preferred_chain;
  bool reuse_key = false;
  bool dry_run = false;
  bool expand = false;          // may add names to an existing lineage
  bool shrink = false;          // may drop names from an existing lineage
  bool force_renewal = false;   // order even when the lineage holds these names and is not due
  std::vector<std::string> deploy_hooks;  // shell commands, run after a stored issuance
  std::string replaces;                   // ARI CertID of the certificate being renewed
  std::chrono::milliseconds lock_wait{0}; // how long to wait for another run's lineage lock
};

// [acme] of the configuration as IssueOptions (the CLI then overrides what was given).
IssueOptions options_from_config(const Config& config);

// Milliseconds per phase (0 when the phase did not run).
struct PhaseTimings {
  long long setup = 0;         // lock, stale sweep, providers, account
  long long order = 0;         // newOrder + authorizations
  long long present = 0;       // records written
  long long propagation = 0;   // the one wait
  long long validation = 0;    // challenges answered until every authorization is valid
  long long cleanup = 0;
  long long finalize = 0;      // CSR, finalize, download
  long long store = 0;         // files, symlinks, renewal config
  long long hooks = 0;
  long long total = 0;
};

struct IssuedRecord {
  std::string label;           // "*.example.com"
  std::string record_name;
  std::string effective_name;
  std::string zone;
  std::string provider;
};

struct IssueResult {
  std::string status = "issued";  // "issued" | "dry_run" | "not_due" (nothing was ordered)
  std::string reason;             // for not_due: "62 of 90 days left"
  std::string cert_name;
  std::vector<std::string> domains;
  std::string directory_url;
  bool dry_run = false;
  int version = 0;             // archive version; 0 on dry_run (not_due: the current one)
  LineagePaths paths;          // empty on dry_run
  CertInfo certificate;
  std::vector<IssuedRecord> records;
  std::size_t reused_authorizations = 0;
  std::size_t deactivated_authorizations = 0;  // dry_run: valid ones deactivated to redo them
  std::size_t stale_records_removed = 0;
  std::vector<std::string> cleanup_errors;
  std::vector<std::string> hook_errors;
  PhaseTimings timings;
  std::size_t dns_queries = 0; // propagation check packets
  nlohmann::json to_json() const;  // the `--json` result object ("ok": true, ...)
};

// Runs the flow above. `config` provides providers, propagation and storage.
IssueResult issue(const Config& config, const IssueOptions& options);

// The lineage name for a list of domains: the first one without "*.".
std::string default_cert_name(const std::vector<std::string>& domains);

// Normalises and checks the domain list (lower-case, no trailing dot, "*." only as the first
// label, no duplicates, 1..100 names). Throws UsageError naming the bad entry.
std::vector<std::string> normalize_domains(const std::vector<std::string>& domains);

}  // namespace dns01::flow
