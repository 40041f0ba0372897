#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "dns01/acme/csr.hpp"
#include "dns01/acme/keys.hpp"
#include "dns01/error.hpp"

using namespace dns01;
using namespace dns01::acme;

namespace {
std::filesystem::path temp_dir() {
  auto p = std::filesystem::temp_directory_path() / ("dns01-acme-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(p);
  return p;
}
}  // namespace

TEST_CASE("key types parse and print", "[acme]") {
  CHECK(parse_key_type("EC256") == KeyType::ec256);
  CHECK(parse_key_type("rsa3072") == KeyType::rsa3072);
  CHECK(std::string(key_type_name(KeyType::ec384)) == "ec384");
  CHECK_THROWS_AS(parse_key_type("dsa1024"), UsageError);
}

TEST_CASE("key type names: one table, canonical names round-trip, aliases accepted", "[acme]") {
  const auto names = key_type_names();
  REQUIRE(names.size() == 5);
  CHECK(names.front() == "ec256");
  CHECK(names.back() == "rsa4096");
  for (auto n : names) {
    CHECK(key_type_name(parse_key_type(n)) == n);
    std::string upper(n);
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK(key_type_name(parse_key_type(upper)) == n);
  }
  CHECK_THROWS_AS(parse_key_type("P-256"), UsageError);  // not an alias
  CHECK(parse_key_type("ecdsa-p384") == KeyType::ec384);
  CHECK(parse_key_type("p256") == KeyType::ec256);
  try {
    parse_key_type("ec521");
    FAIL("no error");
  } catch (const UsageError& e) {
    CHECK_THAT(e.hint(), Catch::Contains("ec256, ec384, rsa2048, rsa3072, rsa4096"));
  }
}

TEST_CASE("EC and RSA keys generate and round-trip through PEM", "[acme]") {
  for (auto type : {KeyType::ec256, KeyType::ec384, KeyType::rsa2048}) {
    PrivateKey key = PrivateKey::generate(type);
    CHECK(key.type() == type);
    const std::string pem = key.to_pem();
    CHECK(pem.find("-----BEGIN PRIVATE KEY-----") != std::string::npos);
    PrivateKey back = PrivateKey::from_pem(pem);
    CHECK(back.type() == type);
    CHECK(EVP_PKEY_eq(key.get(), back.get()) == 1);
  }
}

TEST_CASE("keys are saved atomically with mode 0600 and reload", "[acme]") {
  const auto dir = temp_dir();
  const auto path = dir / "account.key";
  PrivateKey key = PrivateKey::generate(KeyType::ec256);
  key.save(path);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  PrivateKey loaded = PrivateKey::load(path);
  CHECK(EVP_PKEY_eq(key.get(), loaded.get()) == 1);
  // Overwriting replaces the file and leaves no temporary behind.
  PrivateKey::generate(KeyType::ec384).save(path);
  CHECK(PrivateKey::load(path).type() == KeyType::ec384);
  int files = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir)) ++files;
  CHECK(files == 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("bad key input gives storage errors without key material", "[acme]") {
  CHECK_THROWS_AS(PrivateKey::from_pem("not a key"), StorageError);
  CHECK_THROWS_AS(PrivateKey::load("/nonexistent/dir/key.pem"), StorageError);
  CHECK_THROWS_AS(PrivateKey::generate(KeyType::ec256).save("/nonexistent/dir/key.pem"), StorageError);
}

TEST_CASE("CSR carries every SAN including wildcards and is self-signed", "[acme]") {
  for (auto type : {KeyType::ec256, KeyType::ec384, KeyType::rsa2048}) {
    PrivateKey key = PrivateKey::generate(type);
    const Bytes der = make_csr(key, {"Example.test", "*.example.test", "www.example.test."});
    const unsigned char* p = der.data();
    X509ReqPtr req{d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size()))};
    REQUIRE(req);
    CHECK(X509_REQ_verify(req.get(), key.get()) == 1);
    const auto names = csr_dns_names(req.get());
    CHECK(names == std::vector<std::string>{"example.test", "*.example.test", "www.example.test"});
  }
}

TEST_CASE("invalid names are refused before reaching the CA", "[acme]") {
  CHECK(normalize_dns_name("*.Example.COM") == "*.example.com");
  for (const char* bad : {"", "a..b", "*", "foo.*.example.com", "-a.example", "a b.example", "ex*ample.com"})
    CHECK_THROWS_AS(normalize_dns_name(bad), UsageError);
  CHECK_THROWS_AS(make_csr(PrivateKey::generate(KeyType::ec256), {}), UsageError);
}
