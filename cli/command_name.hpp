#pragma once
// The verb check that runs before CLI11 parses: CLI11 reports an unknown verb as "A subcommand
// is required", which does not tell a user who typed `dns01 isue` what went wrong.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace dns01::cli {

// Looks at the first argument that is neither a global option nor its value:
//   - a known verb, or none at all: returns `args` unchanged (CLI11 reports the rest);
//   - "help" (`dns01 help [verb]`): returns the arguments of `dns01 [verb] --help`;
//   - anything else: throws UsageError "unknown command 'isue' (did you mean 'issue'?)".
// `args` excludes argv[0]. Global options are those of `app` itself (taken from it, so a new
// one cannot be forgotten here).
std::vector<std::string> check_command_name(const CLI::App& app, std::vector<std::string> args);

}  // namespace dns01::cli
