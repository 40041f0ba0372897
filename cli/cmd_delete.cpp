// `dns01 delete --cert-name N`: forget a lineage (certbot delete): live/, archive/ and the renewal
// file go, so `renew` no longer renews it. Nothing is revoked (`revoke --delete-after-revoke`).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "commands.hpp"
#include "dns01/error.hpp"
#include "dns01/log.hpp"
#include "dns01/storage.hpp"
#include "lineage_files.hpp"

namespace dns01::cli {
namespace {

int run_delete(const std::string& name, Context& ctx) {
  CertStore::check_name(name);
  const Config& config = ctx.config();
  const CertStore store(config.storage.dir);
  std::error_code ec;
  if (!store.current(name) && !std::filesystem::exists(store.renewal_file(name), ec) &&
      !std::filesystem::exists(store.dir() / "archive" / name, ec))
    throw StorageError("find certificate", fmt::format("no certificate named '{}' in {}", name, store.dir().string()),
                       "`dns01 certificates` lists the certificates");
  // Not while a renew or issue of this lineage is running (it would store into a deleted tree).
  LineageLock lock(store.dir(), name);
  delete_lineage(store, name, "remove the rest by hand");
  Logger::global().info("delete", "{}: deleted live/, archive/ and the renewal file (not revoked)", name);
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
