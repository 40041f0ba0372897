// ACME account storage per CA (accounts.hpp).
#include "dns01/flow/accounts.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <cerrno>

#include "dns01/acme/jws.hpp"
#include "dns01/log.hpp"
#include "dns01/raii.hpp"

namespace dns01::flow {

namespace fs = std::filesystem;

namespace {

// Registration takes a few requests; a run waiting longer than this for another one's is stuck.
constexpr auto kAccountLockWait = std::chrono::minutes(2);
constexpr std::size_t kMaxAccountFileBytes = 64 * 1024;

fs::path key_file(const fs::path& dir) { return dir / "private_key.pem"; }
fs::path record_file(const fs::path& dir) { return dir / "account.json"; }

std::string restore_hint(const fs::path& dir) {
  return fmt::format(
      "restore {} from a backup; or move {} away, and dns01 registers a new account at the next "
      "run (certificates already issued stay valid)",
      key_file(dir).string(), dir.string());
}

acme::PrivateKey load_key(const fs::path& dir) {
  try {
    return acme::PrivateKey::from_pem(read_file(key_file(dir), kMaxAccountFileBytes),
                                      key_file(dir).string());
  } catch (const StorageError& e) {
    throw StorageError("read account key",
                       fmt::format("the account key {} is damaged or unreadable ({})",
                                   key_file(dir).string(), e.cause()),
                       restore_hint(dir));
  }
}

// What account.json says, and whether it can be believed.
struct Record {
  enum State { absent, ok, damaged } state = absent;
  std::string url;
  std::string thumbprint;  // "" in files written before it was recorded
  std::string why;         // for damaged
};

Record read_record(const fs::path& dir) {
  Record r;
  FileRead file = read_regular_file(record_file(dir), kMaxAccountFileBytes, /*follow_links=*/false);
  if (file.problem == FileRead::cannot_open && file.error == ENOENT) return r;
  if (file.problem == FileRead::cannot_open || file.problem == FileRead::cannot_read)
    throw StorageError("read account", file.describe(record_file(dir), kMaxAccountFileBytes),
                       "make it readable by the user running dns01");
  r.state = Record::damaged;
  if (file.problem != FileRead::none) {
    r.why = file.describe(record_file(dir), kMaxAccountFileBytes);
    return r;
  }
  auto j = nlohmann::json::parse(file.data, nullptr, false);
  auto str = [&](const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
  };
  r.url = str("url");
  r.thumbprint = str("key_thumbprint");
  if (j.is_discarded() || !j.is_object())
    r.why = "it is not JSON (a torn or foreign file)";
  else if (!r.url.starts_with("https://") && !r.url.starts_with("http://"))
    r.why = "it names no account URL";
  else
    r.state = Record::ok;
  return r;
}

void store_record(const fs::path& dir, const acme::AcmeClient& client,
                  const std::vector<std::string>& contact) {
  nlohmann::json j = {{"url", client.account_url()},
                      {"contact", contact},
                      {"key_thumbprint", client.thumbprint()},
                      {"created", acme::format_rfc3339(acme::Clock::now())}};
  write_file_atomic(record_file(dir), j.dump(2) + "\n", 0600);
}

void register_and_store(acme::AcmeClient& client, const fs::path& dir, const AccountRequest& r) {
  // The client's own checks name no option; these say which dns01 option agrees or binds.
  const acme::Directory& d = client.directory();
  if (!d.meta.terms_of_service.empty() && !r.agree_tos)
    throw UsageError("account", "create account",
                     fmt::format("the CA requires agreeing to its terms of service ({})",
                                 d.meta.terms_of_service),
                     "read them, then pass --agree-tos or set [acme] agree_tos = true");
  if (d.meta.external_account_required && r.eab_kid.empty())
    throw UsageError("account", "create account", "the CA requires external account binding (EAB)",
                     "give --eab-kid and --eab-hmac-key-file (or [acme] eab_kid and "
                     "eab_hmac_key_file) with the values your CA issued");
  acme::NewAccountOptions options;
  if (!r.email.empty()) options.contact.push_back("mailto:" + r.email);
  options.agree_to_terms = r.agree_tos;
  if (!r.eab_kid.empty()) options.eab = acme::ExternalAccountBinding{r.eab_kid, r.eab_hmac_key, {}};
  acme::Account account = client.register_account(options);
  store_record(dir, client, account.contact);
}

// The account of the stored key, found again at the CA (onlyReturnExisting), or registered when
// the CA has none for it; account.json is rewritten either way.
void recover(acme::AcmeClient& client, const fs::path& dir, const AccountRequest& request) {
  try {
    acme::Account account = client.find_account();
    store_record(dir, client, account.contact);
  } catch (const AcmeError& e) {
    if (!acme::is_problem(e.problem(), "accountDoesNotExist")) throw;
    register_and_store(client, dir, request);
  }
}

// Whether the client signs with <dir>/private_key.pem. Not so with the configured account_key:
// then account.json of fresh storage means nothing, and the key's account is looked up first.
bool signs_with_stored_key(const fs::path& dir, const acme::AcmeClient& client) {
  std::error_code ec;
  if (!fs::exists(key_file(dir), ec)) return false;
  try {
    return acme::jwk_thumbprint(load_key(dir)) == client.thumbprint();
  } catch (const Error&) {
    return false;  // a damaged stored key is not the one signing (load_or_create would have thrown)
  }
}

acme::PrivateKey configured_key(const AcmeSettings& acme) {
  constexpr const char* hint =
      "give an unencrypted PEM private key (EC P-256/P-384 or RSA), e.g. account_key_file = "
      "\"/etc/dns01/account.key\" or DNS01_ACME_ACCOUNT_KEY_FILE";
  std::optional<acme::PrivateKey> key;
  try {
    key.emplace(acme::PrivateKey::from_pem(acme.account_key, "[acme] account_key"));
  } catch (const Error& e) {
    // The cause names the origin only, never the text (a secret).
    throw ConfigError("read [acme] account_key", e.cause(), hint);
  }
  // A secret copied through CI variables can arrive altered yet parsable; a key whose public
  // half does not match would only fail later as the CA's "JWS verification error".
  EvpPkeyCtxPtr ctx{EVP_PKEY_CTX_new(key->get(), nullptr)};
  const bool consistent = ctx && EVP_PKEY_check(ctx.get()) == 1;
  ERR_clear_error();
  if (!consistent)
    throw ConfigError("read [acme] account_key", "the key is damaged (its public and private parts do not match)",
                      hint);
  return std::move(*key);
}

}  // namespace

AccountKeySource account_key_source(const AcmeSettings& acme) {
  return acme.account_key.empty() ? AccountKeySource::storage : AccountKeySource::config;
}

std::string account_key_origin(const fs::path& dir, const AcmeSettings& acme) {
  return account_key_source(acme) == AccountKeySource::config ? "[acme] account_key"
                                                               : key_file(dir).string();
}

acme::PrivateKey account_key(const fs::path& dir, const AcmeSettings& acme) {
  if (account_key_source(acme) == AccountKeySource::storage) return load_or_create_account_key(dir);
  return configured_key(acme);
}

std::optional<StoredAccount> load_account(const fs::path& dir, const AcmeSettings& acme) {
  if (account_key_source(acme) == AccountKeySource::storage) return load_account(dir);
  StoredAccount account{configured_key(acme), {}};
  const Record r = read_record(dir);
  // A record without thumbprint was written for the stored key, never for a configured one.
  if (r.state == Record::ok && r.thumbprint == acme::jwk_thumbprint(account.key)) account.url = r.url;
  return account;
}

std::string account_dir_name(const std::string& directory_url) {
  std::string_view rest = directory_url;
  if (auto p = rest.find("://"); p != std::string_view::npos) rest.remove_prefix(p + 3);
  std::string out;
  for (char c : rest) {
    const bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
    if (keep)
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!out.empty() && out.back() != '_')
      out += '_';
  }
  while (!out.empty() && (out.back() == '_' || out.back() == '.')) out.pop_back();
  // A leading dot would hide the directory; ".." must never appear as a component.
  while (!out.empty() && out.front() == '.') out.erase(0, 1);
  if (out.empty()) out = "ca";
  return out;
}

