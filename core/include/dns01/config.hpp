#pragma once
// dns01.toml, parsed once into typed structs and validated.
//
// Lookup order of the file (find_config_path): --config FILE, $DNS01_CONFIG, ./dns01.toml,
// /etc/dns01/dns01.toml. No file at all is fine (defaults), unless one was named explicitly.
//
// Every problem in a file is collected and reported together in one ConfigError, each with
// file:line:column; unknown keys come with a "did you mean" suggestion.
//
// Environment overrides: DNS01_<SECTION>_<KEY> for the scalar keys of [acme], [storage],
// [propagation] and [log] (DNS01_ACME_SERVER, DNS01_STORAGE_DIR, DNS01_PROPAGATION_TIMEOUT, ...),
// and DNS01_PROVIDERS_<NAME>_<KEY> for provider tables. They win over the file.
//
// Secrets: [acme] eab_hmac_key, [acme] account_key and any key `k` of a provider table may
// instead be given as `k_file` (in the file or as DNS01_..._FILE): the value is read from that
// file (one trailing newline stripped). Empty DNS01_* variables count as unset;
// DNS01_<SECTION>_<KEY> variables naming an unknown key are errors (DNS01_CONFIG and other
// variables outside the sections are not config keys and are ignored here). A secret file readable
// by group or others is refused unless allow_insecure_secret_files is set (flag
// --allow-insecure-secret-files or `[security] allow_insecure_secret_files = true`). Every secret
// value is registered with Redactor::global() as soon as it is read.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "dns01/error.hpp"
#include "dns01/log.hpp"

namespace dns01 {

struct SourceLocation {
  std::string file;  // path, or "environment" / "command line"
  int line = 0;
  int column = 0;
};

// "IP", "IP:port", "[IPv6]:port", "host", "host:port".
struct Endpoint {
  std::string host;
  std::uint16_t port = 53;
  std::string str() const;  // canonical "host:port" / "[v6]:port"
};
// Throws std::invalid_argument with a readable message on malformed input.
Endpoint parse_endpoint(std::string_view text, std::uint16_t default_port);

// "90s", "2m", "500ms", "1h", or a bare integer meaning seconds. Throws std::invalid_argument.
// Units may be combined ("1m30s"); fractions and negative values are refused.
std::chrono::milliseconds parse_duration(std::string_view text);
// The shortest exact spelling parse_duration reads back: "90s", "2m", "1500ms", "0s".
std::string format_duration(std::chrono::milliseconds duration);

// Normalises a DNS name as used for zones: lower-case, one trailing dot removed; checks labels
// of 1..63 characters of letters, digits, '-' (not first or last) and '_', total <= 253.
// Throws std::invalid_argument with a readable reason (non-ASCII: use the xn-- form).
std::string normalize_dns_name(std::string_view name);

struct AcmeSettings {
  // A directory URL or a CA shortcut, as written; validated with acme::resolve_directory_url
  // (the table of dns01/acme/ca.hpp), so it resolves wherever it is used.
  std::string server = "letsencrypt";
  std::string email;      // account contact; empty = none
  std::string ca_bundle;  // extra CA bundle for the ACME server (private CAs)
  // The canonical name (acme::key_type_names(): ec256 | ec384 | rsa2048 | rsa3072 | rsa4096),
  // whatever spelling acme::parse_key_type accepted in the file ("EC256").
  std::string key_type = "ec256";
  std::string eab_kid;
  std::string eab_hmac_key;  // secret (eab_hmac_key_file)
  // Secret (account_key_file, DNS01_ACME_ACCOUNT_KEY[_FILE]): the ACME account's private key as
  // PEM text, used instead of the key stored under [storage] dir. Empty = the stored one (created
  // on first use). Checked here only for its shape (a PEM private key block, not encrypted); the
  // key itself is parsed by its user. Every base64 line is registered with the Redactor.
  std::string account_key;
  std::string profile;
  std::string preferred_chain;
  bool agree_tos = false;  // accept the CA's terms of service (also --agree-tos)
};

struct StorageSettings {
  std::filesystem::path dir = "/var/lib/dns01";
};

struct PropagationSettings {
  std::chrono::milliseconds timeout{std::chrono::seconds(300)};
  std::vector<Endpoint> nameservers;  // explicit authoritative set (split horizon); empty = discover
  std::vector<Endpoint> resolvers;    // bootstrap resolvers; empty = /etc/resolv.conf
  std::uint16_t port = 53;            // port used for discovered authoritative servers
  bool require_recursive = false;     // policy: the resolvers must see the values too
  std::chrono::milliseconds extra_wait{0};  // policy: fixed wait after success (opt-in)
  // Query budget per authoritative server address (token bucket, docs/propagation.md "Polling
  // at scale"); 0 = no budget. Small runs never reach it.
  double queries_per_second = 50;
};

struct LogSettings {
  LogLevel level = LogLevel::info;
  LogFormat format = LogFormat::text;
};

// One value of a provider table, kept typed and located for later validation against the
// provider's provider.toml.
using ProviderScalar = std::variant<std::string, std::int64_t, double, bool, std::vector<std::string>>;
struct ProviderValue {
  ProviderScalar value;
  SourceLocation where;
  bool secret = false;  // came from a *_file key / _FILE variable
};

// [providers.<name>]
struct ProviderInstanceConfig {
  std::string name;                 // the table name ("internal", "cf")
  std::string type;                 // provider code ("rfc2136", "cloudflare")
  std::vector<std::string> zones;   // zones served (lower-case, no trailing dot)
  std::map<std::string, ProviderValue> settings;  // every other key, *_file resolved
  SourceLocation where;
  // Host-level: an extra PEM bundle trusted for this provider's API (a corporate TLS proxy, a
  // test fake), on top of the system store. Empty = none.
  std::string ca_bundle;
};

struct Config {
  std::filesystem::path source;  // empty when no file was found
  AcmeSettings acme;
  StorageSettings storage;
  PropagationSettings propagation;
  LogSettings log;
  std::vector<ProviderInstanceConfig> providers;
  bool allow_insecure_secret_files = false;
};

using Environment = std::map<std::string, std::string>;
Environment process_environment();

struct LoadOptions {
  std::optional<std::filesystem::path> path;  // --config
  bool allow_insecure_secret_files = false;   // --allow-insecure-secret-files
  std::optional<Environment> env;              // nullopt = the process environment
};

// Finds the file to read per the lookup order above; nullopt when none exists and none was
// named. Throws ConfigError when a named file (option or $DNS01_CONFIG) does not exist.
std::optional<std::filesystem::path> find_config_path(const LoadOptions& options);

// Finds, reads, parses and validates. Throws ConfigError listing every problem.
Config load_config(const LoadOptions& options);

// Parses text as if read from `source_name` (used by load_config and tests).
Config parse_config(std::string_view text, const std::string& source_name,
                    const LoadOptions& options);

// Reads a secret file, enforcing the permission rule above; registers the value with the
// Redactor. Throws ConfigError mentioning `where`.
std::string read_secret_file(const std::filesystem::path& path, bool allow_insecure,
                             const SourceLocation& where);

// The closest candidate by edit distance, if close enough to be a plausible typo.
std::optional<std::string> did_you_mean(std::string_view key,
                                        const std::vector<std::string>& candidates);

}  // namespace dns01
