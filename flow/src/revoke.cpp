// revoke(): which certificate, at which CA, signed by which key; then the optional deletion.
#include "dns01/flow/revoke.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "dns01/acme/ca_client.hpp"
#include "dns01/acme/csr.hpp"
#include "dns01/error.hpp"
#include "dns01/flow/accounts.hpp"
#include "dns01/flow/certinfo.hpp"
#include "dns01/flow/renewal.hpp"
#include "dns01/flow/run_status.hpp"
#include "dns01/log.hpp"

namespace dns01::flow {
namespace {

namespace fs = std::filesystem;
constexpr const char* kComponent = "revoke";

struct ReasonName {
  const char* name;
  acme::RevocationReason reason;
};
constexpr ReasonName kReasons[] = {{"unspecified", acme::RevocationReason::unspecified},
                                   {"keycompromise", acme::RevocationReason::key_compromise},
                                   {"affiliationchanged", acme::RevocationReason::affiliation_changed},
                                   {"superseded", acme::RevocationReason::superseded},
                                   {"cessationofoperation", acme::RevocationReason::cessation_of_operation}};

// The CA and trust of the lineage: its renewal file, else the configuration's [acme].
std::pair<std::string, std::string> server_of(const CertStore& store, const std::string& name, const Config& config) {
  std::error_code ec;
  if (fs::exists(store.renewal_file(name), ec)) {
    auto r = load_renewal(store, name);
    return {r.server, r.ca_bundle};
  }
  Logger::global().warn(kComponent, "{} has no renewal file; using [acme] server {}", name, config.acme.server);
  return {config.acme.server, config.acme.ca_bundle};
}

// What is revoked: a certificate file, the key that may sign for it, and its lineage ("" for a
// certificate dns01 does not store).
struct Target {
  std::string cert_name;
  fs::path cert, key;
};

Target lineage_target(const CertStore& store, const std::string& name) {
  CertStore::check_name(name);
  const auto paths = store.current(name);
  if (!paths)
    throw StorageError("find certificate", fmt::format("no certificate named '{}' in {}", name, store.dir().string()),
                       "`dns01 certificates` lists the certificates");
  return {name, paths->cert, paths->privkey};
}

Target path_target(const CertStore& store, const std::string& cert_path, const std::string& key_path) {
  std::error_code ec;
  const fs::path cert = fs::weakly_canonical(cert_path, ec);
  if (ec || !fs::is_regular_file(cert, ec))
    throw UsageError(kComponent, "read --cert-path", fmt::format("{} is not a readable file", cert_path),
                     "give the certificate's PEM file, e.g. /var/lib/dns01/live/example.com/cert.pem");
  Target t{"", fs::path(cert_path), key_path};
  for (const auto& name : store.lineages()) {
    for (const char* area : {"live", "archive"}) {
      const fs::path dir = fs::weakly_canonical(store.dir() / area / name, ec);
      if (ec || dir.empty()) continue;
      const auto rel = cert.lexically_relative(dir);
      if (rel.empty() || rel.begin()->string() == "..") continue;
      t.cert_name = name;
      if (t.key.empty()) {
        if (auto paths = store.current(name)) t.key = paths->privkey;
      }
      return t;
    }
  }
  return t;
}

// Revokes with the stored account; false when there is none or it may not revoke this one.
// With `[acme] account_key` configured (CI runners) that key is the account, not a stored one.
bool revoke_with_account(const CertStore& store, const AcmeSettings& settings, const std::string& directory_url,
                         const std::string& ca_bundle, const Bytes& der,
                         std::optional<acme::RevocationReason> reason) {
  auto account = load_account(account_dir(store, directory_url), settings);
  if (!account || account->url.empty()) return false;
  auto ca = acme::ca_client(directory_url, ca_bundle, std::move(account->key));
  ca->acme().set_account_url(account->url);
  try {
    ca->acme().revoke(der, reason);
    return true;
  } catch (const AcmeError& e) {
    // Another account issued it, or the CA forgot ours (test CAs): the key still can.
    if (!acme::is_problem(e.problem(), "unauthorized") && !acme::is_problem(e.problem(), "accountDoesNotExist"))
      throw;
    Logger::global().warn(kComponent, "the stored account may not revoke it ({}); using the certificate key",
                          Redactor::global().apply(e.what()));
    return false;
  }
}

}  // namespace

acme::RevocationReason parse_revocation_reason(std::string_view name) {
  std::string lower(name);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& r : kReasons)
    if (lower == r.name) return r.reason;
  throw UsageError(kComponent, "read --reason", fmt::format("unknown reason '{}'", name),
                   "use unspecified, keycompromise, affiliationchanged, superseded or cessationofoperation");
}

