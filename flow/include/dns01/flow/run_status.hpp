#pragma once
// What the last run did per lineage: <storage>/status/<name>.json, one small JSON file per
// lineage, replaced atomically after each attempt (issue, renew, apply). The metrics file
// (metrics.hpp), `dns01 certificates --check` and the failure hook (failure_hook.hpp) read it;
// nothing in the issuance depends on it.
//
// File shape (docs/monitoring.md):
//   {"cert_name": "web", "last_attempt": {"started": RFC 3339, "finished": RFC 3339, "ok": bool,
//    "error_category": "acme" | "" , "error": redacted message, "phases_ms": {"order": 812, ...},
//    "propagation_seconds": 2.1, "pid": 4711}, "last_success": RFC 3339 | null}
// last_success survives failed attempts (it is carried over from the previous file).
//
// Errors: record_attempt throws StorageError when the file cannot be written (the caller logs
// it as a warning: a status file must never fail an issuance). read_status never throws for a
// missing or damaged file (nullopt). Thread-safety: callers hold the lineage lock, so one
// writer per file; readers see the old or the new file, never a torn one.
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dns01/storage.hpp"

namespace dns01::flow {

struct PhaseTimings;  // issue.hpp

// One phase of an attempt: "order", "present", "propagation", "validation", ... and its time.
struct PhaseDuration {
  std::string phase;
  long long ms = 0;
};

struct LineageAttempt {
  std::string name;  // lineage (cert name)
  std::chrono::system_clock::time_point started, finished;
  bool ok = false;
  std::string error_category;  // category_name() of the error; "" when ok
  std::string error;           // the error message; redacted (Redactor) before it is stored
  std::vector<PhaseDuration> phases;  // phases that ran (ms > 0 or explicitly listed)
  double propagation_seconds = 0;     // the one propagation wait (0 when none ran)
};

// The phases of an issuance's timings, in flow order, without "total" and phases that did not
// run (0 ms). For LineageAttempt::phases.
std::vector<PhaseDuration> phase_durations(const PhaseTimings& timings);

struct LineageStatus {
  std::string name;
  LineageAttempt last_attempt;
  long pid = 0;  // process that made the last attempt
  std::optional<std::chrono::system_clock::time_point> last_success;
};

std::filesystem::path status_file(const CertStore& store, const std::string& name);

// Writes <storage>/status/<name>.json for `attempt` (atomically, mode 0600, directory 0700),
// keeping last_success from the previous file when this attempt failed. Throws StorageError.
void record_attempt(const CertStore& store, const LineageAttempt& attempt);

// The lineage's status file, or nullopt when there is none or it cannot be read.
std::optional<LineageStatus> read_status(const CertStore& store, const std::string& name);

// Every readable status file (sorted by name), including lineages that no longer exist.
std::vector<LineageStatus> read_all_status(const CertStore& store);

}  // namespace dns01::flow
