#pragma once
// The CA shortcut table: the names accepted wherever a directory URL is (config `server`,
// --server), each with its production URL and, where the CA runs one, its staging twin.
//
// One table serves config validation, the CLI, help text and --dry-run (which talks to the
// staging twin of a production CA). docs/acme.md lists the same names. All functions are pure
// and thread-safe; the table lives for the whole program.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dns01::acme {

struct CaShortcut {
  const char* name;     // "letsencrypt"
  const char* url;      // its directory URL (https://)
  const char* staging;  // the shortcut name of its staging twin, or nullptr when it has none
  const char* note;     // one line for help text and docs
};

// Every shortcut, production and staging alike, in the order help text lists them.
const std::vector<CaShortcut>& ca_shortcuts();

// A known shortcut → its URL; an https:// URL → unchanged; a plain http:// URL → UsageError
// (RFC 8555 §6.1 requires HTTPS); anything else → UsageError listing the shortcuts.
std::string resolve_directory_url(std::string_view name_or_url);

// The staging directory URL of a production CA named by shortcut or by its directory URL
// ("letsencrypt" or "https://acme-v02.api.letsencrypt.org/directory" → the staging URL).
// nullopt when the CA has no staging twin: unknown URLs, CAs without one, and staging CAs
// themselves. Never throws.
std::optional<std::string> staging_directory_for(std::string_view name_or_url);

// True when `url` (or a shortcut name) is the directory of a staging CA from the table, i.e. a
// CA whose certificates are not publicly trusted. Never throws.
bool is_staging_directory(std::string_view url);

// The shortcut name of a directory URL ("https://acme-v02.api.letsencrypt.org/directory" →
// "letsencrypt"); nullopt for URLs not in the table. Never throws.
std::optional<std::string> ca_shortcut_name(std::string_view url);

}  // namespace dns01::acme
