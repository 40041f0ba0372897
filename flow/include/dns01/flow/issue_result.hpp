#pragma once
// What one issuance did: the result of issue() and of each lineage of an engine run
// (engine.hpp), and its `--json` object (docs/cli.md). Pure data; to_json() is thread-safe.
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "dns01/flow/certinfo.hpp"
#include "dns01/storage.hpp"

namespace dns01::flow {

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

// What an issuance did; to_string() gives the --json "status" strings.
enum class IssueStatus { issued, dry_run, not_due };  // not_due: nothing was ordered
std::string_view to_string(IssueStatus status) noexcept;

struct IssueResult {
  IssueStatus status = IssueStatus::issued;
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
  std::size_t dns_queries = 0; // propagation check packets (of the run's one shared wait)
  nlohmann::json to_json() const;  // the `--json` result object ("ok": true, ...)
};

}  // namespace dns01::flow
