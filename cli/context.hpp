#pragma once
// What every subcommand gets: the global options and the configuration, loaded once on first
// use (so `dns01 --version` or `dns01 check --nameserver ...` work without any config file).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "dns01/config.hpp"
#include "dns01/error.hpp"

namespace dns01::cli {

struct GlobalOptions {
  std::optional<std::filesystem::path> config;  // --config (default: $DNS01_CONFIG, ...)
  bool json = false;                            // --json: one result object on stdout
  int verbose = 0;                              // -v (debug), -vv (trace)
  bool quiet = false;                           // -q: warnings and errors only
  std::string log_format;                       // --log-format text|json
  bool allow_insecure_secret_files = false;
  bool syslog_prefix = false;                   // --syslog-prefix (automatic under journald)
  // --metrics-file / $DNS01_METRICS_FILE: the Prometheus textfile-collector file written when
  // issue, renew, apply or certificates finish (docs/monitoring.md).
  std::optional<std::filesystem::path> metrics_file;
  // --failure-hook / $DNS01_FAILURE_HOOK: a command run when issue, renew or apply fail.
  std::string failure_hook;
};

class Context {
 public:
  GlobalOptions global;

  // Loads, validates and caches the configuration; applies [log] unless -v/-q/--log-format
  // said otherwise. Throws ConfigError.
  const Config& config();

  // The subcommand's work, set by its callback and run by main after parsing, so exceptions
  // from it reach main's single error mapping. Returns the exit code.
  std::function<int()> run;

  // The configuration if config() has loaded it, else null (never loads).
  const Config* loaded_config() const { return config_ ? &*config_ : nullptr; }

 private:
  std::optional<Config> config_;
};

// What main knows when a subcommand has finished (successfully or not).
struct FinishedRun {
  std::string verb;           // the subcommand ("issue"); "" when none ran
  int exit_code = 0;
  const Error* error = nullptr;  // the error main reported, if any
  std::chrono::system_clock::time_point started;
};

// The work every verb gets after it ran, whatever its outcome: the metrics file (issue, renew,
// apply, certificates) and the failure hook (issue, renew, apply with a non-zero exit). Their
// own problems are warnings: they never change the exit code. Never throws.
void after_run(Context& ctx, const FinishedRun& run);

// Prints the error on stderr ("dns01: error: ..." and "dns01: hint: ..."), redacted.
void print_error(const Error& e);

// Applies -v/-q/--log-format to Logger::global() (called once after parsing).
void apply_log_options(const GlobalOptions& global, const LogSettings* from_config);

}  // namespace dns01::cli
