// `dns01 providers [CODE] [--check] [--json]`: the provider modules on the search path, from
// their provider.toml (the same metadata that validates [providers.<name>] tables).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <optional>
#include <string>

#include "commands.hpp"
#include "dns01/error.hpp"
#include "dns01/plugins/loader.hpp"

namespace dns01::cli {
namespace {

struct ProvidersArgs {
  std::string code;    // show one provider's keys
  bool check = false;  // also open each module and check its ABI version
};

struct Entry {
  plugins::ModuleFile file;
  std::optional<plugins::ProviderMetadata> meta;
  std::string problem;  // unreadable metadata or (with --check) a refused module
};

std::string default_text(const plugins::ConfigKeySpec& k) {
  return k.default_value ? k.default_value->text : std::string();
}

nlohmann::json to_json(const Entry& e) {
  nlohmann::json j = {{"code", e.file.code},
                      {"module", e.file.module.string()},
                      {"metadata", e.file.metadata.string()},
                      {"ok", e.problem.empty()}};
  if (!e.problem.empty()) j["problem"] = e.problem;
  if (!e.meta) return j;
  j["name"] = e.meta->name;
  j["description"] = e.meta->description;
  j["links"] = nlohmann::json::array();
  for (const auto& l : e.meta->links) j["links"].push_back({{"title", l.title}, {"url", l.url}});
  j["config"] = nlohmann::json::array();
  for (const auto& k : e.meta->keys) {
    nlohmann::json key = {{"key", k.key},
                          {"type", plugins::value_kind_name(k.kind)},
                          {"required", k.required},
                          {"secret", k.secret},
                          {"description", k.description}};
    key["default"] = k.default_value ? nlohmann::json(default_text(k)) : nlohmann::json();
    if (!k.example.empty()) key["example"] = k.example;
    j["config"].push_back(std::move(key));
  }
  return j;
}

void print_details(const Entry& e) {
  std::printf("%s — %s\n  module: %s\n", e.file.code.c_str(), e.meta->name.c_str(),
              e.file.module.string().c_str());
  std::printf("\n%s\n\nKeys of [providers.<name>] with type = \"%s\" (besides zones):\n",
              e.meta->description.c_str(), e.file.code.c_str());
  for (const auto& k : e.meta->keys) {
    std::string flags = plugins::value_kind_name(k.kind);
    if (k.required) flags += ", required";
    if (k.secret) flags += fmt::format(", secret: give {}_file", k.key);
    if (k.default_value) flags += fmt::format(", default {}", default_text(k));
    std::printf("  %-12s (%s)\n      %s\n", k.key.c_str(), flags.c_str(), k.description.c_str());
  }
  for (const auto& l : e.meta->links) std::printf("\n  %s: %s", l.title.c_str(), l.url.c_str());
  std::printf("\n");
}

int run(const ProvidersArgs& args, const GlobalOptions& global) {
  const auto path = plugins::provider_search_path();
  std::vector<Entry> entries;
  for (auto& file : plugins::list_modules(path)) {
    if (!args.code.empty() && file.code != args.code) continue;
    Entry e{file, std::nullopt, {}};
    try {
      e.meta = plugins::load_provider_metadata(file.metadata);
      if (args.check) plugins::Module::open(file);
    } catch (const Error& err) {
      e.problem = err.what();
    }
    entries.push_back(std::move(e));
  }
  std::string searched;
  for (const auto& dir : path) searched += fmt::format("{}{}", searched.empty() ? "" : ":", dir.string());
  if (!args.code.empty() && entries.empty())
    throw ConfigError("find provider", fmt::format("no provider '{}' in {}", args.code, searched),
                      "`dns01 providers` lists the installed ones; DNS01_PROVIDER_PATH adds "
                      "directories");
  bool all_ok = true;
  for (const auto& e : entries) all_ok = all_ok && e.problem.empty();
  if (global.json) {
    nlohmann::json j = {{"ok", all_ok}, {"search_path", nlohmann::json::array()},
                        {"providers", nlohmann::json::array()}};
    for (const auto& dir : path) j["search_path"].push_back(dir.string());
    for (const auto& e : entries) j["providers"].push_back(to_json(e));
    std::puts(j.dump(2).c_str());
  } else if (!args.code.empty() && entries.front().meta) {
    print_details(entries.front());
  } else {
    if (entries.empty()) std::printf("no provider modules found in %s\n", searched.c_str());
    for (const auto& e : entries) {
      std::printf("%-12s %s\n", e.file.code.c_str(),
                  e.meta ? e.meta->name.c_str() : "(metadata unreadable)");
      if (!e.problem.empty()) std::printf("             problem: %s\n", e.problem.c_str());
    }
  }
  return all_ok ? 0 : exit_code(ErrorCategory::provider);
}

}  // namespace

void register_providers(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<ProvidersArgs>();
  auto* cmd = app.add_subcommand(
      "providers",
      "List the DNS provider modules found on the search path (DNS01_PROVIDER_PATH, the installed "
      "module directory, the build tree for a binary run from it), or show one provider's configuration keys");
  cmd->fallthrough();  // `dns01 providers --json` as well as `dns01 --json providers`
  cmd->add_option("code", args->code, "Show the keys of this provider (e.g. rfc2136)");
  cmd->add_flag("--check", args->check,
                "Also load each module and check that it was built for this dns01's provider ABI");
  cmd->callback([args, &ctx] { ctx.run = [args, &ctx] { return run(*args, ctx.global); }; });
}

}  // namespace dns01::cli
