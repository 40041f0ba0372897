// The failure hook (failure_hook.hpp).
#include "dns01/flow/failure_hook.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "dns01/flow/hooks.hpp"
#include "dns01/flow/run_status.hpp"
#include "dns01/log.hpp"

namespace dns01::flow {

namespace {

// An environment variable is not the place for a page of text; the logs have the rest.
constexpr std::size_t kMaxErrorChars = 1000;

std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  if (text.size() > kMaxErrorChars) text.resize(kMaxErrorChars);
  return text;
}

}  // namespace

std::vector<std::string> failed_lineages(const CertStore& store, std::chrono::system_clock::time_point since) {
  // Status files store milliseconds: compare at that resolution.
  since = std::chrono::floor<std::chrono::milliseconds>(since);
  std::vector<std::string> out;
  for (const auto& s : read_all_status(store))
    if (!s.last_attempt.ok && s.pid == static_cast<long>(::getpid()) && s.last_attempt.started >= since)
      out.push_back(s.name);
  return out;  // read_all_status sorts by name
}

std::map<std::string, std::string> failure_hook_env(const FailedRun& run, const CertStore* store) {
  std::string failed;
  if (store)
    for (const auto& name : failed_lineages(*store, run.started)) failed += (failed.empty() ? "" : " ") + name;
  return {{"DNS01_COMMAND", run.command},
          {"DNS01_EXIT_CODE", std::to_string(run.exit_code)},
          {"DNS01_ERROR_CATEGORY", run.error_category},
          {"DNS01_ERROR", one_line(sanitize_text(Redactor::global().apply(run.error)))},
          {"DNS01_FAILED_LINEAGES", failed}};
}

std::string run_failure_hook(const std::string& command, const FailedRun& run, const CertStore* store) {
  HookRun hook;
  hook.command = command;
  hook.kind = "failure";
  hook.env = failure_hook_env(run, store);
  return run_hook(hook);
}

}  // namespace dns01::flow
