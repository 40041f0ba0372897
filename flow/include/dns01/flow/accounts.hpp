#pragma once
// ACME accounts stored per CA: <storage>/accounts/<ca-id>/{private_key.pem,account.json}.
//
// <ca-id> is the directory URL's host, port and path made file-name safe
// ("acme-v02.api.letsencrypt.org_directory", "127.0.0.1_14000_dir"), so staging and production
// (or two private CAs) never share an account.
//
// Runs that start together on empty storage end up with ONE account: the key is created
// write-once (create_file_atomic: the first complete file wins, the others load it), and
// registration plus the write of account.json happen under <dir>/.lock, so the others wait and
// use the stored URL. account.json records the key's JWK thumbprint; a file that does not match
// the key (or cannot be parsed, or predates the thumbprint) is explained in a warning and
// repaired by asking the CA for the key's account (onlyReturnExisting), registering only when
// the CA has none. A key that cannot be read is a StorageError that says how to recover.
//
// Ephemeral runners (CI) give the key instead: [acme] account_key (a secret: account_key_file,
// DNS01_ACME_ACCOUNT_KEY[_FILE]). That key signs instead of the stored one and is never written
// into storage; account.json still records its account URL and thumbprint, and when there is
// none (fresh storage) the key's existing account is found at the CA (onlyReturnExisting), so a
// runner starting from nothing uses the same account every run. Only when the CA has no account
// for the key is one registered (needs agree_tos, like any registration).
//
// Errors: StorageError for unreadable/unwritable files; ConfigError for an [acme] account_key
// that is no usable key; UsageError when the CA needs terms of service agreed or EAB
// credentials; InterruptedError when a signal ends the wait for the lock.
// Thread-safety: callers hold the lineage lock; the account lock serializes processes.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "dns01/acme/client.hpp"
#include "dns01/config.hpp"
#include "dns01/storage.hpp"

namespace dns01::flow {

// The file-name-safe id of a CA directory URL.
std::string account_dir_name(const std::string& directory_url);
std::filesystem::path account_dir(const CertStore& store, const std::string& directory_url);

// Where the account key of a run comes from.
enum class AccountKeySource { storage, config };
AccountKeySource account_key_source(const AcmeSettings& acme);
// "[acme] account_key" or "<dir>/private_key.pem", for messages and `dns01 account`.
std::string account_key_origin(const std::filesystem::path& dir, const AcmeSettings& acme);

struct StoredAccount {
  acme::PrivateKey key;
  std::string url;  // "" when the key exists but registration never completed
};
// nullopt when no key is stored there; url is "" when account.json is missing, damaged or
// belongs to another key (a warning says so).
std::optional<StoredAccount> load_account(const std::filesystem::path& dir);
// The same with [acme] account_key taken into account: with it set, never nullopt (the key is the
// configured one; url is account.json's when that names this key's account, else "").
std::optional<StoredAccount> load_account(const std::filesystem::path& dir, const AcmeSettings& acme);

// Holds <dir>/.lock (creating `dir`); waits up to two minutes for another run's registration.
class AccountLock {
 public:
  explicit AccountLock(const std::filesystem::path& dir);

 private:
  std::optional<FileLock> lock_;
};

// The account key of `dir`, generated (ec256) and saved when there is none (write-once).
acme::PrivateKey load_or_create_account_key(const std::filesystem::path& dir);
// The key a run signs with: [acme] account_key when set (parsed, never stored; ConfigError when
// it is no usable key), else load_or_create_account_key(dir). What issue/renew/apply call.
acme::PrivateKey account_key(const std::filesystem::path& dir, const AcmeSettings& acme);

struct AccountRequest {
  std::string email;  // "" = no contact
  bool agree_tos = false;
  std::string eab_kid, eab_hmac_key;
};

// Makes the client's account usable: the stored URL when account.json names the client key's
// account; else, for a key that is not <dir>/private_key.pem (the configured account_key), the
// key's account found at the CA; else newAccount. account.json is written whenever it changed.
// Returns true when it registered.
bool ensure_account(acme::AcmeClient& client, const std::filesystem::path& dir,
                    const AccountRequest& request);
// Forgets the stored URL and registers again (when the CA no longer knows the account, e.g. a
// test CA restarted).
void reregister_account(acme::AcmeClient& client, const std::filesystem::path& dir,
                        const AccountRequest& request);

}  // namespace dns01::flow
