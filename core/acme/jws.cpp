#include "dns01/acme/jws.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>

#include <algorithm>

#include <fmt/format.h>

#include "dns01/error.hpp"

namespace dns01::acme {

namespace {

[[noreturn]] void openssl_fail(std::string step) { throw_openssl_error("acme", std::move(step)); }

std::string bn_param(EVP_PKEY* key, const char* name, int pad) {
  BIGNUM* raw = nullptr;
  if (!EVP_PKEY_get_bn_param(key, name, &raw)) openssl_fail("read public key");
  BignumPtr bn{raw};
  Bytes out(pad > 0 ? static_cast<std::size_t>(pad) : static_cast<std::size_t>(BN_num_bytes(bn.get())));
  if (pad > 0) {
    if (BN_bn2binpad(bn.get(), out.data(), pad) != pad) openssl_fail("encode public key");
  } else {
    BN_bn2bin(bn.get(), out.data());
  }
  return base64url_encode(out);
}

int coordinate_size(const PrivateKey& key) { return key.type() == KeyType::ec384 ? 48 : 32; }

const EVP_MD* digest_for(const PrivateKey& key) {
  return key.type() == KeyType::ec384 ? EVP_sha384() : EVP_sha256();
}

const char* mac_digest(MacAlgorithm alg) {
  switch (alg) {
    case MacAlgorithm::hs256: return "SHA256";
    case MacAlgorithm::hs384: return "SHA384";
    case MacAlgorithm::hs512: return "SHA512";
  }
  return "SHA256";
}

Bytes hmac(MacAlgorithm alg, std::span<const std::uint8_t> key, std::string_view data) {
  EvpMacPtr mac{EVP_MAC_fetch(nullptr, "HMAC", nullptr)};
  if (!mac) openssl_fail("compute EAB MAC");
  EvpMacCtxPtr ctx{EVP_MAC_CTX_new(mac.get())};
  char digest[16];
  std::snprintf(digest, sizeof digest, "%s", mac_digest(alg));
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0), OSSL_PARAM_construct_end()};
  if (!ctx || !EVP_MAC_init(ctx.get(), key.data(), key.size(), params) ||
      !EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()))
    openssl_fail("compute EAB MAC");
  Bytes out(EVP_MAX_MD_SIZE);
  size_t len = 0;
  if (!EVP_MAC_final(ctx.get(), out.data(), &len, out.size())) openssl_fail("compute EAB MAC");
  out.resize(len);
  return out;
}

}  // namespace

const char* jws_algorithm(const PrivateKey& key) {
  switch (key.type()) {
    case KeyType::ec256: return "ES256";
    case KeyType::ec384: return "ES384";
    default: return "RS256";
  }
}

Json public_jwk(const PrivateKey& key) {
  Json jwk = Json::object();
  if (key.is_ec()) {
    jwk["kty"] = "EC";
    jwk["crv"] = key.type() == KeyType::ec384 ? "P-384" : "P-256";
    jwk["x"] = bn_param(key.get(), OSSL_PKEY_PARAM_EC_PUB_X, coordinate_size(key));
    jwk["y"] = bn_param(key.get(), OSSL_PKEY_PARAM_EC_PUB_Y, coordinate_size(key));
  } else {
    jwk["kty"] = "RSA";
    jwk["n"] = bn_param(key.get(), OSSL_PKEY_PARAM_RSA_N, 0);
    jwk["e"] = bn_param(key.get(), OSSL_PKEY_PARAM_RSA_E, 0);
  }
  return jwk;
}

std::string jwk_thumbprint(const Json& jwk) try {
  const json::Context ctx{ErrorCategory::acme, "acme", "compute JWK thumbprint"};
  const std::string kty = json::get_string(jwk, "kty", ctx);
  // RFC 7638 §3.2: only the required members, lexicographic order, no whitespace. nlohmann's
  // default object is an ordered std::map and dump() writes no whitespace: exactly that form.
  Json canonical = Json::object();
  if (kty == "EC") {
    for (const char* m : {"crv", "x", "y"}) canonical[m] = json::get_string(jwk, m, ctx);
  } else if (kty == "RSA") {
    for (const char* m : {"e", "n"}) canonical[m] = json::get_string(jwk, m, ctx);
  } else {
    throw AcmeError("compute JWK thumbprint", fmt::format("unsupported key type '{}'", kty));
  }
  canonical["kty"] = kty;
  const auto digest = sha256(canonical.dump());
  return base64url_encode(digest);
} catch (const AcmeError&) {
  throw;
} catch (const Error& e) {
  throw AcmeError("compute JWK thumbprint", e.cause());
}

