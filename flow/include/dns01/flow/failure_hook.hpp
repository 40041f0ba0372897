#pragma once
// The failure hook (--failure-hook CMD, DNS01_FAILURE_HOOK): a command run once when issue,
// renew or apply exits non-zero, so a failure can notify (mail, chat webhook, pager) through the
// same hook runner as deploy hooks (hooks.hpp: /bin/sh -c, no DNS01_* or secret variables of the
// process, output logged, 10 min timeout). Its environment adds:
//   DNS01_COMMAND          "issue" | "renew" | "apply"
//   DNS01_EXIT_CODE        dns01's exit code ("5")
//   DNS01_ERROR_CATEGORY   "acme", "provider", ... (docs/cli.md; "" when the run reported
//                          per-lineage failures without an error of its own)
//   DNS01_ERROR            the error message, redacted (no secret), one line
//   DNS01_FAILED_LINEAGES  space-separated names whose status file (run_status.hpp) records a
//                          failed attempt by this process since `run_started`
//
// Errors: never throws for the hook itself; a hook that fails or cannot start is a warning (the
// returned message) and never changes dns01's exit code.
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "dns01/storage.hpp"

namespace dns01::flow {

struct FailedRun {
  std::string command;         // the verb
  int exit_code = 0;
  std::string error_category;  // "" when unknown
  std::string error;           // message (redacted here again before it is passed on)
  std::chrono::system_clock::time_point started;  // when this process began the run
};

// Lineages whose last attempt, made by this process at or after `since`, failed (sorted).
std::vector<std::string> failed_lineages(const CertStore& store, std::chrono::system_clock::time_point since);

// The variables above; `store` may be null (the configuration could not be loaded).
std::map<std::string, std::string> failure_hook_env(const FailedRun& run, const CertStore* store);

// Runs `command` with failure_hook_env; "" on success, else the hook runner's message.
std::string run_failure_hook(const std::string& command, const FailedRun& run, const CertStore* store);

}  // namespace dns01::flow
