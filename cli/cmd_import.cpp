// `dns01 import`: take over certbot's DNS-01 lineages (flow/certbot_import.hpp).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "dns01/flow/certbot_import.hpp"
#include "dns01/log.hpp"

namespace dns01::cli {
namespace {

int run_import(const flow::ImportOptions& o, Context& ctx) {
  const auto lineages = flow::import_certbot(ctx.config(), o);
  auto& log = Logger::global();
  nlohmann::json list = nlohmann::json::array();
  for (const auto& l : lineages) {
    if (!l.unrouted.empty())
      log.warn("import", "{}: no [providers] table serves {}: `dns01 renew` will fail until one does "
               "(docs/configuration.md)", l.cert_name, fmt::join(l.unrouted, ", "));
    if (l.status == "imported" && !l.retired_conf.empty())
      log.info("import", "{}: certbot's renewal file is now {} (certbot no longer renews it); its "
               "live/ files are not updated any more: point the server at {}",
               l.cert_name, l.retired_conf.string(), (l.live_dir / "fullchain.pem").string());
    else if (l.status == "imported")
      log.warn("import", "{}: --keep-certbot: certbot still renews this certificate too", l.cert_name);
    list.push_back({{"cert_name", l.cert_name}, {"status", l.status}, {"reason", l.reason},
                    {"domains", l.domains}, {"live_dir", l.live_dir.string()},
                    {"retired_conf", l.retired_conf.string()}, {"unrouted", l.unrouted}});
    if (!ctx.global.json) {
      if (l.status == "skipped")
        std::printf("%s: skipped (%s)\n", l.cert_name.c_str(), l.reason.c_str());
      else
        std::printf("%s: %s (%s: %s)\n", l.cert_name.c_str(),
                    l.status == "imported" ? "imported" : "would be imported", l.reason.c_str(),
                    fmt::format("{}", fmt::join(l.domains, " ")).c_str());
    }
  }
  if (lineages.empty() && !ctx.global.json) std::puts("no certbot certificates found");
  if (ctx.global.json) std::puts(nlohmann::json{{"ok", true}, {"certificates", list}}.dump().c_str());
  return 0;
}

}  // namespace

void register_import(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<flow::ImportOptions>();
  auto* cmd = app.add_subcommand(
      "import",
      "Take over certbot's DNS-01 certificates (dns-* plugins, manual hooks): store them in dns01 "
      "and retire certbot's renewal file, so only `dns01 renew` renews them");
  cmd->add_option("--certbot-dir", o->certbot_dir, "certbot's configuration directory (default /etc/letsencrypt)");
  cmd->add_option("--cert-name", o->cert_name, "Only this certbot certificate");
  cmd->add_flag("--keep-certbot", o->keep_certbot,
                "Leave certbot's renewal file in place (both tools then renew the certificate)");
  cmd->add_flag("--dry-run", o->dry_run, "Only report what would be imported");
  cmd->callback([o, &ctx] { ctx.run = [o, &ctx] { return run_import(*o, ctx); }; });
}

}  // namespace dns01::cli
