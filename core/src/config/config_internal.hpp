#pragma once
// Private plumbing of the config parser (not installed, not part of the contract).
//
// A value is first gathered as a RawValue — a toml++ node from the file, or the text of a
// DNS01_* variable — together with where it came from and how to name it in a message. The
// environment is overlaid on the file (it wins), then the typed getters convert raw values into
// the Config structs, recording every problem in an Issues list instead of throwing, so one
// ConfigError can report all of them.
#include <toml++/toml.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns01/config.hpp"

namespace dns01::config_detail {

struct Issues {
  std::vector<ConfigIssue> items;
  void add(const SourceLocation& where, std::string message) {
    items.push_back({where.file, where.line, where.column, std::move(message)});
  }
  // Appends the issues of a ConfigError (for example from read_secret_file).
  void add(const ConfigError& e);
  bool empty() const { return items.empty(); }
};

SourceLocation location(const std::string& file, const toml::source_region& region);
inline const SourceLocation kEnvironment{"environment", 0, 0};

struct RawValue {
  const toml::node* node = nullptr;  // from the file; nullptr when from the environment
  std::string text;                  // the variable's value when node == nullptr
  SourceLocation where;
  std::string subject;  // how messages name it: "'timeout' in [propagation]" or the variable
  bool from_env() const { return node == nullptr; }
};

// "an array", "a table", "a string", ... for "(got an array)" messages.
std::string describe_type(const toml::node& node);

// Typed getters: nullopt after recording an issue. Messages never quote the value when
// `secret` is set.
std::optional<std::string> get_string(const RawValue& raw, Issues& issues, bool secret = false);
std::optional<bool> get_bool(const RawValue& raw, Issues& issues);
std::optional<std::int64_t> get_int(const RawValue& raw, Issues& issues);
std::optional<std::uint16_t> get_port(const RawValue& raw, Issues& issues);
std::optional<std::chrono::milliseconds> get_duration(const RawValue& raw, Issues& issues);
// TOML: an array of strings. Environment: comma-separated, blanks dropped.
std::optional<std::vector<std::string>> get_string_list(const RawValue& raw, Issues& issues);

// One DNS01_<SECTION>_<KEY>[_FILE] variable, split. `provider` is set for PROVIDERS only.
struct EnvOverride {
  std::string var;       // the full variable name, for messages
  std::string section;   // "acme", "storage", "propagation", "log", "security", "providers"
  std::string provider;  // provider table name (lower-case) for section "providers"
  std::string key;       // lower-case key, without a _file suffix
  bool is_file = false;  // the _FILE variant: value is a path to a secret file
  std::string value;
};

// Picks the variables addressing a config section; others (DNS01_CONFIG, DNS01_BIN, ...) are
// ignored. Provider names are matched against `provider_names` (the tables of the file) first,
// longest match winning, so DNS01_PROVIDERS_MY_CF_API_TOKEN addresses [providers.my_cf] if it
// exists; otherwise the first word after PROVIDERS_ is the name.
std::vector<EnvOverride> env_overrides(const Environment& env,
                                       const std::vector<std::string>& provider_names);

// The keys given for one table, after overlaying the environment on the file.
struct SectionInput {
  std::map<std::string, RawValue> values;  // key -> inline value
  std::map<std::string, RawValue> files;   // key -> path of its secret file (k_file / K_FILE)
};

// Gathers a table: with `known_keys` non-empty, other keys are reported as unknown (with a did
// you mean); with it empty (provider tables) every key is accepted. `k_file` keys go to files.
// `section` is the table name as written ("acme", "providers.cf"); `table` may be null.
SectionInput gather_section(const toml::table* table, const std::string& section,
                            const std::string& file, const std::vector<std::string>& known_keys,
                            const std::vector<const EnvOverride*>& env, Issues& issues);

// A string-valued key that may come from a secret file. Registers the value with the Redactor
// when it came from a file or when `secret` is set. nullopt when absent or invalid.
std::optional<std::string> resolve_string(const SectionInput& in, const std::string& key,
                                          bool secret, bool allow_insecure, Issues& issues);

// Fixed sections ([acme], [storage], [propagation], [log], [security]) and provider tables.
void parse_security(const SectionInput& in, Config& config, Issues& issues);
void parse_acme(const SectionInput& in, Config& config, Issues& issues);
void parse_storage(const SectionInput& in, Config& config, Issues& issues);
void parse_propagation(const SectionInput& in, Config& config, Issues& issues);
void parse_log(const SectionInput& in, Config& config, Issues& issues);
extern const std::map<std::string, std::vector<std::string>> kSectionKeys;

// [providers.<name>] tables (from the file and/or the environment) into config.providers.
void parse_providers(const toml::node* providers, const std::string& file,
                     const std::vector<EnvOverride>& env, Config& config, Issues& issues);

// Heuristic for provider keys whose inline value must be treated as a secret until the
// provider's provider.toml says otherwise: names containing secret, token, password, ...
bool looks_secret(std::string_view key);

}  // namespace dns01::config_detail
