// ACME account storage per CA (accounts.hpp).
#include "dns01/flow/accounts.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cctype>

#include "dns01/log.hpp"

namespace dns01::flow {

namespace fs = std::filesystem;

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

acme::PrivateKey load_or_create_account_key(const fs::path& dir) {
  const fs::path key_path = dir / "private_key.pem";
  std::error_code ec;
  if (fs::exists(key_path, ec)) return acme::PrivateKey::load(key_path);
  ensure_private_dir(dir);
  acme::PrivateKey key = acme::PrivateKey::generate(acme::KeyType::ec256);
  key.save(key_path);
  Logger::global().debug("account", "new account key {}", key_path.string());
  return key;
}

namespace {

std::string stored_url(const fs::path& dir) {
  const fs::path file = dir / "account.json";
  std::error_code ec;
  if (!fs::exists(file, ec)) return {};
  try {
    auto j = nlohmann::json::parse(read_file(file));
    if (j.is_object() && j.contains("url") && j["url"].is_string()) return j["url"].get<std::string>();
  } catch (const nlohmann::json::exception&) {
  }
  throw StorageError(fmt::format("read {}", file.string()), "the file is not a dns01 account record",
                     "delete it; dns01 finds the account again from the key in private_key.pem");
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
  nlohmann::json j = {{"url", account.url},
                      {"contact", account.contact},
                      {"created", acme::format_rfc3339(acme::Clock::now())}};
  write_file_atomic(dir / "account.json", j.dump(2) + "\n", 0600);
}

}  // namespace

std::optional<StoredAccount> load_account(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir / "private_key.pem", ec)) return std::nullopt;
  return StoredAccount{acme::PrivateKey::load(dir / "private_key.pem"), stored_url(dir)};
}

bool ensure_account(acme::AcmeClient& client, const fs::path& dir, const AccountRequest& request) {
  if (std::string url = stored_url(dir); !url.empty()) {
    client.set_account_url(std::move(url));
    return false;
  }
  register_and_store(client, dir, request);
  return true;
}

void reregister_account(acme::AcmeClient& client, const fs::path& dir, const AccountRequest& request) {
  std::error_code ec;
  fs::remove(dir / "account.json", ec);
  client.set_account_url({});
  register_and_store(client, dir, request);
}

}  // namespace dns01::flow
