#pragma once
// Private keys for ACME accounts and certificates (OpenSSL 3 EVP only).
//
// Key types are the ones enterprise and public CAs accept (Actalis: RSA 2048-4096, ECDSA P-256
// and P-384): ec256, ec384, rsa2048, rsa3072, rsa4096. A PrivateKey owns its EVP_PKEY; it is
// movable, not copyable, and safe to use from several threads for signing (OpenSSL 3 EVP_PKEY
// objects are read-only once built).
//
// Errors: unknown key type names → UsageError; unreadable/unsupported PEM or a failed write →
// StorageError (never showing key material); OpenSSL failures → Error(internal).
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "dns01/raii.hpp"

namespace dns01::acme {

enum class KeyType { ec256, ec384, rsa2048, rsa3072, rsa4096 };

// The canonical key type names, lower case, in KeyType order: "ec256", "ec384", "rsa2048",
// "rsa3072", "rsa4096". These are what config `key_type`, --key-type and help text offer, and
// what key_type_name() returns.
std::span<const std::string_view> key_type_names() noexcept;

// A canonical name or an alias → KeyType, case-insensitive ("EC256" and "ec256" alike). Aliases
// (accepted, never offered): "p256" and "ecdsa-p256" for ec256, "p384" and "ecdsa-p384" for
// ec384. Anything else → UsageError listing key_type_names().
KeyType parse_key_type(std::string_view name);
// The canonical name (one of key_type_names()).
const char* key_type_name(KeyType type) noexcept;

class PrivateKey {
 public:
  // Generates a fresh key (RSA 4096 takes a few seconds).
  static PrivateKey generate(KeyType type);
  // Parses a PEM private key (PKCS#8 "PRIVATE KEY", "EC PRIVATE KEY" or "RSA PRIVATE KEY").
  // Only the supported key types are accepted. `origin` names the source in errors.
  static PrivateKey from_pem(std::string_view pem, std::string_view origin = "PEM text");
  static PrivateKey load(const std::filesystem::path& path);
  // Takes ownership of an existing key; throws when its type is not supported.
  explicit PrivateKey(EvpPkeyPtr key);

  PrivateKey(PrivateKey&&) noexcept = default;
  PrivateKey& operator=(PrivateKey&&) noexcept = default;

  KeyType type() const noexcept { return type_; }
  bool is_ec() const noexcept { return type_ == KeyType::ec256 || type_ == KeyType::ec384; }
  EVP_PKEY* get() const noexcept { return key_.get(); }

  // PKCS#8 PEM of the private key. The result is secret: never log it.
  std::string to_pem() const;
  // Writes the PEM atomically: a temporary file in the same directory created with mode 0600,
  // fsync'ed, then renamed over `path`, so a crash never leaves a half-written key. The parent
  // directory must exist. Throws StorageError.
  void save(const std::filesystem::path& path) const;

 private:
  EvpPkeyPtr key_;
  KeyType type_;
};

}  // namespace dns01::acme
