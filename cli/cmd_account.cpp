// `dns01 account show|update|rollover|deactivate`: the stored ACME account of a CA (certbot's
// show_account / update_account / unregister, lego's accounts keyrollover). The account is the
// one issue/renew use: accounts/<ca-id>/ of [storage] dir, signed with the key stored there or
// with [acme] account_key when that is set (flow/accounts.hpp); the output says which.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "dns01/acme/client.hpp"
#include "dns01/error.hpp"
#include "dns01/flow/accounts.hpp"
#include "dns01/http.hpp"
#include "dns01/log.hpp"
#include "dns01/storage.hpp"

namespace dns01::cli {
namespace {

namespace fs = std::filesystem;

struct AccountArgs {
  std::optional<std::string> server, ca_bundle;
  std::vector<std::string> emails;
  bool no_email = false;
  bool yes = false;
};

// The CA's stored account, with a client signing as it. StorageError when there is none.
struct Session {
  std::string directory_url;
  fs::path dir;
  flow::AccountKeySource key_source = flow::AccountKeySource::storage;
  std::string key_origin;  // "[acme] account_key" or the stored key's path
  std::unique_ptr<HttpClient> http;
  std::unique_ptr<acme::AcmeClient> client;
};

Session open(const AccountArgs& a, Context& ctx) {
  const Config& config = ctx.config();
  Session s;
  s.directory_url = acme::resolve_directory_url(a.server.value_or(config.acme.server));
  const std::string ca_bundle = a.ca_bundle.value_or(config.acme.ca_bundle);
  const CertStore store(config.storage.dir);
  s.dir = flow::account_dir(store, s.directory_url);
  s.key_source = flow::account_key_source(config.acme);
  s.key_origin = flow::account_key_origin(s.dir, config.acme);
  auto stored = flow::load_account(s.dir, config.acme);
  // The configured key's account may exist at the CA with nothing stored yet (a fresh CI
  // runner): it is looked up below, never created here.
  const bool look_up = s.key_source == flow::AccountKeySource::config && stored && stored->url.empty();
  if (!look_up && (!stored || stored->url.empty()))
    throw StorageError("find the ACME account",
                       fmt::format("no registered account for {} in {}", s.directory_url, s.dir.string()),
                       "`dns01 issue` creates it (with --agree-tos); --server names another CA");
  HttpOptions http_options;
  http_options.ca_bundle = ca_bundle;
  http_options.ca_bundle_only = !ca_bundle.empty();
  http_options.component = "acme";
  s.http = std::make_unique<HttpClient>(http_options);
  acme::AcmeClientOptions options;
  options.directory_url = s.directory_url;
  s.client = std::make_unique<acme::AcmeClient>(*s.http, std::move(stored->key), options);
  if (look_up) {
    try {
      s.client->find_account();
    } catch (const AcmeError& e) {
      if (!acme::is_problem(e.problem(), "accountDoesNotExist")) throw;
      throw StorageError("find the ACME account",
                         fmt::format("{} has no account for [acme] account_key", s.directory_url),
                         "`dns01 issue` registers it (with --agree-tos); --server names another CA");
    }
  } else {
    s.client->set_account_url(stored->url);
  }
  return s;
}

nlohmann::json to_json(const Session& s, const acme::Account& a) {
  const bool configured = s.key_source == flow::AccountKeySource::config;
  return {{"ok", true},           {"server", s.directory_url}, {"url", s.client->account_url()},
          {"status", a.status},   {"contact", a.contact},      {"thumbprint", s.client->thumbprint()},
          {"directory", s.dir.string()},
          {"key_source", configured ? "config" : "storage"},
          {"key", s.key_origin}};
}

void print(const Session& s, const acme::Account& a, Context& ctx) {
  if (ctx.global.json) {
    std::puts(to_json(s, a).dump().c_str());
    return;
  }
  const std::string key = s.key_source == flow::AccountKeySource::config
                              ? "[acme] account_key (configuration; not stored)"
                              : s.key_origin;
  std::printf("Account URL: %s\nStatus: %s\nContact: %s\nKey: %s\nKey thumbprint: %s\nCA: %s\nStored in: %s\n",
              s.client->account_url().c_str(), a.status.c_str(),
              a.contact.empty() ? "(none)" : fmt::format("{}", fmt::join(a.contact, ", ")).c_str(),
              key.c_str(), s.client->thumbprint().c_str(), s.directory_url.c_str(), s.dir.c_str());
}

int run_show(const AccountArgs& a, Context& ctx) {
  Session s = open(a, ctx);
  print(s, s.client->fetch_account(), ctx);
  return 0;
}

int run_update(const AccountArgs& a, Context& ctx) {
  if (a.emails.empty() && !a.no_email)
    throw UsageError("account", "read the options", "nothing to update",
                     "give --email ADDRESS (repeatable) or --no-email to remove every contact");
  if (!a.emails.empty() && a.no_email)
    throw UsageError("account", "read the options", "--email and --no-email contradict each other",
                     "give one of them");
  std::vector<std::string> contact;
  for (const auto& e : a.emails) {
    if (e.empty() || e.find('@') == std::string::npos || e.find_first_of(" ,;") != std::string::npos)
      throw UsageError("account", "read --email", fmt::format("'{}' is not an e-mail address", e),
                       "give one address per --email, e.g. --email admin@example.com");
    contact.push_back("mailto:" + e);
  }
  Session s = open(a, ctx);
  const acme::Account updated = s.client->update_contacts(contact);
  Logger::global().info("account", "contact of {} is now {}", s.client->account_url(),
                        contact.empty() ? "(none)" : fmt::format("{}", fmt::join(contact, ", ")));
  print(s, updated, ctx);
  return 0;
}

int run_rollover(const AccountArgs& a, Context& ctx) {
  if (flow::account_key_source(ctx.config().acme) == flow::AccountKeySource::config)
    // The new key would have to be written where the secret lives, which dns01 does not own.
    throw UsageError("account", "roll over the account key",
                     "the account key comes from [acme] account_key, which dns01 does not store",
                     "roll it over with a tool that writes your secret store, or remove account_key "
                     "to roll over a key stored under [storage] dir");
  Session s = open(a, ctx);
  const fs::path key_file = s.dir / "private_key.pem";
  const fs::path next_file = s.dir / "private_key.pem.next";
  // The new key is on disk before the CA switches to it, so a crash in between leaves it
  // recoverable (the .next file holds the key the CA may already know).
  acme::PrivateKey next = acme::PrivateKey::generate(acme::KeyType::ec256);
  write_file_atomic(next_file, next.to_pem(), 0600);
  const std::string old_thumbprint = s.client->thumbprint();
  try {
    s.client->change_account_key(acme::PrivateKey::load(next_file));
  } catch (...) {
    std::error_code ec;
    fs::remove(next_file, ec);
    throw;
  }
  std::error_code ec;
  fs::rename(next_file, key_file, ec);
  if (ec)
    throw StorageError("store the new account key",
                       fmt::format("{} -> {}: {}", next_file.string(), key_file.string(), ec.message()),
                       fmt::format("the CA already uses the key in {}: move it to {} by hand",
                                   next_file.string(), key_file.string()));
  // account.json names the old key's thumbprint: write it again for the new key (newAccount
  // with an existing key only returns the account).
  fs::remove(s.dir / "account.json", ec);
  flow::AccountRequest request;
  request.agree_tos = true;  // the account exists: nothing new is agreed to
  flow::ensure_account(*s.client, s.dir, request);
  Logger::global().info("account", "account key rolled over: {} -> {}", old_thumbprint, s.client->thumbprint());
  print(s, s.client->fetch_account(), ctx);
  return 0;
}

int run_deactivate(const AccountArgs& a, Context& ctx) {
  if (!a.yes)
    throw UsageError("account", "deactivate the account", "deactivation cannot be undone",
                     "add --yes to confirm; certificates already issued stay valid, but this account "
                     "can neither order nor revoke any more");
  Session s = open(a, ctx);
  const acme::Account gone = s.client->deactivate_account();
  // Forget it locally, so the next `issue` registers a new account instead of failing. A stored
  // key that did not sign (account_key is set) belongs to another account and stays.
  std::error_code ec;
  fs::remove(s.dir / "account.json", ec);
  if (s.key_source == flow::AccountKeySource::storage) fs::remove(s.dir / "private_key.pem", ec);
  Logger::global().info("account", "{} deactivated; its local files were removed", s.client->account_url());
  print(s, gone, ctx);
  return 0;
}

void common(CLI::App* cmd, AccountArgs& a) {
  cmd->add_option("--server", a.server,
                  "ACME directory URL or shortcut whose account to use (default: [acme] server)");
  cmd->add_option("--ca-bundle", a.ca_bundle, "CA bundle (PEM) for the ACME server (default: [acme] ca_bundle)");
}

}  // namespace

void register_account(CLI::App& app, Context& ctx) {
  auto* account = app.add_subcommand(
      "account", "Show, update, roll over or deactivate the stored ACME account of a CA");
  account->require_subcommand(1);

  auto show = std::make_shared<AccountArgs>();
  auto* cmd = account->add_subcommand("show", "Print the account: URL, status, contacts, key thumbprint");
  common(cmd, *show);
  cmd->callback([show, &ctx] { ctx.run = [show, &ctx] { return run_show(*show, ctx); }; });

  auto update = std::make_shared<AccountArgs>();
  cmd = account->add_subcommand("update", "Replace the account's contact addresses at the CA");
  common(cmd, *update);
  cmd->add_option("--email", update->emails, "Contact address (repeatable, or comma-separated)")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_flag("--no-email", update->no_email, "Remove every contact address");
  cmd->callback([update, &ctx] { ctx.run = [update, &ctx] { return run_update(*update, ctx); }; });

  auto rollover = std::make_shared<AccountArgs>();
  cmd = account->add_subcommand("rollover", "Replace the account key (RFC 8555 key change); the account stays");
  common(cmd, *rollover);
  cmd->callback([rollover, &ctx] { ctx.run = [rollover, &ctx] { return run_rollover(*rollover, ctx); }; });

  auto deactivate = std::make_shared<AccountArgs>();
  cmd = account->add_subcommand("deactivate", "Deactivate the account at the CA for good (needs --yes)");
  common(cmd, *deactivate);
  cmd->add_flag("--yes", deactivate->yes, "Confirm: deactivation cannot be undone");
  cmd->callback([deactivate, &ctx] { ctx.run = [deactivate, &ctx] { return run_deactivate(*deactivate, ctx); }; });
}

}  // namespace dns01::cli
