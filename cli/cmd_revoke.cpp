// `dns01 revoke`: revoke a lineage's current certificate at its CA, signed with the stored
// account when there is one, else with the certificate's own key (RFC 8555 §7.6 accepts both).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "dns01/flow/revoke.hpp"

namespace dns01::cli {
namespace {

struct RevokeArgs {
  std::string cert_name;
  std::string cert_path, key_path;
  std::string reason = "unspecified";
  bool delete_after = false;
};

int run_revoke(const RevokeArgs& args, Context& ctx) {
  flow::RevokeOptions options;
  options.reason = flow::parse_revocation_reason(args.reason);
  options.cert_name = args.cert_name;
  options.cert_path = args.cert_path;
  options.key_path = args.key_path;
  options.delete_after = args.delete_after;
  const flow::RevokeResult r = flow::revoke(ctx.config(), options);
  if (ctx.global.json) {
    std::puts(nlohmann::json{{"ok", true},
                             {"cert_name", r.cert_name},
                             {"serial", r.serial},
                             {"reason", flow::revocation_reason_name(options.reason)},
                             {"server", r.directory_url},
                             {"signed_with", r.signed_with},
                             {"deleted", r.deleted}}
                  .dump()
                  .c_str());
  } else {
    std::puts(fmt::format("revoked {} (serial {})", r.cert_name, r.serial).c_str());
    if (r.deleted) std::puts(fmt::format("deleted {}", r.cert_name).c_str());
  }
  return 0;
}

}  // namespace

void register_revoke(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<RevokeArgs>();
  auto* cmd = app.add_subcommand("revoke", "Revoke a certificate's current version at its CA");
  cmd->add_option("--cert-name", args->cert_name, "The certificate (lineage name)");
  cmd->add_option("--cert-path", args->cert_path,
                  "The certificate file instead of --cert-name (certbot's habit): a file of a stored "
                  "certificate, or any certificate from [acme] server");
  cmd->add_option("--key-path", args->key_path,
                  "With --cert-path: the certificate's private key, to sign when no stored account may");
  cmd->add_option("--reason", args->reason,
                  "unspecified (default), keycompromise, affiliationchanged, superseded or "
                  "cessationofoperation");
  cmd->add_flag("--delete-after-revoke", args->delete_after,
                "Then delete live/<name>, archive/<name> and the renewal file");
  cmd->callback([args, &ctx] { ctx.run = [args, &ctx] { return run_revoke(*args, ctx); }; });
}

}  // namespace dns01::cli
