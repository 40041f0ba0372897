// `dns01 cleanup`: remove records.
//
//   dns01 cleanup <fqdn.> <value>                 lego exec provider (default mode)
//   dns01 cleanup -- <domain> <token> <keyAuth>   lego exec provider, EXEC_MODE=RAW
//   dns01 cleanup --stale [--max-age 2h]           records of runs that never cleaned up:
//       the run journals whose run is gone (flow::clean_stale_records) and hook records
//       (certbot/lego) older than --max-age. Exit 6 when some record could not be removed.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.hpp"
#include "dns01/config.hpp"
#include "dns01/error.hpp"
#include "dns01/flow/cleanup.hpp"
#include "dns01/flow/hookmodes/records.hpp"
#include "dns01/log.hpp"

namespace dns01::cli {
namespace {

struct CleanupArgs {
  std::vector<std::string> args;
  bool stale = false;
  std::string max_age = "2h";
};

int run_stale(const CleanupArgs& args, Context& ctx) {
  std::chrono::milliseconds max_age{};
  try {
    max_age = parse_duration(args.max_age);
  } catch (const std::invalid_argument& e) {
    throw UsageError("cleanup", "read --max-age", e.what(),
                     "durations look like 2h, 90m or a number of seconds");
  }
  const flow::CleanupReport report = flow::cleanup_stale(ctx.config(), max_age);
  if (ctx.global.json) {
    nlohmann::json removed = nlohmann::json::array();
    for (const auto& r : report.removed)
      removed.push_back({{"source", flow::source_name(r.source)}, {"provider", r.provider}, {"zone", r.zone},
                         {"name", r.name}, {"value", r.value}});
    nlohmann::json j = {{"ok", report.ok()},  {"journals", report.journals},
                        {"hook_records", report.hook_records}, {"removed", removed},
                        {"errors", report.errors}};
    std::puts(j.dump().c_str());
  }
  if (!report.ok()) {
    Logger::global().error("cleanup", "hint: the records above stay on file; fix the provider (credentials, "
                           "reachability) and run `dns01 cleanup --stale` again");
    return exit_code(ErrorCategory::provider);
  }
  return 0;
}

int run_cleanup(const CleanupArgs& args, Context& ctx) {
  if (args.stale) {
    if (!args.args.empty())
      throw UsageError("cleanup", "read the arguments", "--stale takes no record arguments",
                       "use `dns01 cleanup --stale` or `dns01 cleanup <fqdn.> <value>`");
    return run_stale(args, ctx);
  }
  if (args.args.empty())
    throw UsageError("cleanup", "read the arguments", "nothing to clean up",
                     "use `dns01 cleanup --stale`, or lego's `cleanup <fqdn.> <value>` / "
                     "`cleanup -- <domain> <token> <keyAuth>`");
  const auto request = flow::lego_request(args.args, flow::HookClient::lego_exec);
  flow::HookSession session(ctx.config());
  flow::remove_hook_record(session.store, session.providers, session.checker, request.record_name,
                           request.value);
  return 0;
}

}  // namespace

void register_cleanup(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<CleanupArgs>();
  auto* cmd = app.add_subcommand(
      "cleanup",
      "Remove records: `--stale` for those of killed runs and old hook records, or (lego exec "
      "provider) `cleanup <fqdn.> <value>` / RAW `cleanup -- <domain> <token> <keyAuth>`");
  cmd->add_option("args", args->args, "<fqdn.> <value>, or after --: <domain> <token> <keyAuth>")
      ->expected(2, 3);
  cmd->add_flag("--stale", args->stale,
                "Remove the records of runs that are gone (their journals) and hook records older "
                "than --max-age");
  cmd->add_option("--max-age", args->max_age,
                  "With --stale: age from which certbot/lego hook records count as abandoned "
                  "(default 2h)");
  // As for `present`: a value starting with '-' is an argument, not an option.
  cmd->positionals_at_end();
  cmd->callback([args, &ctx] { ctx.run = [args, &ctx] { return run_cleanup(*args, ctx); }; });
}

}  // namespace dns01::cli
