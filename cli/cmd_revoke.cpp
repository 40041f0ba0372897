// `dns01 revoke`: revoke a lineage's current certificate at its CA, signed with the stored
// account when there is one, else with the certificate's own key (RFC 8555 §7.6 accepts both).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "commands.hpp"
#include "lineage_files.hpp"
#include "dns01/acme/client.hpp"
#include "dns01/acme/csr.hpp"
#include "dns01/error.hpp"
#include "dns01/flow/accounts.hpp"
#include "dns01/flow/certinfo.hpp"
#include "dns01/flow/renewal.hpp"
#include "dns01/http.hpp"
#include "dns01/log.hpp"
#include "dns01/storage.hpp"

namespace dns01::cli {
namespace {

namespace fs = std::filesystem;

struct RevokeArgs {
  std::string cert_name;
  std::string cert_path, key_path;
  std::string reason = "unspecified";
  bool delete_after = false;
};

const std::map<std::string, acme::RevocationReason>& reasons() {
  static const std::map<std::string, acme::RevocationReason> m = {
      {"unspecified", acme::RevocationReason::unspecified},
      {"keycompromise", acme::RevocationReason::key_compromise},
      {"affiliationchanged", acme::RevocationReason::affiliation_changed},
      {"superseded", acme::RevocationReason::superseded},
      {"cessationofoperation", acme::RevocationReason::cessation_of_operation}};
  return m;
}

// The CA and trust of the lineage: its renewal file, else the configuration's [acme].
std::pair<std::string, std::string> server_of(const CertStore& store, const std::string& name,
                                              const Config& config) {
  std::error_code ec;
  if (fs::exists(store.renewal_file(name), ec)) {
    auto r = flow::load_renewal(store, name);
    return {r.server, r.ca_bundle};
  }
  Logger::global().warn("revoke", "{} has no renewal file; using [acme] server {}", name, config.acme.server);
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

// certbot's `revoke --cert-path`: a file under live/<name>/ or archive/<name>/ belongs to that
// lineage (an older archive version is revoked as given); any other file is revoked on its own,
// at [acme] server, signed by the stored account or by --key-path.
Target path_target(const CertStore& store, const std::string& cert_path, const std::string& key_path) {
  std::error_code ec;
  const fs::path cert = fs::weakly_canonical(cert_path, ec);
  if (ec || !fs::is_regular_file(cert, ec))
    throw UsageError("revoke", "read --cert-path", fmt::format("{} is not a readable file", cert_path),
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

int run_revoke(const RevokeArgs& args, Context& ctx) {
  std::string reason_name = args.reason;
  for (auto& c : reason_name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto reason_it = reasons().find(reason_name);
  if (reason_it == reasons().end())
    throw UsageError("revoke", "read --reason", fmt::format("unknown reason '{}'", args.reason),
                     "use unspecified, keycompromise, affiliationchanged, superseded or cessationofoperation");
  if (args.cert_name.empty() == args.cert_path.empty())
    throw UsageError("revoke", "read the options", "name the certificate with --cert-name or --cert-path (one of them)",
                     "`dns01 certificates` lists the certificates");
  const Config& config = ctx.config();
  const CertStore store(config.storage.dir);
  Target target = args.cert_path.empty() ? lineage_target(store, args.cert_name)
                                         : path_target(store, args.cert_path, args.key_path);
  RevokeArgs effective = args;
  effective.cert_name = target.cert_name;
  const std::string pem = read_file(target.cert);
  const flow::CertInfo info = flow::inspect_certificate(pem, target.cert.string());
  const Bytes der = acme::certificate_der(acme::parse_pem_certificates(pem).front().get());
  if (effective.delete_after && effective.cert_name.empty())
    throw UsageError("revoke", "read --delete-after-revoke",
                     fmt::format("{} belongs to no certificate of {}", target.cert.string(), store.dir().string()),
                     "drop --delete-after-revoke; there is nothing of dns01's to delete");

  auto [server, ca_bundle] = target.cert_name.empty()
                                 ? std::pair{config.acme.server, config.acme.ca_bundle}
                                 : server_of(store, target.cert_name, config);
  const std::string directory_url = acme::resolve_directory_url(server);
  HttpOptions http_options;
  http_options.ca_bundle = ca_bundle;
  http_options.ca_bundle_only = !ca_bundle.empty();
  http_options.component = "acme";
  HttpClient http(http_options);
  acme::AcmeClientOptions options;
  options.directory_url = directory_url;

  // No reason code at all for "unspecified" (RFC 5280 recommends omitting it).
  std::optional<acme::RevocationReason> reason;
  if (reason_it->second != acme::RevocationReason::unspecified) reason = reason_it->second;

  auto account = flow::load_account(flow::account_dir(store, directory_url));
  std::string signed_with;
  if (account && !account->url.empty()) {
    acme::AcmeClient client(http, std::move(account->key), options);
    client.set_account_url(account->url);
    try {
      client.revoke(der, reason);
      signed_with = "account";
    } catch (const AcmeError& e) {
      // Another account issued it, or the CA forgot ours (test CAs): the key still can.
      if (!acme::is_problem(e.problem(), "unauthorized") &&
          !acme::is_problem(e.problem(), "accountDoesNotExist"))
        throw;
      Logger::global().warn("revoke", "the stored account may not revoke it ({}); using the certificate key",
                            Redactor::global().apply(e.what()));
    }
  }
  if (signed_with.empty()) {
    if (target.key.empty())
      throw UsageError("revoke", "sign the revocation",
                       "no stored account for this CA and no certificate key was given",
                       "add --key-path with the certificate's private key");
    acme::PrivateKey cert_key = acme::PrivateKey::load(target.key);
    // The client needs an account key even though this request is signed with the cert key.
    acme::AcmeClient client(http, acme::PrivateKey::generate(acme::KeyType::ec256), options);
    client.revoke_with_certificate_key(der, cert_key, reason);
    signed_with = "certificate key";
  }
  Logger::global().info("revoke", "{}: certificate {} revoked ({}, signed with the {})", effective.cert_name,
                        info.serial, reason_name, signed_with);
  if (effective.delete_after) {
    delete_lineage(store, effective.cert_name, "remove it by hand; the certificate is revoked already");
    Logger::global().info("revoke", "{}: deleted live/, archive/ and the renewal file", effective.cert_name);
  }

  if (ctx.global.json) {
    std::puts(nlohmann::json{{"ok", true},
                             {"cert_name", effective.cert_name},
                             {"serial", info.serial},
                             {"reason", reason_name},
                             {"server", directory_url},
                             {"signed_with", signed_with},
                             {"deleted", effective.delete_after}}
                  .dump()
                  .c_str());
  } else {
    std::puts(fmt::format("revoked {} (serial {})", effective.cert_name, info.serial).c_str());
    if (effective.delete_after) std::puts(fmt::format("deleted {}", effective.cert_name).c_str());
  }
  return 0;
}

}  // namespace

void register_revoke(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<RevokeArgs>();
  auto* cmd = app.add_subcommand("revoke", "Revoke a certificate's current version at its CA");
  cmd->add_option("--cert-name", args->cert_name, "The certificate (lineage name)");
  cmd->add_option("--cert-path", args->cert_path,
                  "The certificate file instead of --cert-name (certbot's habit): a file of a stored "
                  "certificate, or any certificate from [acme] server");
  cmd->add_option("--key-path", args->key_path,
                  "With --cert-path: the certificate's private key, to sign when no stored account may");
  cmd->add_option("--reason", args->reason,
                  "unspecified (default), keycompromise, affiliationchanged, superseded or "
                  "cessationofoperation");
  cmd->add_flag("--delete-after-revoke", args->delete_after,
                "Then delete live/<name>, archive/<name> and the renewal file");
  cmd->callback([args, &ctx] { ctx.run = [args, &ctx] { return run_revoke(*args, ctx); }; });
}

}  // namespace dns01::cli
