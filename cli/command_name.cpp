#include "command_name.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dns01/config.hpp"
#include "dns01/error.hpp"

namespace dns01::cli {
namespace {

// Does the global option spelled `arg` ("--config", "-q") take the next argument as its value?
bool takes_value(const CLI::App& app, const std::string& arg) {
  if (arg.find('=') != std::string::npos) return false;  // --config=FILE
  std::string name = arg;
  while (!name.empty() && name.front() == '-') name.erase(0, 1);
  for (const CLI::Option* opt : app.get_options()) {
    const bool match = arg.starts_with("--") ? opt->check_lname(name) : opt->check_sname(name);
    if (match) return opt->get_items_expected_min() > 0;
  }
  return false;
}

}  // namespace

std::vector<std::string> check_command_name(const CLI::App& app, std::vector<std::string> args) {
  std::size_t i = 0;
  while (i < args.size() && args[i].size() > 1 && args[i].front() == '-') {
    if (args[i] == "--") return args;
    i += takes_value(app, args[i]) ? 2 : 1;
  }
  if (i >= args.size()) return args;
  const std::string& word = args[i];
  std::vector<std::string> verbs;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->check_name(word)) return args;
    verbs.push_back(sub->get_name());
  }
  if (word == "help") {
    // `dns01 help issue` -> `dns01 issue --help`; `dns01 help` -> `dns01 --help`.
    args.erase(args.begin() + static_cast<std::ptrdiff_t>(i));
    args.push_back("--help");
    return args;
  }
  std::string cause = fmt::format("unknown command '{}'", word);
  if (auto near = did_you_mean(word, verbs)) cause += fmt::format(" (did you mean '{}'?)", *near);
  throw UsageError("dns01", "read the command", cause,
                   fmt::format("the commands are {}; `dns01 --help` describes them", fmt::join(verbs, ", ")));
}

}  // namespace dns01::cli
