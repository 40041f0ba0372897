#pragma once
// What one issuance asks for (IssueOptions) and the pure helpers around it: the [acme] defaults,
// the domain list check and the default lineage name. Shared by issue.hpp, renewal.hpp (the
// mappings to and from renewal/<name>.toml), the engine and the apply file parser, so none of
// them has to include another flow header for it.
//
// Errors: normalize_domains throws UsageError naming the bad entry. Everything here is pure and
// thread-safe.
#include <chrono>
#include <string>
#include <vector>

#include "dns01/config.hpp"

namespace dns01::flow {

struct IssueOptions {
  std::vector<std::string> domains;  // as given: "example.com", "*.example.com"
  std::string cert_name;             // "" = first domain without "*."
  std::string server;                // directory URL or shortcut (acme::resolve_directory_url)
  std::string ca_bundle;             // extra CA bundle for the ACME server
  std::string key_type = "ec256";
  std::string email;
  bool agree_tos = false;
  std::string eab_kid;
  std::string eab_hmac_key;          // secret; registered with the Redactor by whoever read it
  std::string profile;
  std::string preferred_chain;
  bool reuse_key = false;
  bool dry_run = false;
  bool expand = false;          // may add names to an existing lineage
  bool shrink = false;          // may drop names from an existing lineage
  bool force_renewal = false;   // order even when the lineage holds these names and is not due
  std::vector<std::string> deploy_hooks;  // shell commands, run after a stored issuance
  std::string replaces;                   // ARI CertID of the certificate being renewed
  std::chrono::milliseconds lock_wait{0}; // how long to wait for another run's lineage lock
  // "" = every record goes to the instance whose zone is the longest suffix of its name (the
  // usual routing); else the [providers.<name>] instance that must serve EVERY name of this
  // certificate: a name outside that instance's zones is a ConfigError before anything is
  // ordered, and the instance is used even where another one has a longer zone.
  std::string provider;
};

// [acme] of the configuration as IssueOptions (the CLI then overrides what was given).
IssueOptions options_from_config(const Config& config);

// The lineage name for a list of domains: the first one without "*.".
std::string default_cert_name(const std::vector<std::string>& domains);

// Normalises and checks the domain list (lower-case, no trailing dot, "*." only as the first
// label, no duplicates, 1..100 names). Throws UsageError naming the bad entry.
std::vector<std::string> normalize_domains(const std::vector<std::string>& domains);

}  // namespace dns01::flow
