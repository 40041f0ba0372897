// `dns01 renew`: renew every lineage that is due (ARI window, or a third of the lifetime left),
// one summary line per lineage on stdout, or one JSON object with --json.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "dns01/flow/renew.hpp"
#include "dns01/log.hpp"
#include "dns01/signals.hpp"

namespace dns01::cli {
namespace {

std::string line_for(const flow::LineageOutcome& o) {
  if (o.status == "renewed") return fmt::format("{}: renewed ({})", o.cert_name, o.reason);
  if (o.status == "dry_run") return fmt::format("{}: dry run OK ({})", o.cert_name, o.reason);
  if (o.status == "not_due") return fmt::format("{}: not due ({})", o.cert_name, o.reason);
  const std::string message = o.error.is_object() ? o.error.value("message", "") : std::string();
  return fmt::format("{}: failed: {}", o.cert_name, message);
}

int run_renew(const flow::RenewOptions& options, Context& ctx) {
  const Config& config = ctx.config();
  // Ctrl-C / SIGTERM: the running issuance removes its records, the rest is skipped, post
  // hooks still run, exit 130.
  StopOnSignals stop;
  const flow::RenewSummary summary = flow::renew(config, options);
  if (ctx.global.json) {
    std::puts(summary.to_json().dump().c_str());
  } else if (summary.certificates.empty()) {
    std::puts("no certificates to renew");
  } else {
    for (const auto& o : summary.certificates)
      std::puts(Redactor::global().apply(line_for(o)).c_str());
  }
  std::fflush(stdout);
  for (const auto& o : summary.certificates)
    if (o.status == "failed" && o.error.is_object() && !o.error.value("hint", "").empty())
      std::fputs(Redactor::global().apply(fmt::format("dns01: hint: {}: {}\n", o.cert_name,
                                                      o.error.value("hint", ""))).c_str(), stderr);
  return summary.exit_code();
}

}  // namespace

void register_renew(CLI::App& app, Context& ctx) {
  auto options = std::make_shared<flow::RenewOptions>();
  auto* cmd = app.add_subcommand(
      "renew",
      "Renew the certificates that are due (the CA's ARI window, else a third of the lifetime "
      "left); exit code of the first failure, 0 when nothing failed");
  cmd->add_option("--cert-name", options->cert_name, "Only this certificate (lineage name)");
  cmd->add_flag("--force", options->force, "Renew even when not due");
  cmd->add_flag("--dry-run", options->dry_run,
                "Renew every selected certificate against the CA (staging twin of a shortcut) "
                "without storing anything; deploy hooks are not run");
  cmd->add_flag("--random-sleep", options->random_sleep,
                "Wait a random 1..480 s before contacting the CA (for timers on many machines)");
  cmd->add_option("--deploy-hook", options->deploy_hooks,
                  "Shell command after each renewed certificate (RENEWED_LINEAGE, RENEWED_DOMAINS); "
                  "added to the certificate's own deploy hooks; repeatable")
      ->allow_extra_args(false);
  cmd->add_option("--pre-hook", options->pre_hooks,
                  "Shell command once before the first renewal; repeatable")
      ->allow_extra_args(false);
  cmd->add_option("--post-hook", options->post_hooks,
                  "Shell command once after all renewals were attempted (RENEWED_DOMAINS, "
                  "FAILED_DOMAINS); repeatable")
      ->allow_extra_args(false);
  cmd->callback([options, &ctx] { ctx.run = [options, &ctx] { return run_renew(*options, ctx); }; });
}

}  // namespace dns01::cli
