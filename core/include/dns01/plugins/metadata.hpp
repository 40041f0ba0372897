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
//   key = "server"                            # [a-z0-9_]; `type`, `zones` and `*_file` are reserved
//   type = "string"                           # string | integer | boolean | duration | strings
//   required = true                           # default false
//   secret = false                            # default false; secret keys are redacted everywhere
//   default = "..."                           # optional, of the declared type
//   description = "..."
//   example = "..."                           # optional, shown in docs
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
  std::string description;
  std::string example;
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
// you mean"), missing required keys, values of the wrong type or unparsable durations. Empty when
// the table is valid. Never includes a secret value in a message.
std::vector<ConfigIssue> validate_provider_settings(const ProviderInstanceConfig& instance,
                                                    const ProviderMetadata& metadata);

// The typed view handed to the provider's factory: given values converted to their declared
// kinds, defaults filled in, secret values registered with Redactor::global(). Throws ConfigError
// with every issue validate_provider_settings() reports.
provider::Settings make_provider_settings(const ProviderInstanceConfig& instance,
                                          const ProviderMetadata& metadata);

}  // namespace dns01::plugins
