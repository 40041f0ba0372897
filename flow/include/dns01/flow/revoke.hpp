#pragma once
// revoke(): `dns01 revoke` — revoke a certificate at its CA and optionally forget its lineage.
//
// The certificate is named by lineage (its current version) or by file (certbot's --cert-path:
// a file under live/<name>/ or archive/<name>/ belongs to that lineage and an older archive
// version is revoked as given; any other file is revoked on its own at [acme] server).
// The CA and trust are the lineage's renewal file's, else [acme]'s (with a warning).
// Signing (RFC 8555 §7.6 accepts both): with the stored account of that CA when there is one;
// when there is none, or the CA answers `unauthorized`/`accountDoesNotExist` (another account
// issued it, or a test CA forgot ours), with the certificate's own key.
//
// Errors: UsageError (bad options, no way to sign, --delete-after for a foreign file),
// StorageError (no such lineage, unreadable files, deletion failed — the certificate is then
// revoked already, and the error says so), AcmeError/NetworkError from the CA.
#include <filesystem>
#include <optional>
#include <string>

#include "dns01/acme/client.hpp"
#include "dns01/config.hpp"
#include "dns01/storage.hpp"

namespace dns01::flow {

// "unspecified", "keycompromise", "affiliationchanged", "superseded", "cessationofoperation"
// (case-insensitive) → reason. UsageError naming --reason otherwise.
acme::RevocationReason parse_revocation_reason(std::string_view name);
// The lower-case name parse_revocation_reason() accepts.
const char* revocation_reason_name(acme::RevocationReason reason) noexcept;

struct RevokeOptions {
  std::string cert_name;  // the lineage; exactly one of cert_name and cert_path
  std::string cert_path;  // a certificate file instead
  std::string key_path;   // with cert_path: the certificate's key, to sign when no account may
  acme::RevocationReason reason = acme::RevocationReason::unspecified;
  bool delete_after = false;  // then delete live/, archive/ and the renewal file of the lineage
};

struct RevokeResult {
  std::string cert_name;      // "" for a certificate of no lineage
  std::string serial;         // hex, as certinfo prints it
  std::string directory_url;  // the CA it was revoked at
  std::string signed_with;    // "account" | "certificate key"
  bool deleted = false;
};

RevokeResult revoke(const Config& config, const RevokeOptions& options);

// Removes live/<name>/, archive/<name>/ and renewal/<name>.toml (absent ones are fine). Throws
// StorageError naming the path that could not be removed; `hint` says what is already done.
// Takes no lock: delete_certificate() does.
void remove_lineage_files(const CertStore& store, const std::string& name, const std::string& hint);

// `dns01 delete`: StorageError when the lineage does not exist; waits for its lineage lock (no
// issue or renew of it running), then remove_lineage_files(). Nothing is revoked.
void delete_certificate(const Config& config, const std::string& name);

}  // namespace dns01::flow
