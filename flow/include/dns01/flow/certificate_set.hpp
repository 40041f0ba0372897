#pragma once
// A certificate set: the TOML file `dns01 apply FILE` reads (docs/apply.md).
//
//   [defaults]                    # optional; same keys as a [[certificate]] table but name/domains
//   key_type = "ec384"
//
//   [[certificate]]
//   name = "web"                  # lineage name, unique in the file (required)
//   domains = ["web.internal.test", "*.web.internal.test"]   # required, 1..100 names
//   key_type = "ec256"            # ec256 | ec384 | rsa2048 | rsa3072 | rsa4096
//   server = "https://ca.example/acme/customer-a/directory"  # URL or shortcut (docs/acme.md)
//   ca_bundle = "/etc/ssl/private-ca.pem"
//   eab_kid = "kid-a"
//   eab_hmac_key_file = "/run/secrets/eab-a"   # or eab_hmac_key (a secret either way)
//   profile = "shortlived"
//   preferred_chain = "ISRG Root X1"
//   reuse_key = false
//   deploy_hooks = ["systemctl reload nginx"]
//   provider = "internal"         # a [providers.<name>] instance of the main configuration
//
// Every table starts from options_from_config(config) ([acme] of dns01.toml and its DNS01_ACME_*
// overrides), then [defaults], then its own keys. EAB credentials belong to one CA: a layer that
// sets `server` does not inherit eab_kid/eab_hmac_key from the layer below (it gives its own or
// none). Relative paths (ca_bundle, eab_hmac_key_file) are taken relative to the set file's
// folder. The main configuration still holds providers, propagation and storage; the set file
// holds lineages only.
//
// Errors: every problem of the file in ONE ConfigError, each "<file>:<line>:<column>: <what>"
// (ConfigIssue) with a hint saying what to do: unreadable file, TOML syntax, unknown key (with
// "did you mean"), wrong type, missing name or domains, duplicate name, bad domain (what
// normalize_domains says), unknown provider instance (listing the configured ones), unknown key
// type, a server that is neither a URL nor a known shortcut, an unreadable or too-open secret
// file (config.allow_insecure_secret_files applies). Nothing is changed on disk.
// Secrets: eab_hmac_key values (inline or from _file) are registered with Redactor::global()
// as soon as they are read; error messages never quote them.
// Threading: a pure function of its inputs (plus the secret files and the Redactor).
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "dns01/config.hpp"
#include "dns01/flow/issue_options.hpp"

namespace dns01::flow {

// One [[certificate]] table.
struct CertificateSpec {
  std::string name;                  // lineage name, unique in the file
  std::vector<std::string> domains;  // normalized (normalize_domains)
  IssueOptions options;              // options.domains == domains, options.cert_name == name
  std::string source;                // "fleet.toml:12" (the table's header line), for messages
};

struct CertificateSet {
  std::vector<CertificateSpec> certificates;  // in file order
  std::filesystem::path file;
};

// Reads and validates `file` against `config` (see the header comment for the errors).
CertificateSet load_certificate_set(const Config& config, const std::filesystem::path& file);

// Same, from text (tests): `source_name` is the path used in messages, and relative paths are
// taken relative to its folder.
CertificateSet parse_certificate_set(const Config& config, std::string_view text,
                                     const std::string& source_name);

}  // namespace dns01::flow
