#pragma once
// One register_<verb> per cli/cmd_<verb>.cpp. Each adds its subcommand to the app, declares its
// options into a struct owned by the callback, and sets ctx.run to call one core function.
#include <CLI/CLI.hpp>

#include "context.hpp"

namespace dns01::cli {

void register_config(CLI::App& app, Context& ctx);     // cmd_config.cpp: show / check the config
void register_check(CLI::App& app, Context& ctx);      // cmd_check.cpp: propagation check
void register_providers(CLI::App& app, Context& ctx);  // cmd_providers.cpp: list providers
void register_issue(CLI::App& app, Context& ctx);      // cmd_issue.cpp: issue a certificate
void register_renew(CLI::App& app, Context& ctx);      // cmd_renew.cpp: renew what is due
void register_apply(CLI::App& app, Context& ctx);      // cmd_apply.cpp: make storage match a certificate set
void register_revoke(CLI::App& app, Context& ctx);     // cmd_revoke.cpp: revoke a lineage
void register_certificates(CLI::App& app, Context& ctx);  // cmd_certificates.cpp: list lineages
void register_cleanup(CLI::App& app, Context& ctx);    // cmd_cleanup.cpp: stale sweep, lego exec cleanup
void register_present(CLI::App& app, Context& ctx);    // cmd_present.cpp: lego exec present
void register_certbot(CLI::App& app, Context& ctx);    // cmd_certbot.cpp: certbot-auth, certbot-cleanup
void register_serve_httpreq(CLI::App& app, Context& ctx);  // cmd_serve_httpreq.cpp: lego httpreq server
void register_account(CLI::App& app, Context& ctx);    // cmd_account.cpp: show/update/rollover/deactivate
void register_delete(CLI::App& app, Context& ctx);     // cmd_delete.cpp: forget a lineage
void register_import(CLI::App& app, Context& ctx);     // cmd_import.cpp: take over certbot lineages
void register_completion(CLI::App& app, Context& ctx);  // cmd_completion.cpp: bash/zsh script (hidden)

}  // namespace dns01::cli
