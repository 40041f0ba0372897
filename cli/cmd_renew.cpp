// `dns01 renew`: renew every lineage that is due (ARI window, or a third of the lifetime left),
// one summary line per lineage on stdout, or one JSON object with --json.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "dns01/error.hpp"
#include "propagation_options.hpp"
#include "dns01/flow/renew.hpp"
#include "dns01/log.hpp"
#include "dns01/signals.hpp"

namespace dns01::cli {
namespace {

std::string line_for(const flow::LineageOutcome& o) {
  if (o.status == flow::RenewStatus::renewed) return fmt::format("{}: renewed ({})", o.cert_name, o.reason);
  if (o.status == flow::RenewStatus::dry_run) return fmt::format("{}: dry run OK ({})", o.cert_name, o.reason);
  if (o.status == flow::RenewStatus::not_due) return fmt::format("{}: not due ({})", o.cert_name, o.reason);
  const std::string message = o.error.is_object() ? o.error.value("message", "") : std::string();
  return fmt::format("{}: failed: {}", o.cert_name, message);
}

struct RenewArgs {
  flow::RenewOptions options;
  bool no_preflight = false;
  PropagationArgs propagation;
};

int run_renew(RenewArgs& args, Context& ctx) {
  args.options.preflight = !args.no_preflight;
  const flow::RenewOptions& options = args.options;
  if (options.days && *options.days < 0)
    throw UsageError("renew", "read --days", fmt::format("{} is negative", *options.days),
                     "give the number of days before expiry from which to renew, e.g. --days 30");
  const Config config = with_propagation(ctx.config(), args.propagation, "renew");
  // Ctrl-C / SIGTERM: the running issuance removes its records, the rest is skipped, post
  // hooks still run, exit 130.
  StopOnSignals stop;
  const flow::RenewSummary summary = flow::renew(config, options);
  if (ctx.global.json) {
    std::puts(summary.to_json().dump().c_str());
  } else if (summary.certificates.empty()) {
    if (!ctx.global.quiet) std::puts("no certificates to renew");
  } else {
    // -q (cron): print only what changed or failed, so a run that did nothing mails nothing.
    for (const auto& o : summary.certificates)
      if (!ctx.global.quiet || o.status == flow::RenewStatus::renewed || o.status == flow::RenewStatus::failed)
        std::puts(Redactor::global().apply(line_for(o)).c_str());
  }
  std::fflush(stdout);
  for (const auto& o : summary.certificates)
    if (o.status == flow::RenewStatus::failed && o.error.is_object() && !o.error.value("hint", "").empty())
      std::fputs(Redactor::global().apply(fmt::format("dns01: hint: {}: {}\n", o.cert_name,
                                                      o.error.value("hint", ""))).c_str(), stderr);
  return summary.exit_code();
}

}  // namespace

void register_renew(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<RenewArgs>();
  flow::RenewOptions* options = &args->options;
  auto* cmd = app.add_subcommand(
      "renew",
      "Renew the certificates that are due (the CA's ARI window, else a third of the lifetime "
      "left); exit code of the first failure, 0 when nothing failed");
  cmd->add_option("--cert-name", options->cert_name, "Only this certificate (lineage name)");
  cmd->add_flag("--force,--force-renewal", options->force, "Renew even when not due");
  cmd->add_option("--days", options->days,
                  "Renew when fewer than this many days are left, instead of the CA's ARI window or "
                  "a third of the lifetime (certbot's renew_before_expiry)");
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
  cmd->add_flag("--no-preflight", args->no_preflight,
                "Skip the pre-flight (a canary record per provider instance, every nameserver "
                "reachable) that runs before the orders when more than one certificate is due");
  cmd->add_option("--concurrency", options->concurrency,
                  "Orders, validations and finalizations in flight when several are due (default 8)")
      ->check(CLI::Range(1, 64));
  add_propagation_options(cmd, args->propagation);
  cmd->callback([args, &ctx] { ctx.run = [args, &ctx] { return run_renew(*args, ctx); }; });
}

}  // namespace dns01::cli
