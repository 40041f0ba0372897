#pragma once
// JSON Web Signatures as ACME uses them (RFC 8555 §6.2, RFC 7515 flattened JSON serialization),
// JWK thumbprints (RFC 7638), key authorizations and DNS-01 TXT values (RFC 8555 §8.1, §8.4),
// External Account Binding (RFC 8555 §7.3.4) and the inner JWS of a key change (§7.3.5).
//
// Algorithms: ES256 (P-256 + SHA-256), ES384 (P-384 + SHA-384), RS256 (RSA + SHA-256). ECDSA
// signatures are the raw fixed-width r||s JOSE expects, not DER. All functions are pure and
// thread-safe. OpenSSL failures throw Error(internal); bad EAB input throws ConfigError.
#include <optional>
#include <string>
#include <string_view>

#include "dns01/acme/keys.hpp"
#include "dns01/encoding.hpp"
#include "dns01/json.hpp"

namespace dns01::acme {

using json::Json;

// "ES256" | "ES384" | "RS256" for the key.
const char* jws_algorithm(const PrivateKey& key);

// Public JWK of the key: {"crv","kty":"EC","x","y"} or {"e","kty":"RSA","n"}.
Json public_jwk(const PrivateKey& key);

// RFC 7638 thumbprint: base64url(SHA-256(canonical JSON of the required members)). Works on any
// EC or RSA JWK object (e.g. the example of RFC 7638 §3.1); throws AcmeError on another kty.
std::string jwk_thumbprint(const Json& jwk);
inline std::string jwk_thumbprint(const PrivateKey& key) { return jwk_thumbprint(public_jwk(key)); }

// keyAuthorization = token "." thumbprint (RFC 8555 §8.1).
std::string key_authorization(std::string_view token, std::string_view thumbprint);
// The TXT value of a dns-01 challenge: base64url(SHA-256(keyAuthorization)) (§8.4).
std::string dns01_txt_value(std::string_view key_authorization);

// Raw signature over `data` with the key's JWS algorithm (r||s for ECDSA).
Bytes sign_raw(const PrivateKey& key, std::string_view data);

// Flattened JWS {"protected","payload","signature"}. `payload` nullopt → POST-as-GET (empty
// payload string). The protected header is used as given, plus "alg" added from the key.
Json sign_jws(const PrivateKey& key, Json protected_header, const std::optional<Json>& payload);

// Protected header for an ACME request: alg, nonce, url and either jwk (when kid is empty) or kid.
Json acme_header(const PrivateKey& key, std::string_view nonce, std::string_view url,
                 std::string_view kid);

enum class MacAlgorithm { hs256, hs384, hs512 };
// "HS256"/"HS384"/"HS512" (case-insensitive); ConfigError otherwise.
MacAlgorithm parse_mac_algorithm(std::string_view name);
const char* mac_algorithm_name(MacAlgorithm alg) noexcept;

// External Account Binding credentials as CAs hand them out (ZeroSSL, Google, Actalis, Sectigo):
// a key identifier and a base64url MAC key (padding tolerated). The MAC key is secret.
struct ExternalAccountBinding {
  std::string kid;
  std::string hmac_key_b64url;
  MacAlgorithm algorithm = MacAlgorithm::hs256;
};

// The externalAccountBinding JWS: protected {alg, kid, url=newAccount URL}, payload = account
// JWK, MAC with the decoded key. Throws ConfigError when the key is not base64url or empty.
Json eab_jws(const ExternalAccountBinding& eab, const Json& account_jwk, std::string_view new_account_url);

// The inner JWS of a key change, signed by the NEW key: protected {alg, jwk=new key, url},
// payload {account, oldKey}.
Json key_change_inner_jws(const PrivateKey& new_key, const PrivateKey& old_key,
                          std::string_view account_url, std::string_view key_change_url);

}  // namespace dns01::acme
