#pragma once
// One register_<verb> per cli/cmd_<verb>.cpp. Each adds its subcommand to the app, declares its
// options into a struct owned by the callback, and sets ctx.run to call one core function.
#include <CLI/CLI.hpp>

#include "context.hpp"

namespace dns01::cli {

void register_config(CLI::App& app, Context& ctx);     // cmd_config.cpp: show / check the config
void register_check(CLI::App& app, Context& ctx);      // cmd_check.cpp: propagation check
void register_providers(CLI::App& app, Context& ctx);  // cmd_providers.cpp: list providers

}  // namespace dns01::cli
