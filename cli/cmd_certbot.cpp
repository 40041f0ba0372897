// `dns01 certbot-auth` / `dns01 certbot-cleanup`: certbot's manual DNS hooks.
//
//   certbot certonly --manual --preferred-challenges dns --manual-auth-hook 'dns01 certbot-auth'
//     --manual-cleanup-hook 'dns01 certbot-cleanup' -d example.com -d '*.example.com'
//
// certbot runs the auth hook once per challenge (each a new process, sequentially), then answers
// every challenge, then runs the cleanup hook once per challenge. So the auth hook publishes its
// value at once and only the last call (CERTBOT_REMAINING_CHALLENGES=0) waits, for the whole
// batch, before certbot answers. The records live in hook record files (flow/hookmodes/).
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
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
constexpr const char* kComponent = "certbot-hook";
// What the auth hook prints on stdout; certbot hands it to the cleanup as CERTBOT_AUTH_OUTPUT.
constexpr std::string_view kOutputKey = "dns01-hook-record=";

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (!v) return std::nullopt;
  return std::string(v);
}

std::string require_env(const char* name, const char* verb) {
  auto v = env(name);
  if (!v || v->empty())
    throw UsageError(kComponent, fmt::format("read {}", name), "the variable is not set",
                     fmt::format("`dns01 {}` is meant to be run by certbot as --manual-{}-hook "
                                 "with --preferred-challenges dns (see docs/hooks.md)",
                                 verb, std::string_view(verb).substr(8)));
  return *v;
}

// The process that ran us, skipping the shells in between (certbot runs hooks through
// /bin/sh, and a user's wrapper script may add one more): every auth call of one certbot run
// sees the same PID, another certbot run a different one. 0 when /proc cannot tell.
long client_pid() {
  long pid = static_cast<long>(::getppid());
  for (int depth = 0; depth < 8 && pid > 1; ++depth) {
    std::ifstream stat(fmt::format("/proc/{}/stat", pid));
    std::string line;
    if (!std::getline(stat, line)) return 0;
    // "<pid> (<comm>) <state> <ppid> ...": comm may hold spaces or parentheses.
    const auto open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) return 0;
    const std::string comm = line.substr(open + 1, close - open - 1);
    static const std::set<std::string> shells = {"sh", "dash", "bash", "zsh", "ksh", "env"};
    if (!shells.count(comm)) return pid;
    std::istringstream rest(line.substr(close + 1));
    std::string state;
    long ppid = 0;
    rest >> state >> ppid;
    pid = ppid;
  }
  return 0;
}

std::vector<std::string> split_domains(const std::string& list) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(list);
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

void progress_line(const prop::Probe& p) {
  if (p.state == prop::ProbeState::seen)
    Logger::global().info(kComponent, "{}: {} seen after {} ms", p.server.label(), p.name,
                          p.seen_after ? p.seen_after->count() : 0);
  else
    Logger::global().debug(kComponent, "{}: {} {} ({})", p.server.label(), p.name,
                           prop::probe_state_name(p.state), p.detail);
}

int run_auth(Context& ctx) {
  const std::string domain = require_env("CERTBOT_DOMAIN", "certbot-auth");
  const std::string value = require_env("CERTBOT_VALIDATION", "certbot-auth");
  const std::string remaining_text = env("CERTBOT_REMAINING_CHALLENGES").value_or("0");
  long remaining = 0;
  try {
    remaining = std::stol(remaining_text);
  } catch (const std::exception&) {
    throw UsageError(kComponent, "read CERTBOT_REMAINING_CHALLENGES",
                     fmt::format("'{}' is not a number", remaining_text), "run this hook from certbot");
  }
  const auto all_domains = split_domains(env("CERTBOT_ALL_DOMAINS").value_or(domain));

  flow::HookSession session(ctx.config());
  StopOnSignals stop;
  const long owner = client_pid();
  auto record = flow::present_hook_record(
      session.store, session.providers, session.checker,
      {flow::HookClient::certbot, domain, flow::challenge_record_name(domain), value, owner});
  std::printf("%.*s%s\n", static_cast<int>(kOutputKey.size()), kOutputKey.data(), record.id.c_str());
  std::fflush(stdout);
  if (remaining > 0) {
    Logger::global().info(kComponent, "{} more challenge(s) to come: the last one waits for all",
                          remaining);
    return 0;
  }

  const auto batch = flow::certbot_batch(session.store, record, all_domains, owner);
  if (batch.size() < all_domains.size())
    Logger::global().warn(kComponent,
                          "found {} record(s) for the {} challenge(s) of this run: an earlier "
                          "auth hook call must have failed",
                          batch.size(), all_domains.size());
  Logger::global().info(kComponent, "waiting until every authoritative nameserver serves the {} "
                        "record(s) of this run", batch.size());
  prop::CheckResult result;
  try {
    result = flow::wait_hook_records(session.store, session.checker, batch, progress_line);
  } catch (const InterruptedError&) {
    // certbot runs the cleanup hooks on Ctrl-C too; this covers a certbot killed outright.
    for (const auto& r : batch) flow::withdraw_hook_record(session, r);
    throw;
  }
  Logger::global().info(kComponent, "all {} record(s) served after {} ms ({} queries)", batch.size(),
                        result.elapsed.count(), result.packets_sent);
  return 0;
}

std::string id_from_auth_output(const std::string& output) {
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    const auto at = line.find(kOutputKey);
    if (at == std::string::npos) continue;
    std::string id = line.substr(at + kOutputKey.size());
    while (!id.empty() && (id.back() == '\r' || id.back() == ' ')) id.pop_back();
    return id;
  }
  return {};
}

int run_cleanup(Context& ctx) {
  const std::string domain = require_env("CERTBOT_DOMAIN", "certbot-cleanup");
  const std::string value = require_env("CERTBOT_VALIDATION", "certbot-cleanup");
  const std::string id = id_from_auth_output(env("CERTBOT_AUTH_OUTPUT").value_or(""));
  flow::HookSession session(ctx.config());
  flow::remove_hook_record(session.store, session.providers, session.checker,
                           flow::challenge_record_name(domain), value, id);
  return 0;
}

}  // namespace

void register_certbot(CLI::App& app, Context& ctx) {
  auto* auth = app.add_subcommand(
      "certbot-auth",
      "certbot --manual-auth-hook: publish CERTBOT_VALIDATION for CERTBOT_DOMAIN; the last "
      "challenge (CERTBOT_REMAINING_CHALLENGES=0) waits until every authoritative nameserver "
      "serves every record of the run");
  auth->callback([&ctx] { ctx.run = [&ctx] { return run_auth(ctx); }; });
  auto* cleanup = app.add_subcommand(
      "certbot-cleanup",
      "certbot --manual-cleanup-hook: remove exactly the value certbot-auth published "
      "(the apex and wildcard values at one name are removed one by one)");
  cleanup->callback([&ctx] { ctx.run = [&ctx] { return run_cleanup(ctx); }; });
}

}  // namespace dns01::cli
