#pragma once
// renewal/<name>.toml: everything `dns01 renew` needs to redo an issuance, written by
// `dns01 issue` after each stored certificate (atomically, 0600).
//
//   # written by dns01 0.1.0 — edit with care
//   version = 1
//   domains = ["example.com", "*.example.com"]
//   server = "https://acme-v02.api.letsencrypt.org/directory"
//   ca_bundle = ""
//   key_type = "ec256"
//   reuse_key = false
//   email = "admin@example.com"
//   profile = ""
//   preferred_chain = ""
//   eab_kid = ""                  # the MAC key is never stored here: it stays in dns01.toml
//   deploy_hooks = ["systemctl reload nginx"]
//   config = "/etc/dns01/dns01.toml"   # the config used at issuance (informational)
//   provider = "internal"         # only when the lineage is pinned to one provider instance
//   ari_window_start = "2026-12-01T00:00:00Z"   # written by `renew` (below)
//   ari_window_end = "2026-12-03T00:00:00Z"
//   ari_renewal_time = "2026-12-02T07:12:44Z"
//
// The ari_* keys hold the renewal time `dns01 renew` drew in the CA's suggested window, so a
// timer running twice a day renews at that one time instead of drawing again on every run (which
// would renew early in the window). A window that moves means a new draw. Reissuing the
// certificate writes the file without them.
// Providers and propagation settings are NOT stored: renew uses the current dns01.toml, so a
// rotated API token applies to every lineage.
//
// Errors: StorageError when the file cannot be read/written; ConfigError with file:line:column
// for a malformed file (unknown keys included, with did-you-mean).
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "dns01/config.hpp"
#include "dns01/flow/issue_options.hpp"
#include "dns01/flow/issue_result.hpp"
#include "dns01/storage.hpp"

namespace dns01::flow {

struct RenewalConfig {
  std::string cert_name;  // from the file name, not stored inside
  std::vector<std::string> domains;
  std::string server;     // resolved directory URL
  std::string ca_bundle;
  std::string key_type = "ec256";
  bool reuse_key = false;
  std::string email;
  std::string profile;
  std::string preferred_chain;
  std::string eab_kid;
  std::vector<std::string> deploy_hooks;
  std::string config;     // path of the dns01.toml used at issuance, "" if none
  std::string provider;   // IssueOptions::provider; written only when set
  // The ARI window seen by the last `renew` and the renewal time drawn in it (all or none).
  std::optional<std::chrono::system_clock::time_point> ari_window_start, ari_window_end, ari_renewal_time;
};

void save_renewal(const CertStore& store, const RenewalConfig& renewal);
RenewalConfig load_renewal(const CertStore& store, const std::string& cert_name);

// The IssueOptions a renewal of `renewal` uses (without replaces / dry_run / hooks of the run).
IssueOptions issue_options_for(const Config& config, const RenewalConfig& renewal);
// The reverse: what issue() stores for a lineage it just saved. The two live side by side so a
// new option is carried both ways. `key_type` is the certificate key's actual type.
RenewalConfig renewal_config_for(const Config& config, const IssueOptions& options,
                                 const IssueResult& result, const std::string& key_type);

}  // namespace dns01::flow
