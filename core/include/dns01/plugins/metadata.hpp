#pragma once
// provider.toml: what a provider declares about itself, and validation of a [providers.<name>]
// table against it. provider.toml is the single source for config validation, for
// `dns01 providers [--json]` and for docs/providers/<code>.md (scripts/gen-provider-docs).
//
// Format (every key but `description`/`example` inside [[config]] is checked):
//
//   code = "rfc2136"                          # lower-case [a-z0-9], the module is provider-<code>.so
//   name = "RFC 2136 dynamic updates (TSIG)"  # human title
//   description = "..."                       # one paragraph
//   [[links]]                                 # zero or more
//   title = "RFC 2136"
//   url = "https://www.rfc-editor.org/rfc/rfc2136"
//   [[config]]                                # one per key, in the order docs show them
//   key = "server"                            # [a-z0-9_]; `type`, `zones`, `ca_bundle` and
//                                             # `*_file` are reserved for the host
//   type = "string"                           # string | integer | boolean | duration | strings
//   required = true                           # default false
//   secret = false                            # default false; secret keys are redacted everywhere
//   default = "..."                           # optional, of the declared type
//   env = ["CLOUDFLARE_DNS_API_TOKEN"]        # optional: variables read, in order, when the table
//                                             # does not give the key (VAR_FILE too: the value is
//                                             # read from that file, with the secret-file rules)
//   choices = ["a", "b"]                      # optional (string keys): the allowed values,
//                                             # matched without regard to ASCII case
//   min = 60                                  # optional (integer and duration keys): bounds,
//   max = 86400                               # inclusive; durations as "30s" or seconds
//   description = "..."
//   example = "..."                           # optional, shown in docs
//
//   [[one_of]]                                # zero or more: alternatives, e.g. a token or a key
//   keys = ["api_token", "api_key"]           # at most one of these may be given ...
//   required = true                           # ... and with required, exactly one
//
//   [[requires]]                              # zero or more: a key that needs others
//   key = "api_key"
//   keys = ["email"]                          # when api_key is given, email must be too
//
// Errors: ConfigError with file:line:column for every problem found.
// Thread-safety: plain values and pure functions.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns01/config.hpp"
#include "dns01/error.hpp"
#include "dns01/provider.hpp"

namespace dns01::plugins {

struct ConfigKeySpec {
  std::string key;
  provider::ValueKind kind = provider::ValueKind::string;
  bool required = false;
  bool secret = false;
  std::optional<provider::Value> default_value;
  std::vector<std::string> env;        // variable aliases, in lookup order
  std::vector<std::string> choices;    // allowed values of a string key; empty = any
  std::optional<std::int64_t> min;     // integer, or duration in milliseconds
  std::optional<std::int64_t> max;
  std::string description;
  std::string example;
};

// [[one_of]]: at most one of `keys` (exactly one when `required`).
struct OneOfSpec {
  std::vector<std::string> keys;
  bool required = false;
};

// [[requires]]: when `key` is given, every one of `keys` must be given too.
struct RequiresSpec {
  std::string key;
  std::vector<std::string> keys;
};

struct ProviderLink {
  std::string title;
  std::string url;
};

struct ProviderMetadata {
  std::string code;
  std::string name;
  std::string description;
  std::vector<ProviderLink> links;
  std::vector<ConfigKeySpec> keys;
  std::vector<OneOfSpec> one_of;
  std::vector<RequiresSpec> requirements;  // [[requires]]
  std::filesystem::path source;  // the provider.toml it came from

  const ConfigKeySpec* find(std::string_view key) const noexcept;
};

// "string" -> ValueKind::string ...; nullopt for an unknown type name.
std::optional<provider::ValueKind> parse_value_kind(std::string_view name);
const char* value_kind_name(provider::ValueKind kind) noexcept;  // "string", "strings", ...

// Parses provider.toml text read from `source_name`. Throws ConfigError listing every problem.
ProviderMetadata parse_provider_metadata(std::string_view text, const std::string& source_name);
// Reads and parses a file. Throws ConfigError (unreadable or invalid).
ProviderMetadata load_provider_metadata(const std::filesystem::path& path);

// Every problem of one [providers.<name>] table against the metadata: unknown keys (with a "did
// you mean"), missing required keys, values of the wrong type or unparsable durations, values
// outside `choices` or `min`/`max`, broken `one_of` / `requires` rules. Keys the table does not
// give are looked up in their `env` aliases in `env` (VAR, then VAR_FILE). Empty when the table
// is valid. Never includes a secret value in a message.
std::vector<ConfigIssue> validate_provider_settings(const ProviderInstanceConfig& instance,
                                                    const ProviderMetadata& metadata,
                                                    const Environment& env);

// The typed view handed to the provider's factory: given values converted to their declared
// kinds, env aliases applied, defaults filled in, secret values registered with
// Redactor::global(). Throws ConfigError with every issue validate_provider_settings() reports.
provider::Settings make_provider_settings(const ProviderInstanceConfig& instance,
                                          const ProviderMetadata& metadata,
                                          const Environment& env);

}  // namespace dns01::plugins
