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
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.hpp"
#include "dns01/config.hpp"
#include "dns01/error.hpp"
#include "dns01/flow/hook_records.hpp"
#include "dns01/flow/records.hpp"
#include "dns01/log.hpp"
#include "dns01/storage.hpp"

namespace dns01::cli {
namespace {

struct CleanupArgs {
  std::vector<std::string> args;
  bool stale = false;
  std::string max_age = "2h";
};

nlohmann::json record_json(const char* source, const std::string& provider, const std::string& zone,
                           const std::string& name, const std::string& value) {
  return {{"source", source}, {"provider", provider}, {"zone", zone}, {"name", name}, {"value", value}};
}

int run_stale(const CleanupArgs& args, Context& ctx) {
  std::chrono::milliseconds max_age{};
  try {
    max_age = parse_duration(args.max_age);
  } catch (const std::invalid_argument& e) {
    throw UsageError("cleanup", "read --max-age", e.what(),
                     "durations look like 2h, 90m or a number of seconds");
  }
  const Config& config = ctx.config();
  auto providers = plugins::ProviderSet::load(config.providers);
  const auto journal_dir = CertStore(config.storage.dir).journal_dir();
  auto& log = Logger::global();

  nlohmann::json removed = nlohmann::json::array();
  std::vector<std::string> errors;
  std::size_t journals = 0;
  std::error_code ec;
  if (std::filesystem::is_directory(journal_dir, ec)) {
    auto sweep = flow::clean_stale_records(journal_dir, providers);
    journals = sweep.journals;
    for (const auto& r : sweep.removed)
      removed.push_back(record_json("journal", r.provider, r.zone, r.name, r.value));
    errors.insert(errors.end(), sweep.errors.begin(), sweep.errors.end());
  }
  flow::HookRecordStore store(flow::hook_records_dir(journal_dir));
  auto hooks = flow::sweep_hook_records(store, providers, max_age);
  for (const auto& r : hooks.removed)
    removed.push_back(record_json("hook", r.provider, r.zone, r.effective_name, r.value));
  errors.insert(errors.end(), hooks.errors.begin(), hooks.errors.end());

  log.info("cleanup", "{} stale journal(s), {} hook record(s) older than {}: {} record(s) removed, "
           "{} could not be",
           journals, hooks.found, format_duration(max_age), removed.size(), errors.size());
  for (const auto& e : errors) log.error("cleanup", "{}", e);
  if (ctx.global.json) {
    nlohmann::json j = {{"ok", errors.empty()},  {"journals", journals},
                        {"hook_records", hooks.found}, {"removed", removed},
                        {"errors", errors}};
    std::puts(j.dump().c_str());
  }
  if (!errors.empty()) {
    log.error("cleanup", "hint: the records above stay on file; fix the provider (credentials, "
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
  const auto request = flow::lego_request(args.args, "lego-exec");
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
