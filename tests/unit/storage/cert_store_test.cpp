#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "dns01/error.hpp"
#include "dns01/storage.hpp"
#include "temp_dir.hpp"

using namespace dns01;

namespace {
mode_t mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}
CertificateFiles files(const std::string& tag) {
  return {"CERT " + tag, "CHAIN " + tag, "FULL " + tag, "KEY " + tag};
}
}  // namespace

TEST_CASE("write_file_atomic writes exact content and mode, leaving no temp files", "[storage]") {
  test::TempDir tmp;
  auto old = ::umask(0);  // a permissive umask must not widen the mode
  write_file_atomic(tmp / "key.pem", "secret key", 0600);
  ::umask(old);
  CHECK(read_file(tmp / "key.pem") == "secret key");
  CHECK(mode_of(tmp / "key.pem") == 0600);
  write_file_atomic(tmp / "key.pem", "new", 0600);
  CHECK(read_file(tmp / "key.pem") == "new");
  int entries = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator(tmp.path())) ++entries;
  CHECK(entries == 1);
}

TEST_CASE("write_file_atomic into a missing directory fails with a storage error", "[storage]") {
  test::TempDir tmp;
  CHECK_THROWS_AS(write_file_atomic(tmp / "missing" / "x.pem", "x", 0600), StorageError);
}

TEST_CASE("CertStore saves certbot-style versions with relative live symlinks", "[storage]") {
  test::TempDir tmp;
  CertStore store(tmp / "store");
  auto first = store.save("example.test", files("1"));
  CHECK(first.version == 1);
  CHECK(read_file(first.fullchain) == "FULL 1");
  CHECK(fs::read_symlink(first.privkey) == fs::path("../../archive/example.test/privkey1.pem"));
  CHECK(mode_of(tmp / "store" / "archive" / "example.test" / "privkey1.pem") == 0600);
  CHECK(mode_of(tmp / "store" / "archive" / "example.test") == 0700);
  CHECK(mode_of(tmp / "store" / "live") == 0700);

  auto second = store.save("example.test", files("2"));
  CHECK(second.version == 2);
  CHECK(read_file(second.cert) == "CERT 2");
  CHECK(read_file(tmp / "store" / "archive" / "example.test" / "cert1.pem") == "CERT 1");
  REQUIRE(store.current("example.test"));
  CHECK(store.current("example.test")->version == 2);
  CHECK_FALSE(store.current("other.test"));
  store.save("a.test", files("a"));
  CHECK(store.lineages() == std::vector<std::string>{"a.test", "example.test"});
}

TEST_CASE("CertStore refuses names that escape the storage directory", "[storage]") {
  CHECK_THROWS_AS(CertStore::check_name("../etc"), UsageError);
  CHECK_THROWS_AS(CertStore::check_name("a/b"), UsageError);
  CHECK_THROWS_AS(CertStore::check_name(".hidden"), UsageError);
  CHECK_THROWS_AS(CertStore::check_name(""), UsageError);
  CHECK_NOTHROW(CertStore::check_name("example.test"));
  CHECK_NOTHROW(CertStore::check_name("wild_card-1.example.test"));
}

TEST_CASE("LineageLock lets one holder in and names it to the second", "[storage]") {
  test::TempDir tmp;
  LineageLock first(tmp.path(), "example.test");
  try {
    LineageLock second(tmp.path(), "example.test", std::chrono::milliseconds(50));
    FAIL("second lock should not have been granted");
  } catch (const StorageError& e) {
    CHECK(std::string(e.what()).find("another dns01 run (PID") != std::string::npos);
  }
  LineageLock other(tmp.path(), "other.test");  // other lineages are independent
}
