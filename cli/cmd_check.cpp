// `dns01 check`: wait until every authoritative nameserver serves the given TXT value(s), with
// live progress per server on stderr and one JSON result object with --json.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.hpp"
#include "propagation_options.hpp"
#include "dns01/error.hpp"
#include "dns01/json.hpp"
#include "dns01/log.hpp"
#include "dns01/signals.hpp"
#include "dns01/propagation/propagation.hpp"

namespace dns01::cli {
namespace {

namespace prop = dns01::propagation;

struct CheckArgs {
  std::vector<std::string> records;  // "NAME VALUE" or "NAME=VALUE..."
  std::optional<std::string> timeout;
  std::vector<std::string> nameservers;
  std::vector<std::string> resolvers;
  std::optional<std::uint16_t> port;
  bool require_recursive = false;
  std::optional<std::string> extra_wait;
};

std::vector<prop::Expectation> parse_records(const std::vector<std::string>& args) {
  std::vector<prop::Expectation> out;
  if (args.size() == 2 && args[0].find('=') == std::string::npos) {
    out.push_back({args[0], args[1]});
    return out;
  }
  for (const auto& a : args) {
    auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError("check", "read the records",
                       fmt::format("'{}' is neither NAME VALUE nor NAME=VALUE", a),
                       "use `dns01 check NAME VALUE` or `dns01 check NAME=VALUE [NAME=VALUE...]`");
    out.push_back({a.substr(0, eq), a.substr(eq + 1)});
  }
  return out;
}

std::chrono::milliseconds duration_option(const std::string& text, const char* option) {
  try {
    return parse_duration(text);
  } catch (const std::invalid_argument& e) {
    throw UsageError("check", fmt::format("read {}", option), e.what(),
                     "durations look like 90s, 2m, 500ms or a number of seconds");
  }
}

PropagationSettings settings_from(const CheckArgs& args, Context& ctx) {
  PropagationSettings s = ctx.config().propagation;  // defaults when there is no config file
  if (args.port) s.port = *args.port;
  if (args.timeout) s.timeout = duration_option(*args.timeout, "--timeout");
  if (args.extra_wait) s.extra_wait = duration_option(*args.extra_wait, "--extra-wait");
  if (!args.nameservers.empty()) s.nameservers = parse_endpoints(args.nameservers, s.port, "--nameserver", "check");
  if (!args.resolvers.empty()) s.resolvers = parse_endpoints(args.resolvers, 53, "--resolver", "check");
  if (args.require_recursive) s.require_recursive = true;
  return s;
}

nlohmann::json to_json(const prop::CheckResult& r, const std::vector<prop::Expectation>& records) {
  nlohmann::json j;
  j["ok"] = r.ok;
  j["elapsed_ms"] = r.elapsed.count();
  j["queries"] = r.packets_sent;
  j["records"] = nlohmann::json::array();
  for (const auto& e : records) j["records"].push_back({{"name", e.name}, {"value", e.value}});
  j["targets"] = nlohmann::json::array();
  for (const auto& t : r.targets)
    j["targets"].push_back({{"name", t.name},
                            {"effective_name", t.effective_name},
                            {"cname_chain", t.cname_chain},
                            {"zone", t.zone}});
  j["servers"] = nlohmann::json::array();
  for (const auto& p : r.probes) {
    nlohmann::json s = {{"server", p.server.label()},
                        {"ns_name", p.server.ns_name},
                        {"address", p.server.address.str()},
                        {"recursive", p.recursive},
                        {"name", p.name},
                        {"zone", p.zone},
                        {"state", prop::probe_state_name(p.state)},
                        {"detail", p.detail},
                        {"rcode", p.rcode ? nlohmann::json(prop::rcode_name(*p.rcode)) : nlohmann::json()},
                        {"rtt_ms", static_cast<double>(p.rtt.count()) / 1000.0},
                        {"tcp", p.tcp},
                        {"queries", p.queries},
                        {"seen_after_ms", p.seen_after ? nlohmann::json(p.seen_after->count())
                                                       : nlohmann::json()}};
    j["servers"].push_back(std::move(s));
  }
  return j;
}

int run_check(const CheckArgs& args, Context& ctx) {
  const auto records = parse_records(args.records);
  const PropagationSettings settings = settings_from(args, ctx);
  prop::Checker checker(settings);
  // Ctrl-C / SIGTERM ends the wait cleanly (exit 130) instead of killing mid-output: the Checker
  // stops on stop_requested() by default.
  StopOnSignals stop;
  auto& log = Logger::global();
  auto result = checker.check(records, [&](const prop::Probe& p) {
    log.info("check", "{}", prop::describe_probe(p));
  });
  if (result.ok) {
    log.info("check", "every server serves the value{} after {} ms ({} queries)",
             records.size() > 1 ? "s" : "", result.elapsed.count(), result.packets_sent);
    if (ctx.global.json) std::puts(to_json(result, records).dump().c_str());
    return 0;
  }
  auto error = prop::failure_error(result, settings.timeout);
  if (!ctx.global.json) throw error;
  // One object on stdout holding both the per-server result and the error.
  auto j = to_json(result, records);
  j["error"] = json::error_json(error);
  std::puts(j.dump().c_str());
  print_error(error);
  return exit_code(error.category());
}

}  // namespace

void register_check(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<CheckArgs>();
  auto* cmd = app.add_subcommand(
      "check",
      "Wait until every authoritative nameserver serves the TXT value(s); exit 7 naming each "
      "server that did not in time");
  cmd->add_option("records", args->records,
                  "NAME VALUE, or NAME=VALUE pairs (several names, one wait); NAME is the record "
                  "name, e.g. _acme-challenge.example.com")
      ->required()
      ->expected(1, -1);
  cmd->add_option("--timeout", args->timeout, "Give up after this long (default 300s or [propagation] timeout)");
  cmd->add_option("--nameserver", args->nameservers,
                  "Check exactly these servers (IP[:port], repeatable) instead of the zone's NS set "
                  "(split horizon, testbeds)");
  cmd->add_option("--resolver", args->resolvers,
                  "Bootstrap resolver for CNAME/zone/NS discovery (IP[:port], repeatable; default: "
                  "--nameserver servers, else /etc/resolv.conf)");
  cmd->add_option("--port", args->port, "Port of the discovered nameservers (default 53)");
  cmd->add_flag("--require-recursive", args->require_recursive,
                "Also wait until the resolvers return the values");
  cmd->add_option("--extra-wait", args->extra_wait, "Fixed wait after success (opt-in policy)");
  cmd->callback([args, &ctx] { ctx.run = [args, &ctx] { return run_check(*args, ctx); }; });
}

}  // namespace dns01::cli