const char* revocation_reason_name(acme::RevocationReason reason) noexcept {
  for (const auto& r : kReasons)
    if (r.reason == reason) return r.name;
  return "unspecified";
}

RevokeResult revoke(const Config& config, const RevokeOptions& o) {
  if (o.cert_name.empty() == o.cert_path.empty())
    throw UsageError(kComponent, "read the options", "name the certificate with --cert-name or --cert-path (one of them)",
                     "`dns01 certificates` lists the certificates");
  const CertStore store(config.storage.dir);
  const Target target = o.cert_path.empty() ? lineage_target(store, o.cert_name)
                                            : path_target(store, o.cert_path, o.key_path);
  const std::string pem = read_file(target.cert);
  const CertInfo info = inspect_certificate(pem, target.cert.string());
  const Bytes der = acme::certificate_der(acme::parse_pem_certificates(pem).front().get());
  if (o.delete_after && target.cert_name.empty())
    throw UsageError(kComponent, "read --delete-after-revoke",
                     fmt::format("{} belongs to no certificate of {}", target.cert.string(), store.dir().string()),
                     "drop --delete-after-revoke; there is nothing of dns01's to delete");

  const auto [server, ca_bundle] = target.cert_name.empty() ? std::pair{config.acme.server, config.acme.ca_bundle}
                                                            : server_of(store, target.cert_name, config);
  RevokeResult result;
  result.cert_name = target.cert_name;
  result.serial = info.serial;
  result.directory_url = acme::resolve_directory_url(server);
  // No reason code at all for "unspecified" (RFC 5280 recommends omitting it).
  std::optional<acme::RevocationReason> reason;
  if (o.reason != acme::RevocationReason::unspecified) reason = o.reason;

  if (revoke_with_account(store, config.acme, result.directory_url, ca_bundle, der, reason)) {
    result.signed_with = "account";
  } else {
    if (target.key.empty())
      throw UsageError(kComponent, "sign the revocation", "no stored account for this CA and no certificate key was given",
                       "add --key-path with the certificate's private key");
    const acme::PrivateKey cert_key = acme::PrivateKey::load(target.key);
    // Signed with the certificate key alone (jwk): no account key is involved.
    acme::ca_client(result.directory_url, ca_bundle)->acme().revoke_with_certificate_key(der, cert_key, reason);
    result.signed_with = "certificate key";
  }
  Logger::global().info(kComponent, "{}: certificate {} revoked ({}, signed with the {})", result.cert_name,
                        result.serial, revocation_reason_name(o.reason), result.signed_with);
  if (o.delete_after) {
    remove_lineage_files(store, result.cert_name, "remove it by hand; the certificate is revoked already");
    result.deleted = true;
    Logger::global().info(kComponent, "{}: deleted live/, archive/ and the renewal file", result.cert_name);
  }
  return result;
}

void remove_lineage_files(const CertStore& store, const std::string& name, const std::string& hint) {
  std::error_code ec;
  // status/<name>.json too: the metrics file would otherwise keep reporting a deleted lineage.
  for (const fs::path& p : {store.dir() / "live" / name, store.dir() / "archive" / name, store.renewal_file(name),
                            status_file(store, name)}) {
    fs::remove_all(p, ec);
    if (ec) throw StorageError("delete certificate", fmt::format("{}: {}", p.string(), ec.message()), hint);
  }
}

void delete_certificate(const Config& config, const std::string& name) {
  CertStore::check_name(name);
  const CertStore store(config.storage.dir);
  std::error_code ec;
  if (!store.current(name) && !fs::exists(store.renewal_file(name), ec) && !fs::exists(store.dir() / "archive" / name, ec))
    throw StorageError("find certificate", fmt::format("no certificate named '{}' in {}", name, store.dir().string()),
                       "`dns01 certificates` lists the certificates");
  // Not while a renew or issue of this lineage is running (it would store into a deleted tree).
  LineageLock lock(store.dir(), name);
  remove_lineage_files(store, name, "remove the rest by hand");
  Logger::global().info("delete", "{}: deleted live/, archive/ and the renewal file (not revoked)", name);
}

}  // namespace dns01::flow
