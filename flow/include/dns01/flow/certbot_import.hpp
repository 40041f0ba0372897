#pragma once
// `dns01 import`: take over certbot lineages (certbot 1.x/2.x /etc/letsencrypt layout), so
// `dns01 renew` renews them and certbot no longer does.
//
// For each renewal/<name>.conf of the certbot directory:
//   - the lineage must have been issued through DNS-01: [renewalparams] authenticator is one of
//     the dns-* plugins (dns-rfc2136, dns-cloudflare, dns-route53, dns-azure, ...) or `manual`
//     (auth hooks); other authenticators (webroot, nginx, standalone) are skipped with a reason;
//   - its current certificate, chain and key (the files the conf's cert/chain/fullchain/privkey
//     name, symlinks followed) are stored as version 1 of a dns01 lineage of the same name, and
//     renewal/<name>.toml is written from the conf (server; renew_hook / deploy hook as deploy
//     hook; reuse_key; the key type and names from the certificate itself);
//   - unless `keep_certbot`, certbot's renewal/<name>.conf is renamed to
//     <name>.conf.imported-by-dns01: certbot only reads *.conf, so it stops renewing the lineage
//     (its live/ files stay where they are, untouched; point the server at dns01's files).
// A dns01 lineage of that name already existing is skipped ("already imported"). The DNS side
// comes from dns01.toml: a name no [providers] table serves is reported (renew would fail).
//
// Errors: StorageError when the certbot directory cannot be read or dns01's storage written;
// a conf that cannot be used is a skip with its reason, not an error. Not thread-safe.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "dns01/config.hpp"

namespace dns01::flow {

// The keys of a certbot renewal conf: top-level keys as "key", section keys as
// "section.key" ("renewalparams.authenticator"). Comments and blank lines ignored.
std::map<std::string, std::string> parse_certbot_conf(const std::string& text);

struct ImportOptions {
  std::filesystem::path certbot_dir = "/etc/letsencrypt";
  std::string cert_name;     // "" = every lineage
  bool keep_certbot = false; // do not rename certbot's renewal conf
  bool dry_run = false;      // report what would happen, change nothing
};

struct ImportedLineage {
  std::string cert_name;
  std::string status;        // "imported" | "skipped" | "would_import"
  std::string reason;        // for skipped: why; for imported: the authenticator
  std::vector<std::string> domains;
  std::filesystem::path live_dir;        // dns01's
  std::filesystem::path retired_conf;    // certbot's conf after the rename, "" if kept
  std::vector<std::string> unrouted;     // names no [providers] table serves
};

std::vector<ImportedLineage> import_certbot(const Config& config, const ImportOptions& options);

}  // namespace dns01::flow
