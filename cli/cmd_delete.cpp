// `dns01 delete --cert-name N`: forget a lineage (certbot delete): live/, archive/ and the renewal
// file go, so `renew` no longer renews it. Nothing is revoked (`revoke --delete-after-revoke`).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "dns01/flow/revoke.hpp"

namespace dns01::cli {
namespace {

int run_delete(const std::string& name, Context& ctx) {
  flow::delete_certificate(ctx.config(), name);
  if (ctx.global.json)
    std::puts(nlohmann::json{{"ok", true}, {"cert_name", name}, {"deleted", true}}.dump().c_str());
  else
    std::puts(fmt::format("deleted {}", name).c_str());
  return 0;
}

}  // namespace

void register_delete(CLI::App& app, Context& ctx) {
  auto name = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "delete", "Delete a certificate's files (live/, archive/, renewal file) so renew forgets it; "
                "it is not revoked");
  cmd->add_option("--cert-name", *name, "The certificate (lineage name)")->required();
  cmd->callback([name, &ctx] { ctx.run = [name, &ctx] { return run_delete(*name, ctx); }; });
}

}  // namespace dns01::cli
