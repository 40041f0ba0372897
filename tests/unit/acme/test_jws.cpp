#include <catch2/catch.hpp>

#include <openssl/core_names.h>

#include "dns01/acme/jws.hpp"
#include "dns01/error.hpp"

using namespace dns01;
using namespace dns01::acme;

namespace {

// Verifies a flattened JWS with OpenSSL (ECDSA: raw r||s converted back to DER).
bool verify(const PrivateKey& key, const Json& jws) {
  const std::string input = jws["protected"].get<std::string>() + "." + jws["payload"].get<std::string>();
  Bytes sig = base64url_decode(jws["signature"].get<std::string>());
  if (key.is_ec()) {
    const std::size_t n = sig.size() / 2;
    EcdsaSigPtr ecdsa{ECDSA_SIG_new()};
    ECDSA_SIG_set0(ecdsa.get(), BN_bin2bn(sig.data(), static_cast<int>(n), nullptr),
                   BN_bin2bn(sig.data() + n, static_cast<int>(n), nullptr));
    unsigned char* der = nullptr;
    int len = i2d_ECDSA_SIG(ecdsa.get(), &der);
    OpensslBytesPtr owner{der};
    sig.assign(der, der + len);
  }
  EvpMdCtxPtr ctx{EVP_MD_CTX_new()};
  const EVP_MD* md = key.type() == KeyType::ec384 ? EVP_sha384() : EVP_sha256();
  EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key.get());
  return EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), reinterpret_cast<const unsigned char*>(input.data()),
                          input.size()) == 1;
}

Json decode_part(const Json& jws, const char* part) {
  const Bytes b = base64url_decode(jws[part].get<std::string>());
  return Json::parse(std::string(b.begin(), b.end()));
}

}  // namespace

TEST_CASE("RFC 7638 section 3.1 example thumbprint", "[acme]") {
  const Json jwk = {
      {"kty", "RSA"},
      {"n", "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZ"
            "CiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgn"
            "Yb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0"
            "Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"},
      {"e", "AQAB"},
      {"alg", "RS256"},
      {"kid", "2011-04-29"}};
  CHECK(jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  CHECK_THROWS_AS(jwk_thumbprint(Json{{"kty", "oct"}, {"k", "abc"}}), AcmeError);
  CHECK_THROWS_AS(jwk_thumbprint(Json{{"kty", "EC"}, {"crv", "P-256"}}), AcmeError);
}

TEST_CASE("key authorization and dns-01 TXT value", "[acme]") {
  // Vector from golang.org/x/crypto/acme's TestDNS01ChallengeRecord (token "xxx", EC test key).
  const std::string ka = key_authorization("xxx", "zedj-Bd1Zshp8KLePv2MB-lJ_Hagp7wAwdkA0NUTniU");
  CHECK(ka == "xxx.zedj-Bd1Zshp8KLePv2MB-lJ_Hagp7wAwdkA0NUTniU");
  CHECK(dns01_txt_value(ka) == "8DERMexQ5VcdJ_prpPiA0mVdp7imgbCgjsG4SqqNMIo");
}

TEST_CASE("JWS signatures verify with OpenSSL for every algorithm", "[acme]") {
  for (auto type : {KeyType::ec256, KeyType::ec384, KeyType::rsa2048}) {
    PrivateKey key = PrivateKey::generate(type);
    const Json jws = sign_jws(key, acme_header(key, "nonce123", "https://ca.test/new-order", "https://ca.test/acct/1"),
                              Json{{"identifiers", Json::array()}});
    CHECK(verify(key, jws));
    const Json header = decode_part(jws, "protected");
    CHECK(header["alg"] == jws_algorithm(key));
    CHECK(header["nonce"] == "nonce123");
    CHECK(header["kid"] == "https://ca.test/acct/1");
    CHECK_FALSE(header.contains("jwk"));
    if (key.is_ec()) CHECK(base64url_decode(jws["signature"].get<std::string>()).size() == (type == KeyType::ec384 ? 96u : 64u));
  }
}

TEST_CASE("jwk header for newAccount, empty payload for POST-as-GET", "[acme]") {
  PrivateKey key = PrivateKey::generate(KeyType::ec256);
  const Json jws = sign_jws(key, acme_header(key, "n", "https://ca.test/new-acct", ""), std::nullopt);
  CHECK(jws["payload"] == "");
  CHECK(verify(key, jws));
  const Json header = decode_part(jws, "protected");
  CHECK(header["jwk"] == public_jwk(key));
  CHECK_FALSE(header.contains("kid"));
  const Json jwk = public_jwk(key);
  CHECK(jwk["kty"] == "EC");
  CHECK(jwk["crv"] == "P-256");
  CHECK(base64url_decode(jwk["x"].get<std::string>()).size() == 32);
}

TEST_CASE("EAB JWS structure and MAC", "[acme]") {
  PrivateKey key = PrivateKey::generate(KeyType::ec256);
  const std::string mac_key = base64url_encode(std::string("0123456789abcdef0123456789abcdef"));
  for (auto alg : {MacAlgorithm::hs256, MacAlgorithm::hs384, MacAlgorithm::hs512}) {
    const Json jws = eab_jws({"kid-1", mac_key, alg}, public_jwk(key), "https://ca.test/new-acct");
    const Json header = decode_part(jws, "protected");
    CHECK(header == Json{{"alg", mac_algorithm_name(alg)}, {"kid", "kid-1"}, {"url", "https://ca.test/new-acct"}});
    CHECK(decode_part(jws, "payload") == public_jwk(key));
    const std::size_t expected = alg == MacAlgorithm::hs256 ? 32 : alg == MacAlgorithm::hs384 ? 48 : 64;
    CHECK(base64url_decode(jws["signature"].get<std::string>()).size() == expected);
  }
  // HS256 checked against an independent HMAC computation.
  const Json jws = eab_jws({"kid-1", mac_key, MacAlgorithm::hs256}, public_jwk(key), "https://ca.test/new-acct");
  const std::string input = jws["protected"].get<std::string>() + "." + jws["payload"].get<std::string>();
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  const std::string raw = "0123456789abcdef0123456789abcdef";
  REQUIRE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, raw.data(), raw.size(),
                    reinterpret_cast<const unsigned char*>(input.data()), input.size(), out, sizeof out, &len));
  CHECK(jws["signature"] == base64url_encode(std::span<const std::uint8_t>(out, len)));
  CHECK_THROWS_AS(eab_jws({"kid", "not base64!", MacAlgorithm::hs256}, public_jwk(key), "u"), ConfigError);
  CHECK_THROWS_AS(eab_jws({"", mac_key, MacAlgorithm::hs256}, public_jwk(key), "u"), ConfigError);
  CHECK(parse_mac_algorithm("hs512") == MacAlgorithm::hs512);
  CHECK_THROWS_AS(parse_mac_algorithm("RS256"), ConfigError);
}

TEST_CASE("key change inner JWS is signed by the new key", "[acme]") {
  PrivateKey old_key = PrivateKey::generate(KeyType::ec256);
  PrivateKey new_key = PrivateKey::generate(KeyType::ec384);
  const Json inner = key_change_inner_jws(new_key, old_key, "https://ca.test/acct/1", "https://ca.test/key-change");
  CHECK(verify(new_key, inner));
  const Json header = decode_part(inner, "protected");
  CHECK(header["jwk"] == public_jwk(new_key));
  CHECK_FALSE(header.contains("nonce"));
  CHECK(decode_part(inner, "payload") == Json{{"account", "https://ca.test/acct/1"}, {"oldKey", public_jwk(old_key)}});
}