fs::path account_dir(const CertStore& store, const std::string& directory_url) {
  return store.accounts_dir(account_dir_name(directory_url));
}

AccountLock::AccountLock(const fs::path& dir) {
  ensure_private_dir(dir);
  lock_.emplace(dir / ".lock", kAccountLockWait, "the ACME account " + dir.filename().string());
}

acme::PrivateKey load_or_create_account_key(const fs::path& dir) {
  ensure_private_dir(dir);
  std::error_code ec;
  if (fs::exists(key_file(dir), ec)) return load_key(dir);
  acme::PrivateKey key = acme::PrivateKey::generate(acme::KeyType::ec256);
  std::string pem = key.to_pem();
  // Write-once: of several runs starting together exactly one key is stored, and every run
  // signs with that one (two keys are two accounts, and a URL of one stored with the other key
  // fails every later request with "JWS verification error").
  bool created = false;
  try {
    created = create_file_atomic(key_file(dir), pem, 0600);
  } catch (...) {
    OPENSSL_cleanse(pem.data(), pem.size());
    throw;
  }
  OPENSSL_cleanse(pem.data(), pem.size());
  if (!created) return load_key(dir);
  Logger::global().debug("account", "new account key {}", key_file(dir).string());
  return key;
}

std::optional<StoredAccount> load_account(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(key_file(dir), ec)) return std::nullopt;
  StoredAccount account{load_key(dir), {}};
  const Record r = read_record(dir);
  if (r.state == Record::ok && (r.thumbprint.empty() || r.thumbprint == acme::jwk_thumbprint(account.key)))
    account.url = r.url;
  else if (r.state != Record::absent)
    Logger::global().warn("account", "{} does not belong to {}; the next `dns01 issue` repairs it",
                          record_file(dir).string(), key_file(dir).string());
  return account;
}

