// dns01 entry point: builds the CLI11 app from the cmd_<verb>.cpp files, and holds the one
// try/catch that maps error categories to the documented exit codes (docs/cli.md). After the
// verb, whatever its outcome, after_run writes the metrics file and runs the failure hook.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "command_name.hpp"
#include "commands.hpp"
#include "context.hpp"
#include "dns01/error.hpp"
#include "dns01/json.hpp"
#include "dns01/log.hpp"
#include "dns01/version.hpp"

namespace {

constexpr const char* kExitCodes =
    "Exit codes:\n"
    "  0    success\n"
    "  1    internal error (a bug: please report it)\n"
    "  2    usage error (wrong command-line options)\n"
    "  3    configuration error (dns01.toml, environment, secret files)\n"
    "  4    network error (a server could not be reached)\n"
    "  5    ACME error (the CA refused or failed)\n"
    "  6    DNS provider error (a record could not be added or removed)\n"
    "  7    propagation error (not every authoritative server served the records in time)\n"
    "  8    storage error (certificates, keys, journal, lock)\n"
    "  130  interrupted (SIGINT/SIGTERM; records dns01 had created were removed first)\n";

void report(const dns01::Error& e, bool json) {
  // Machines get the error as JSON on stdout too, so CI jobs can parse one object.
  if (json) std::puts(nlohmann::json{{"ok", false}, {"error", dns01::json::error_json(e)}}.dump().c_str());
  dns01::cli::print_error(e);
}

}  // namespace

int main(int argc, char** argv) {
  dns01::cli::Context ctx;
  CLI::App app{"dns01 — ACME DNS-01 certificates with provider plugins and a propagation check "
               "that asks every authoritative nameserver.",
               "dns01"};
  app.footer(kExitCodes);
  app.set_version_flag("--version", std::string("dns01 ") + dns01::kVersion);
  app.require_subcommand(1);
  // Subcommands created below inherit this: global options work after the verb too
  // (`dns01 issue --config F ...`, `dns01 config check --json`).
  app.fallthrough();
  auto& g = ctx.global;
  app.add_option("--config", g.config,
                 "Configuration file (default: $DNS01_CONFIG, ./dns01.toml, /etc/dns01/dns01.toml)");
  app.add_flag("--json", g.json, "Print one JSON result object on stdout (for CI)");
  app.add_flag("-v,--verbose", g.verbose, "More output on stderr (-v debug, -vv trace)");
  app.add_flag("-q,--quiet", g.quiet, "Only warnings and errors on stderr");
  app.add_option("--log-format", g.log_format, "Log line format on stderr")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--allow-insecure-secret-files", g.allow_insecure_secret_files,
               "Accept secret files readable by group or others (not recommended)");
  app.add_flag("--syslog-prefix", g.syslog_prefix,
               "Start stderr lines with a syslog priority (<3> error .. <7> debug) for journald; "
               "automatic when stderr is the journal ($JOURNAL_STREAM)");
  app.add_option("--metrics-file", g.metrics_file,
                 "Write the Prometheus textfile-collector file PATH when issue, renew, apply or "
                 "certificates finish, also after a failure (docs/monitoring.md)")
      ->type_name("PATH")
      ->envname("DNS01_METRICS_FILE");
  app.add_option("--failure-hook", g.failure_hook,
                 "Shell command run when issue, renew or apply fail; gets DNS01_COMMAND, "
                 "DNS01_EXIT_CODE, DNS01_ERROR_CATEGORY, DNS01_ERROR, DNS01_FAILED_LINEAGES")
      ->type_name("CMD")
      ->envname("DNS01_FAILURE_HOOK");

  dns01::cli::register_config(app, ctx);
  dns01::cli::register_check(app, ctx);
  dns01::cli::register_providers(app, ctx);
  dns01::cli::register_issue(app, ctx);
  dns01::cli::register_renew(app, ctx);
  dns01::cli::register_apply(app, ctx);
  dns01::cli::register_revoke(app, ctx);
  dns01::cli::register_certificates(app, ctx);
  dns01::cli::register_delete(app, ctx);
  dns01::cli::register_account(app, ctx);
  dns01::cli::register_import(app, ctx);
  dns01::cli::register_cleanup(app, ctx);
  dns01::cli::register_present(app, ctx);
  dns01::cli::register_certbot(app, ctx);
  dns01::cli::register_serve_httpreq(app, ctx);
  dns01::cli::register_completion(app, ctx);  // hidden: `dns01 completion bash|zsh`

  const auto started = std::chrono::system_clock::now();
  dns01::cli::FinishedRun finished;
  finished.started = started;
  std::optional<dns01::Error> failure;
  try {
    try {
      // An unknown verb gets "unknown command 'isue' (did you mean 'issue'?)", `help [verb]`
      // means `[verb] --help` (command_name.hpp). CLI11 takes the arguments reversed.
      auto args = dns01::cli::check_command_name(app, std::vector<std::string>(argv + 1, argv + argc));
      std::reverse(args.begin(), args.end());
      app.parse(args);
    } catch (const CLI::ParseError& e) {
      // --help and --version are "errors" with exit code 0 in CLI11.
      int code = app.exit(e);
      return code == 0 ? 0 : dns01::exit_code(dns01::ErrorCategory::usage);
    }
    dns01::cli::apply_log_options(g, nullptr);
    if (auto selected = app.get_subcommands(); !selected.empty()) finished.verb = selected.front()->get_name();
    finished.exit_code = ctx.run ? ctx.run() : 0;
  } catch (const dns01::Error& e) {
    report(e, g.json);
    failure = e;
    finished.exit_code = dns01::exit_code(e.category());
  } catch (const std::exception& e) {
    failure = dns01::Error(dns01::ErrorCategory::internal, "dns01", "unexpected failure", e.what(),
                           "this is a bug; please report it with -vv output");
    report(*failure, g.json);
    finished.exit_code = dns01::exit_code(dns01::ErrorCategory::internal);
  }
  finished.error = failure ? &*failure : nullptr;
  dns01::cli::after_run(ctx, finished);
  return finished.exit_code;
}
