#pragma once
// `dns01 issue` as one function: the engine (engine.hpp) with one lineage, all on the calling
// thread, its failure thrown instead of recorded.
//
// issue() runs, in this order:
//   0. the lineage: choose_lineage() (issue_lineage.hpp) never lets a run silently add or drop
//      names of an existing lineage. When the chosen lineage already holds exactly these names
//      and is not due for renewal (renewal_due.hpp's rule, or the ARI time saved by `renew`), nothing
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
#include "dns01/flow/engine.hpp"
#include "dns01/flow/issue_options.hpp"
#include "dns01/flow/issue_result.hpp"

namespace dns01::flow {

// Runs the flow above. `config` provides providers, propagation and storage.
IssueResult issue(const Config& config, const IssueOptions& options);
// The same with engine options (`issue --preflight`: engine.preflight) and seams (tests).
IssueResult issue(const Config& config, const IssueOptions& options, const EngineOptions& engine,
                  IssueServices services = {});

}  // namespace dns01::flow
