// `dns01 issue`: order, prove and store a certificate; progress on stderr, --json on stdout.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "propagation_options.hpp"
#include "dns01/config.hpp"
#include "dns01/flow/issue.hpp"
#include "dns01/log.hpp"
#include "dns01/signals.hpp"

namespace dns01::cli {
namespace {

struct IssueArgs {
  std::vector<std::string> domains;
  std::optional<std::string> cert_name, key_type, server, ca_bundle, email, eab_kid, eab_hmac_key,
      eab_hmac_key_file, profile, preferred_chain, lock_wait;
  bool agree_tos = false, reuse_key = false, dry_run = false, expand = false, shrink = false,
       force_renewal = false, preflight = false;
  std::vector<std::string> deploy_hooks;
  PropagationArgs propagation;
};

flow::IssueOptions options_from(const IssueArgs& a, Context& ctx) {
  const Config& config = ctx.config();
  flow::IssueOptions o = flow::options_from_config(config);
  o.domains = a.domains;
  if (a.cert_name) o.cert_name = *a.cert_name;
  if (a.key_type) o.key_type = *a.key_type;
  if (a.server) o.server = *a.server;
  if (a.ca_bundle) o.ca_bundle = *a.ca_bundle;
  if (a.email) o.email = *a.email;
  if (a.agree_tos) o.agree_tos = true;
  if (a.eab_kid) o.eab_kid = *a.eab_kid;
  if (a.eab_hmac_key) {
    Redactor::global().add_secret(*a.eab_hmac_key);
    o.eab_hmac_key = *a.eab_hmac_key;
  }
  if (a.eab_hmac_key_file)
    o.eab_hmac_key = read_secret_file(*a.eab_hmac_key_file, ctx.global.allow_insecure_secret_files,
                                      {"command line", 0, 0});
  if (!o.eab_kid.empty() && o.eab_hmac_key.empty())
    throw UsageError("issue", "read the EAB options", "--eab-kid needs the MAC key too",
                     "add --eab-hmac-key-file FILE (or [acme] eab_hmac_key_file)");
  if (a.profile) o.profile = *a.profile;
  if (a.preferred_chain) o.preferred_chain = *a.preferred_chain;
  o.reuse_key = a.reuse_key;
  o.dry_run = a.dry_run;
  o.expand = a.expand;
  o.shrink = a.shrink;
  o.force_renewal = a.force_renewal;
  o.deploy_hooks = a.deploy_hooks;
  if (a.lock_wait) {
    try {
      o.lock_wait = parse_duration(*a.lock_wait);
    } catch (const std::invalid_argument& e) {
      throw UsageError("issue", "read --lock-wait", e.what(), "durations look like 90s, 2m or 500ms");
    }
  }
  return o;
}

int run_issue(const IssueArgs& args, Context& ctx) {
  const flow::IssueOptions options = options_from(args, ctx);
  const Config config = with_propagation(ctx.config(), args.propagation, "issue");
  // SIGINT/SIGTERM become a cancellation: records are removed before the exit (130).
  StopOnSignals stop;
  flow::EngineOptions engine;
  engine.concurrency = 1;
  engine.preflight = args.preflight;
  const flow::IssueResult result = flow::issue(config, options, engine);
  auto& log = Logger::global();
  if (result.status == flow::IssueStatus::not_due) {
    // Logged by issue(); the paths still go to stdout below, as for a new certificate.
  } else if (result.dry_run) {
    log.info("issue", "dry run succeeded in {} ms: nothing was stored", result.timings.total);
  } else {
    log.info("issue", "done in {} ms: {}", result.timings.total, result.paths.fullchain.string());
  }
  if (!result.cleanup_errors.empty())
    log.warn("issue", "{} record(s) could not be removed; `dns01 cleanup --stale` retries them",
             result.cleanup_errors.size());
  if (ctx.global.json) {
    std::puts(result.to_json().dump().c_str());
  } else if (!result.dry_run) {
    // The paths on stdout, so scripts can use them without --json.
    std::printf("%s\n%s\n", result.paths.fullchain.c_str(), result.paths.privkey.c_str());
  }
  return 0;
}

}  // namespace

void register_issue(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<IssueArgs>();
  auto* cmd = app.add_subcommand(
      "issue",
      "Issue a certificate through DNS-01: write every TXT record, wait until every authoritative "
      "nameserver serves them, let the CA validate, remove the records, store the certificate");
  cmd->add_option("-d,--domain", a->domains,
                  "Name to include (repeatable, or comma-separated: -d example.com,www.example.com); "
                  "'*.example.com' for a wildcard")
      ->required()
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_option("--cert-name", a->cert_name, "Lineage name under live/ (default: first name without '*.')");
  cmd->add_option("--key-type", a->key_type, "Certificate key: ec256 (default), ec384, rsa2048, rsa3072, rsa4096")
      ->check(CLI::IsMember({"ec256", "ec384", "rsa2048", "rsa3072", "rsa4096"}));
  cmd->add_option("--server", a->server,
                  "ACME directory URL or shortcut: letsencrypt, letsencrypt-staging, zerossl, google, "
                  "google-staging, buypass, buypass-staging, actalis, sslcom (default: [acme] server, "
                  "else letsencrypt)");
  cmd->add_option("--ca-bundle", a->ca_bundle, "CA bundle (PEM) the ACME server's certificate must chain to, instead of the system store (private CAs)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--email", a->email, "Contact address for a new ACME account");
  cmd->add_flag("--agree-tos", a->agree_tos, "Agree to the CA's terms of service (needed to create an account)");
  cmd->add_option("--eab-kid", a->eab_kid, "External account binding key ID (ZeroSSL, Google, Actalis, ...)");
  auto* inline_key = cmd->add_option("--eab-hmac-key", a->eab_hmac_key,
                                     "EAB MAC key (visible in `ps`: prefer --eab-hmac-key-file)");
  cmd->add_option("--eab-hmac-key-file", a->eab_hmac_key_file, "File holding the EAB MAC key (mode 600)")
      ->excludes(inline_key);
  cmd->add_option("--profile", a->profile, "ACME profile to request (when the CA offers several)");
  cmd->add_option("--preferred-chain", a->preferred_chain,
                  "Pick the chain whose top issuer has this common name (e.g. \"ISRG Root X1\")");
  cmd->add_flag("--reuse-key", a->reuse_key, "Keep the lineage's current private key");
  cmd->add_flag("--expand", a->expand,
                "Let this run add names to an existing certificate (otherwise refused)");
  cmd->add_flag("--shrink", a->shrink,
                "Let this run remove names from an existing certificate (otherwise refused, or a new "
                "certificate NAME-0001 is made when --cert-name was not given)");
  cmd->add_flag("--force-renewal", a->force_renewal,
                "Order a new certificate even when the certificate holds these names and is not due "
                "(by default such a run does nothing and exits 0)");
  cmd->add_flag("--dry-run", a->dry_run,
                "Go through the whole flow (against the staging CA for letsencrypt/google/buypass; "
                "other CAs issue a real certificate) with fresh authorizations, and store nothing but "
                "the account");
  cmd->add_option("--deploy-hook", a->deploy_hooks,
                  "Shell command run after the certificate is stored, with RENEWED_LINEAGE and "
                  "RENEWED_DOMAINS set (repeatable; saved for renew)")
      ->allow_extra_args(false);
  cmd->add_flag("--preflight", a->preflight,
                "Before ordering, prove the provider instance can write (a canary TXT value added, "
                "seen at the update source, removed) and every authoritative nameserver answers");
  cmd->add_option("--lock-wait", a->lock_wait,
                  "Wait this long for another dns01 run holding the same lineage (default 0s: fail at once)");
  add_propagation_options(cmd, a->propagation);
  cmd->callback([a, &ctx] { ctx.run = [a, &ctx] { return run_issue(*a, ctx); }; });
}

}  // namespace dns01::cli