std::string key_authorization(std::string_view token, std::string_view thumbprint) {
  return fmt::format("{}.{}", token, thumbprint);
}

std::string dns01_txt_value(std::string_view key_authorization) {
  return base64url_encode(sha256(key_authorization));
}

Bytes sign_raw(const PrivateKey& key, std::string_view data) {
  EvpMdCtxPtr ctx{EVP_MD_CTX_new()};
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, digest_for(key), nullptr, key.get()) != 1)
    openssl_fail("sign request");
  size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, data.size()) != 1) openssl_fail("sign request");
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, in, data.size()) != 1) openssl_fail("sign request");
  sig.resize(len);
  if (!key.is_ec()) return sig;
  // JOSE wants r||s, each left-padded to the coordinate size (RFC 7518 §3.4); OpenSSL gives DER.
  const unsigned char* p = sig.data();
  EcdsaSigPtr ecdsa{d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()))};
  if (!ecdsa) openssl_fail("sign request");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(ecdsa.get(), &r, &s);
  const int n = coordinate_size(key);
  Bytes raw(static_cast<std::size_t>(2 * n));
  if (BN_bn2binpad(r, raw.data(), n) != n || BN_bn2binpad(s, raw.data() + n, n) != n)
    openssl_fail("sign request");
  return raw;
}

Json sign_jws(const PrivateKey& key, Json protected_header, const std::optional<Json>& payload) {
  protected_header["alg"] = jws_algorithm(key);
  const std::string prot = base64url_encode(protected_header.dump());
  const std::string body = payload ? base64url_encode(payload->dump()) : std::string();
  const Bytes sig = sign_raw(key, prot + "." + body);
  return Json{{"protected", prot}, {"payload", body}, {"signature", base64url_encode(sig)}};
}

Json acme_header(const PrivateKey& key, std::string_view nonce, std::string_view url,
                 std::string_view kid) {
  Json h = Json::object();
  h["alg"] = jws_algorithm(key);
  h["nonce"] = std::string(nonce);
  h["url"] = std::string(url);
  if (kid.empty())
    h["jwk"] = public_jwk(key);
  else
    h["kid"] = std::string(kid);
  return h;
}

MacAlgorithm parse_mac_algorithm(std::string_view name) {
  std::string n(name);
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (n == "HS256") return MacAlgorithm::hs256;
  if (n == "HS384") return MacAlgorithm::hs384;
  if (n == "HS512") return MacAlgorithm::hs512;
  throw ConfigError("parse EAB algorithm", fmt::format("unknown MAC algorithm '{}'", name),
                    "use HS256, HS384 or HS512");
}

const char* mac_algorithm_name(MacAlgorithm alg) noexcept {
  switch (alg) {
    case MacAlgorithm::hs256: return "HS256";
    case MacAlgorithm::hs384: return "HS384";
    case MacAlgorithm::hs512: return "HS512";
  }
  return "HS256";
}

Json eab_jws(const ExternalAccountBinding& eab, const Json& account_jwk,
             std::string_view new_account_url) {
  if (eab.kid.empty())
    throw ConfigError("external account binding", "the EAB key identifier is empty",
                      "copy the key ID (kid) your CA gave you");
  Bytes key;
  try {
    key = base64url_decode(eab.hmac_key_b64url);
  } catch (const std::invalid_argument&) {
    throw ConfigError("external account binding", "the EAB MAC key is not base64url",
                      "copy the HMAC key exactly as your CA shows it");
  }
  if (key.empty())
    throw ConfigError("external account binding", "the EAB MAC key is empty",
                      "copy the HMAC key your CA gave you");
  Json header = {{"alg", mac_algorithm_name(eab.algorithm)},
                 {"kid", eab.kid},
                 {"url", std::string(new_account_url)}};
  const std::string prot = base64url_encode(header.dump());
  const std::string payload = base64url_encode(account_jwk.dump());
  const Bytes mac = hmac(eab.algorithm, key, prot + "." + payload);
  OPENSSL_cleanse(key.data(), key.size());
  return Json{{"protected", prot}, {"payload", payload}, {"signature", base64url_encode(mac)}};
}

Json key_change_inner_jws(const PrivateKey& new_key, const PrivateKey& old_key,
                          std::string_view account_url, std::string_view key_change_url) {
  Json header = {{"jwk", public_jwk(new_key)}, {"url", std::string(key_change_url)}};
  Json payload = {{"account", std::string(account_url)}, {"oldKey", public_jwk(old_key)}};
  return sign_jws(new_key, std::move(header), payload);
}

}  // namespace dns01::acme
