#pragma once
// Running the user's deploy / post hooks (certbot's semantics, so existing hook scripts work):
//  - deploy hook: after each certificate stored; env RENEWED_LINEAGE (live/<name> directory) and
//    RENEWED_DOMAINS (space-separated names);
//  - post hook (renew): once after all renewals were attempted; env RENEWED_DOMAINS and
//    FAILED_DOMAINS (space-separated, may be empty).
// Each command runs through /bin/sh -c with the process environment minus what a hook must not
// see (hook_may_see: DNS01_* variables and any variable holding a secret) plus those variables,
// stdin from /dev/null, stdout/stderr logged line by line (Logger, component "hook"), with a timeout
// (default 10 min: a hung `systemctl reload` must not block renewals forever; it is then killed).
//
// Errors: run_hook never throws for a failing command; it returns a message (empty = success)
// so the caller reports it and keeps going. Thread-safety: one call at a time.
#include <chrono>
#include <map>
#include <string>
#include <string_view>

namespace dns01::flow {

struct HookRun {
  std::string command;
  std::string kind;  // "deploy" | "post" | "pre" (for log lines and messages)
  std::map<std::string, std::string> env;  // added to the process environment
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
};

// Whether a process environment variable is passed to hooks: not DNS01_* (dns01's own settings,
// credentials among them), and not one whose value holds a secret the Redactor knows.
bool hook_may_see(std::string_view name, std::string_view value);

// Runs the hook; "" on exit 0, else "deploy hook 'CMD' exited with 3" (or "was killed after
// 10m", "could not be started: ...").
std::string run_hook(const HookRun& hook);

}  // namespace dns01::flow
