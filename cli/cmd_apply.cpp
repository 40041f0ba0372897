// `dns01 apply FILE`: make storage match a certificate set (docs/apply.md) in one engine run:
// issue what is missing, renew what is due, expand or re-issue what changed, leave the rest.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "dns01/flow/certificate_set.hpp"
#include "dns01/flow/engine.hpp"
#include "dns01/flow/issue_lineage.hpp"
#include "dns01/log.hpp"
#include "dns01/signals.hpp"
#include "propagation_options.hpp"

namespace dns01::cli {
namespace {

struct ApplyArgs {
  std::string file;
  bool dry_run = false, no_preflight = false, allow_shrink = false;
  std::size_t concurrency = 8;
  PropagationArgs propagation;
};

// What the run will do to a lineage, said before it runs ("" when the engine's own reason is
// better: not due, or due).
std::string plan_for(const CertStore& store, const flow::IssueOptions& o) {
  try {
    const flow::LineageChoice c = flow::choose_lineage(store, o.domains, o.cert_name, o.expand, o.shrink);
    if (!c.exists) return "not in storage";
    if (!c.added.empty() && !c.dropped.empty())
      return fmt::format("adds {}, drops {}", fmt::join(c.added, ", "), fmt::join(c.dropped, ", "));
    if (!c.added.empty()) return fmt::format("adds {}", fmt::join(c.added, ", "));
    if (!c.dropped.empty()) return fmt::format("drops {}", fmt::join(c.dropped, ", "));
  } catch (const Error&) {
    // The engine reports it as the lineage's error.
  }
  return "";
}

// The status word of a lineage in the summary and --json.
std::string status_of(const flow::LineageRun& l, const std::string& plan) {
  if (!l.ok()) return "failed";
  if (l.result->status == flow::IssueStatus::not_due) return "not_due";
  if (l.result->status == flow::IssueStatus::dry_run) return "dry_run";
  return plan == "not in storage" ? "issued" : "renewed";
}

std::string reason_of(const flow::LineageRun& l, const std::string& plan) {
  if (!l.ok()) return "";
  if (l.result->status == flow::IssueStatus::not_due) return l.result->reason;
  return plan.empty() ? "due, or its key type or CA changed" : plan;
}

int run_apply(const ApplyArgs& a, Context& ctx) {
  if (a.concurrency < 1 || a.concurrency > 64)
    throw UsageError("apply", "read --concurrency", fmt::format("{} is out of range", a.concurrency),
                     "give 1..64 orders in flight (default 8)");
  const Config config = with_propagation(ctx.config(), a.propagation, "apply");
  const flow::CertificateSet set = flow::load_certificate_set(config, a.file);
  const CertStore store(config.storage.dir);
  std::vector<flow::IssueOptions> requests;
  std::vector<std::string> plans;
  for (const auto& spec : set.certificates) {
    flow::IssueOptions o = spec.options;
    o.domains = spec.domains;
    o.cert_name = spec.name;
    o.expand = true;                    // the file is the wish: names it adds are wanted
    o.shrink = o.shrink || a.allow_shrink;  // dropping names must be asked for
    o.dry_run = a.dry_run;
    plans.push_back(plan_for(store, o));
    requests.push_back(std::move(o));
  }
  flow::EngineOptions engine;
  engine.concurrency = a.concurrency;
  engine.preflight = !a.no_preflight;
  engine.announce = false;
  StopOnSignals stop;  // Ctrl-C: records removed, unfinished lineages fail as interrupted (130)
  const flow::EngineRun run = flow::run_engine(config, requests, engine);

  nlohmann::json list = nlohmann::json::array();
  for (std::size_t i = 0; i < run.lineages.size(); ++i) {
    const auto& l = run.lineages[i];
    const std::string status = status_of(l, plans[i]);
    const std::string reason = reason_of(l, plans[i]);
    list.push_back({{"name", set.certificates[i].name},
                    {"source", set.certificates[i].source},
                    {"status", status},
                    {"reason", reason},
                    {"domains", l.domains},
                    {"result", l.result ? l.result->to_json() : nlohmann::json()},
                    {"error", l.error_json}});
    const std::string line = l.ok() ? fmt::format("{}: {}{}", l.cert_name, status, reason.empty() ? "" : " (" + reason + ")")
                                    : fmt::format("{}: failed: {}", l.cert_name, l.error_json.value("message", ""));
    if (!ctx.global.json && (!ctx.global.quiet || status != "not_due"))
      std::puts(Redactor::global().apply(line).c_str());
  }
  if (ctx.global.json) {
    nlohmann::json j = {{"ok", run.ok()},
                        {"file", set.file.string()},
                        {"dry_run", a.dry_run},
                        {"certificates", std::move(list)},
                        {"preflight", run.preflight ? run.preflight->to_json() : nlohmann::json()},
                        {"orders", run.orders},
                        {"dns_queries", run.dns_queries},
                        {"timings", run.timings.to_json()}};
    for (const auto& l : run.lineages)
      if (!l.ok()) {
        j["error"] = l.error_json;
        break;
      }
    std::puts(Redactor::global().apply(j.dump()).c_str());
  } else if (set.certificates.empty() && !ctx.global.quiet) {
    std::puts("the file declares no certificates");
  }
  std::fflush(stdout);
  for (const auto& l : run.lineages)
    if (!l.ok() && !l.error_json.value("hint", "").empty())
      std::fputs(Redactor::global().apply(fmt::format("dns01: hint: {}: {}\n", l.cert_name,
                                                      l.error_json.value("hint", ""))).c_str(), stderr);
  Logger::global().info("apply", "{} certificate{} in {} ms: {} order{}", run.lineages.size(),
                        run.lineages.size() == 1 ? "" : "s", run.timings.total, run.orders, run.orders == 1 ? "" : "s");
  return run.exit_code();
}

}  // namespace

void register_apply(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<ApplyArgs>();
  auto* cmd = app.add_subcommand(
      "apply",
      "Make storage match a certificate set FILE ([[certificate]] tables, docs/apply.md) in one run: "
      "issue what is missing, renew what is due, expand or re-issue what changed, leave the rest; "
      "exit code of the first failure, 0 when nothing failed");
  cmd->add_option("file", a->file, "The certificate set (TOML)")->required()->check(CLI::ExistingFile);
  cmd->add_flag("--dry-run", a->dry_run,
                "Order every certificate of the set (staging twin of a shortcut CA) and store nothing");
  cmd->add_flag("--no-preflight", a->no_preflight,
                "Skip the pre-flight (a canary record per provider instance, every nameserver "
                "reachable) that otherwise runs before any order");
  cmd->add_flag("--allow-shrink", a->allow_shrink,
                "Let the run drop names a lineage holds but the file no longer lists (otherwise that "
                "lineage fails and keeps its certificate)");
  cmd->add_option("--concurrency", a->concurrency, "Orders, validations and finalizations in flight (default 8)")
      ->check(CLI::Range(1, 64));
  add_propagation_options(cmd, a->propagation);
  cmd->callback([a, &ctx] { ctx.run = [a, &ctx] { return run_apply(*a, ctx); }; });
}

}  // namespace dns01::cli
