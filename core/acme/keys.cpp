#include "dns01/acme/keys.hpp"
#include "dns01/storage.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dns01/error.hpp"

namespace dns01::acme {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

[[noreturn]] void openssl_fail(std::string step) { throw_openssl_error("acme", std::move(step)); }

// nullopt-like: returns false when the key is of a type we do not support.
bool classify(EVP_PKEY* key, KeyType& out) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_EC: {
      char group[64] = {};
      size_t len = 0;
      if (!EVP_PKEY_get_group_name(key, group, sizeof group, &len)) return false;
      std::string g = lower(group);
      if (g == "prime256v1" || g == "p-256" || g == "secp256r1") { out = KeyType::ec256; return true; }
      if (g == "secp384r1" || g == "p-384") { out = KeyType::ec384; return true; }
      return false;
    }
    case EVP_PKEY_RSA:
      switch (EVP_PKEY_get_bits(key)) {
        case 2048: out = KeyType::rsa2048; return true;
        case 3072: out = KeyType::rsa3072; return true;
        case 4096: out = KeyType::rsa4096; return true;
        default: return false;
      }
    default: return false;
  }
}

}  // namespace

namespace {

// Indexed by KeyType; key_type_names() and key_type_name() read the same array.
constexpr std::string_view kKeyTypeNames[] = {"ec256", "ec384", "rsa2048", "rsa3072", "rsa4096"};

struct KeyTypeAlias {
  std::string_view alias;
  KeyType type;
};
constexpr KeyTypeAlias kKeyTypeAliases[] = {{"p256", KeyType::ec256},
                                            {"ecdsa-p256", KeyType::ec256},
                                            {"p384", KeyType::ec384},
                                            {"ecdsa-p384", KeyType::ec384}};

}  // namespace

std::span<const std::string_view> key_type_names() noexcept { return kKeyTypeNames; }

KeyType parse_key_type(std::string_view name) {
  const std::string n = lower(name);
  for (std::size_t i = 0; i < std::size(kKeyTypeNames); ++i)
    if (n == kKeyTypeNames[i]) return static_cast<KeyType>(i);
  for (const auto& a : kKeyTypeAliases)
    if (n == a.alias) return a.type;
  throw UsageError("acme", "parse key type", fmt::format("unknown key type '{}'", name),
                   fmt::format("use one of {}", fmt::join(kKeyTypeNames, ", ")));
}

const char* key_type_name(KeyType type) noexcept {
  const auto i = static_cast<std::size_t>(type);
  return i < std::size(kKeyTypeNames) ? kKeyTypeNames[i].data() : "?";
}

PrivateKey::PrivateKey(EvpPkeyPtr key) : key_(std::move(key)), type_(KeyType::ec256) {
  if (!key_) throw Error(ErrorCategory::internal, "acme", "load key", "no key given");
  if (!classify(key_.get(), type_))
    throw StorageError("load key",
                       fmt::format("unsupported key ({} bits, type {})", EVP_PKEY_get_bits(key_.get()),
                                   EVP_PKEY_get0_type_name(key_.get()) ? EVP_PKEY_get0_type_name(key_.get()) : "?"),
                       "use an ECDSA P-256/P-384 or RSA 2048/3072/4096 key");
}

PrivateKey PrivateKey::generate(KeyType type) {
  EvpPkeyPtr key;
  switch (type) {
    case KeyType::ec256: key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")); break;
    case KeyType::ec384: key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384")); break;
    case KeyType::rsa2048: key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})); break;
    case KeyType::rsa3072: key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{3072})); break;
    case KeyType::rsa4096: key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{4096})); break;
  }
  if (!key) openssl_fail(fmt::format("generate {} key", key_type_name(type)));
  return PrivateKey(std::move(key));
}

PrivateKey PrivateKey::from_pem(std::string_view pem, std::string_view origin) {
  BioPtr bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
  if (!bio) openssl_fail("read key");
  EvpPkeyPtr key{PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)};
  ERR_clear_error();
  if (!key)
    throw StorageError("read key", fmt::format("{} holds no readable PEM private key", origin),
                       "give an unencrypted PEM private key (PKCS#8, EC or RSA)");
  return PrivateKey(std::move(key));
}

PrivateKey PrivateKey::load(const std::filesystem::path& path) {
  BioPtr bio{BIO_new_file(path.c_str(), "r")};
  if (!bio) {
    ERR_clear_error();
    throw StorageError("read key", fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)),
                       "check the path and its permissions");
  }
  EvpPkeyPtr key{PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)};
  ERR_clear_error();
  if (!key)
    throw StorageError("read key", fmt::format("{} holds no readable PEM private key", path.string()),
                       "give an unencrypted PEM private key (PKCS#8, EC or RSA)");
  return PrivateKey(std::move(key));
}

std::string PrivateKey::to_pem() const {
  BioPtr bio{BIO_new(BIO_s_mem())};
  if (!bio || !PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr))
    openssl_fail("write key");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  std::string out(data, static_cast<std::size_t>(len));
  OPENSSL_cleanse(data, static_cast<std::size_t>(len));
  return out;
}

void PrivateKey::save(const std::filesystem::path& path) const {
  std::string pem = to_pem();
  try {
    write_file_atomic(path, pem, 0600);
  } catch (...) {
    OPENSSL_cleanse(pem.data(), pem.size());
    throw;
  }
  OPENSSL_cleanse(pem.data(), pem.size());
}

}  // namespace dns01::acme
