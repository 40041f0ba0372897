#pragma once
// ACME accounts stored per CA: <storage>/accounts/<ca-id>/{private_key.pem,account.json}.
//
// <ca-id> is the directory URL's host, port and path made file-name safe
// ("acme-v02.api.letsencrypt.org_directory", "127.0.0.1_14000_dir"), so staging and production
// (or two private CAs) never share an account. The key is saved (0600, atomically) before the
// account is registered: a run killed in between reuses the key, and newAccount with a known key
// returns the existing account instead of creating a second one.
//
// Errors: StorageError for unreadable/unwritable files (a corrupt account.json names the file and
// says to delete it); UsageError when the CA needs terms of service agreed or EAB credentials.
// Thread-safety: callers hold the lineage lock; two lineages creating the first account of a CA at
// once both end up with the same account (the key file is written once, atomically).
#include <filesystem>
#include <optional>
#include <string>

#include "dns01/acme/client.hpp"
#include "dns01/storage.hpp"

namespace dns01::flow {

// The file-name-safe id of a CA directory URL.
std::string account_dir_name(const std::string& directory_url);
std::filesystem::path account_dir(const CertStore& store, const std::string& directory_url);

struct StoredAccount {
  acme::PrivateKey key;
  std::string url;  // "" when the key exists but registration never completed
};
// nullopt when no key is stored there.
std::optional<StoredAccount> load_account(const std::filesystem::path& dir);

// The account key of `dir`, generated (ec256) and saved when there is none.
acme::PrivateKey load_or_create_account_key(const std::filesystem::path& dir);

struct AccountRequest {
  std::string email;  // "" = no contact
  bool agree_tos = false;
  std::string eab_kid, eab_hmac_key;
};

// Makes the client's account usable: the stored URL when there is one, else newAccount (then
// account.json is written). Returns true when it registered.
bool ensure_account(acme::AcmeClient& client, const std::filesystem::path& dir,
                    const AccountRequest& request);
// Forgets the stored URL and registers again (when the CA no longer knows the account, e.g. a
// test CA restarted).
void reregister_account(acme::AcmeClient& client, const std::filesystem::path& dir,
                        const AccountRequest& request);

}  // namespace dns01::flow
