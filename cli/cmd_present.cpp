// `dns01 present`: lego's exec provider protocol (EXEC_PATH=dns01).
//
//   dns01 present <fqdn.> <value>              default mode
//   dns01 present -- <domain> <token> <keyAuth>  EXEC_MODE=RAW
//
// Publishes the value through the configured providers (hook record files, flow/hookmodes/records.hpp)
// and returns only once every authoritative nameserver serves it, so lego's own check (or
// `--dns.disable-cp`) finds it at once. On failure the record stays for `dns01 cleanup`, which
// lego runs after a failed present too; on SIGINT/SIGTERM it is removed before exiting (130).
#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "dns01/error.hpp"
#include "dns01/flow/hookmodes/records.hpp"
#include "dns01/log.hpp"
#include "dns01/signals.hpp"

namespace dns01::cli {
namespace {

namespace prop = dns01::propagation;

struct PresentArgs {
  std::vector<std::string> args;
  bool no_wait = false;
};

int run_present(const PresentArgs& args, Context& ctx) {
  const auto request = flow::lego_request(args.args, flow::HookClient::lego_exec);
  flow::HookSession session(ctx.config());
  StopOnSignals stop;
  auto record = flow::present_hook_record(session.store, session.providers, session.checker, request);
  if (args.no_wait) return 0;
  prop::CheckResult result;
  try {
    result = flow::wait_hook_records(session.store, session.checker, {record});
  } catch (const InterruptedError&) {
    // lego killed by the same Ctrl-C will not run its cleanup: do it here.
    flow::withdraw_hook_record(session, record);
    throw;
  }
  Logger::global().info("present", "{} served by every authoritative nameserver after {} ms",
                        record.effective_name, result.elapsed.count());
  return 0;
}

}  // namespace

void register_present(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<PresentArgs>();
  auto* cmd = app.add_subcommand(
      "present",
      "lego exec provider: publish a TXT value and wait until every authoritative nameserver "
      "serves it (`present <fqdn.> <value>` or RAW `present -- <domain> <token> <keyAuth>`)");
  cmd->add_option("args", args->args, "<fqdn.> <value>, or after --: <domain> <token> <keyAuth>")
      ->required()
      ->expected(2, 3);
  cmd->add_flag("--no-wait", args->no_wait, "Return once the value is written (no propagation check)");
  // A TXT value starts with '-' once in 64 (base64url): after the record name everything is an
  // argument, never an option, so `present _acme-challenge.x. -Abc...` works (options go first).
  cmd->positionals_at_end();
  cmd->callback([args, &ctx] { ctx.run = [args, &ctx] { return run_present(*args, ctx); }; });
}

}  // namespace dns01::cli