bool ensure_account(acme::AcmeClient& client, const fs::path& dir, const AccountRequest& request) {
  // One registration per CA at a time: the others wait and then use what the first one stored.
  AccountLock lock(dir);
  auto& log = Logger::global();
  const Record r = read_record(dir);
  if (r.state == Record::ok && r.thumbprint == client.thumbprint()) {
    client.set_account_url(r.url);
    return false;
  }
  if (!signs_with_stored_key(dir, client)) {
    // The configured key (fresh CI storage, or storage that held another key's account): its
    // account at the CA is the one to use; registering would make a new account every run.
    try {
      const acme::Account found = client.find_account();
      store_record(dir, client, found.contact);
      log.info("account", "using the existing account {} of [acme] account_key", client.account_url());
      return false;
    } catch (const AcmeError& e) {
      if (!acme::is_problem(e.problem(), "accountDoesNotExist")) throw;
    }
    log.info("account", "the CA has no account for [acme] account_key yet; registering one");
    register_and_store(client, dir, request);
    return true;
  }
  switch (r.state) {
    case Record::absent:
      register_and_store(client, dir, request);
      return true;
    case Record::damaged:
      log.warn("account", "{} is damaged ({}); finding the account of {} at the CA again",
               record_file(dir).string(), r.why, key_file(dir).string());
      break;
    case Record::ok:
      if (!r.thumbprint.empty()) {
        log.warn("account",
                 "{} names account {}, which belongs to another key than {}; finding the account "
                 "of that key at the CA again",
                 record_file(dir).string(), r.url, key_file(dir).string());
        break;
      }
      // Written before key thumbprints were recorded, possibly by parallel first runs that
      // stored one run's URL next to another run's key: ask the CA which account the key has.
      acme::Account found;
      try {
        found = client.find_account();
      } catch (const AcmeError& e) {
        if (!acme::is_problem(e.problem(), "accountDoesNotExist")) throw;
        log.warn("account", "{} names account {}, which the CA does not know for {}; registering",
                 record_file(dir).string(), r.url, key_file(dir).string());
        register_and_store(client, dir, request);
        return true;
      }
      if (client.account_url() != r.url)
        log.warn("account", "{} named account {}, but {} belongs to account {}; repaired",
                 record_file(dir).string(), r.url, key_file(dir).string(), client.account_url());
      store_record(dir, client, found.contact);
      return false;
  }
  recover(client, dir, request);
  return false;
}

void reregister_account(acme::AcmeClient& client, const fs::path& dir, const AccountRequest& request) {
  AccountLock lock(dir);
  std::error_code ec;
  fs::remove(record_file(dir), ec);
  client.set_account_url({});
  register_and_store(client, dir, request);
}

}  // namespace dns01::flow
