// dns01-provider-tool: drives one configured provider through the real loader, for the e2e tests
// (tests/e2e/test_rfc2136*.py) and for trying a provider table by hand.
//
//   dns01-provider-tool --config dns01.toml --provider internal add NAME VALUE
//   dns01-provider-tool --config dns01.toml --provider internal remove NAME VALUE
//   dns01-provider-tool --config dns01.toml --provider internal batch-add NAME VALUE [NAME VALUE]...
//   dns01-provider-tool --config dns01.toml --provider internal batch-remove NAME VALUE ...
//   dns01-provider-tool ... --json add NAME VALUE     # one JSON object on stdout, as dns01 --json
//
// Only [providers.<provider>] is loaded. Each record is routed through that table's zones (a
// name outside them is an error); batches are grouped by routed zone, one add_all/remove_all per
// zone. Errors print like dns01's ("error: ..." and "hint: ...") and exit with dns01's codes.
// With --json, stdout also gets {"ok": true, "action", "records"} or {"ok": false, "error":
// {category, exit_code, message, hint}} (json::error_json, as dns01 --json prints it), so the
// conformance suite (tests/provider/conformance.py) reads the outcome without parsing text.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <map>

#include "dns01/config.hpp"
#include "dns01/error.hpp"
#include "dns01/json.hpp"
#include "dns01/log.hpp"
#include "dns01/plugins/loader.hpp"

namespace {

int run(const std::string& config_path, const std::string& name, const std::string& action,
        const std::vector<std::string>& args, bool allow_insecure, bool json_out) {
  using namespace dns01;
  LoadOptions options;
  options.path = config_path;
  options.allow_insecure_secret_files = allow_insecure;
  const Config config = load_config(options);
  std::vector<ProviderInstanceConfig> chosen;
  for (const auto& p : config.providers)
    if (p.name == name) chosen.push_back(p);
  if (chosen.empty())
    throw UsageError("dns01-provider-tool", "choose provider",
                     fmt::format("{} has no [providers.{}]", config_path, name));
  if (args.empty() || args.size() % 2 != 0)
    throw UsageError("dns01-provider-tool", action, "give NAME VALUE pairs");

  auto set = plugins::ProviderSet::load(chosen);
  std::map<std::string, std::vector<provider::TxtRecord>> by_zone;
  for (std::size_t i = 0; i < args.size(); i += 2) {
    auto [instance, zone] = set.route(args[i]);
    by_zone[zone].push_back({args[i], args[i + 1], zone, 0});
  }
  auto& instance = set.at(0);
  for (const auto& [zone, records] : by_zone) {
    if (action == "add") {
      for (const auto& r : records) instance.add(r);
    } else if (action == "remove") {
      for (const auto& r : records) instance.remove(r);
    } else if (action == "batch-add") {
      instance.add_all(records);
    } else {
      instance.remove_all(records);
    }
  }
  std::fprintf(stderr, "dns01-provider-tool: %s: %zu record(s) done\n", action.c_str(),
               args.size() / 2);
  if (json_out)
    std::puts(nlohmann::json{{"ok", true}, {"action", action}, {"records", args.size() / 2}}
                  .dump()
                  .c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Drive one configured dns01 provider (test tool)", "dns01-provider-tool"};
  std::string config, provider, action;
  std::vector<std::string> args;
  bool verbose = false, insecure = false, json_out = false;
  app.add_option("--config", config, "dns01.toml to read")->required();
  app.add_option("--provider", provider, "[providers.<name>] to use")->required();
  app.add_flag("-v,--verbose", verbose, "Debug log lines on stderr");
  app.add_flag("--allow-insecure-secret-files", insecure, "Accept group/world-readable secrets");
  app.add_flag("--json", json_out, "Also print the outcome as one JSON object on stdout");
  app.add_option("action", action, "add | remove | batch-add | batch-remove")
      ->required()
      ->check(CLI::IsMember({"add", "remove", "batch-add", "batch-remove"}));
  app.add_option("records", args, "NAME VALUE pairs")->required();
  CLI11_PARSE(app, argc, argv);
  if (verbose) dns01::Logger::global().set_level(dns01::LogLevel::debug);
  try {
    return run(config, provider, action, args, insecure, json_out);
  } catch (const dns01::Error& e) {
    if (json_out)
      std::puts(
          nlohmann::json{{"ok", false}, {"error", dns01::json::error_json(e)}}.dump().c_str());
    auto& redactor = dns01::Redactor::global();
    std::fprintf(stderr, "dns01-provider-tool: error: %s\n", redactor.apply(e.what()).c_str());
    if (!e.hint().empty())
      std::fprintf(stderr, "dns01-provider-tool: hint: %s\n", redactor.apply(e.hint()).c_str());
    return dns01::exit_code(e.category());
  }
}
