// Issue 17, finding 5: a run killed between the four live/ link switches left key N+1 with
// certificate N; `certificates` said VALID and `renew` "not due", and nothing repaired it.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <fstream>

#include "dns01/storage.hpp"
#include "flow/test_certs.hpp"
#include "temp_dir.hpp"

using namespace dns01;

namespace {

CertificateFiles real_files(long serial) {
  test::TestCertSpec spec;
  spec.serial = serial;
  const test::TestCert c = test::make_test_cert(spec);
  return {c.pem, "", c.pem, c.key_pem};
}

void point(const fs::path& store, const std::string& name, const char* kind, int version) {
  const fs::path link = store / "live" / name / (std::string(kind) + ".pem");
  fs::remove(link);
  fs::create_symlink(fs::path("..") / ".." / "archive" / name / (kind + std::to_string(version) + ".pem"),
                     link);
}

int target_version(const fs::path& store, const std::string& name, const char* kind) {
  const std::string f = fs::read_symlink(store / "live" / name / (std::string(kind) + ".pem")).filename();
  return std::stoi(f.substr(std::string(kind).size()));
}

}  // namespace

TEST_CASE("live links left at different versions are completed on the next read", "[storage]") {
  test::TempDir tmp;
  const fs::path store = tmp / "store";
  CertStore certs(store);
  certs.save("a.test", real_files(1));
  certs.save("a.test", real_files(2));
  // Killed after the key link switched to 2, before the others did.
  for (const char* kind : {"cert", "chain", "fullchain"}) point(store, "a.test", kind, 1);
  REQUIRE(target_version(store, "a.test", "privkey") == 2);

  auto paths = certs.current("a.test");
  REQUIRE(paths);
  CHECK(paths->complete);
  CHECK(paths->version == 2);
  for (const char* kind : {"cert", "chain", "fullchain", "privkey"}) CHECK(target_version(store, "a.test", kind) == 2);
}

TEST_CASE("a lineage another run holds is reported incomplete, not touched", "[storage]") {
  test::TempDir tmp;
  const fs::path store = tmp / "store";
  CertStore certs(store);
  certs.save("a.test", real_files(1));
  certs.save("a.test", real_files(2));
  point(store, "a.test", "cert", 1);
  LineageLock other(store, "b.test");  // an unrelated lineage does not matter...
  {
    // ...but one holding a.test may be switching right now: hands off.
    // Two pipes instead of sleeps: the child says "locked" on one, and holds the lock until the
    // parent closes the other (its read then returns 0).
    int locked[2], release[2];
    REQUIRE(::pipe(locked) == 0);
    REQUIRE(::pipe(release) == 0);
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      // The holder: no repair may happen while it holds the lock.
      ::close(locked[0]);
      ::close(release[1]);
      int fd = ::open((store / "locks" / "a.test.lock").c_str(), O_RDWR | O_CREAT, 0600);
      ::flock(fd, LOCK_EX);
      char c = 'l';
      (void)!::write(locked[1], &c, 1);
      (void)!::read(release[0], &c, 1);
      ::_exit(0);
    }
    ::close(locked[1]);
    ::close(release[0]);
    char c = 0;
    REQUIRE(::read(locked[0], &c, 1) == 1);  // the child holds the lock now
    ::close(locked[0]);
    auto paths = certs.current("a.test");
    REQUIRE(paths);
    CHECK_FALSE(paths->complete);
    CHECK(target_version(store, "a.test", "cert") == 1);
    ::close(release[1]);
    int status = 0;
    ::waitpid(child, &status, 0);
  }
  CHECK(certs.current("a.test")->complete);  // the holder is gone: repaired now
}

TEST_CASE("a version whose key does not match its certificate is never linked", "[storage]") {
  test::TempDir tmp;
  const fs::path store = tmp / "store";
  CertStore certs(store);
  certs.save("a.test", real_files(1));
  CertificateFiles mixed = real_files(2);
  mixed.privkey = real_files(3).privkey;  // a key of another certificate
  certs.save("a.test", mixed);
  point(store, "a.test", "privkey", 1);
  CHECK(certs.current("a.test")->complete);
  for (const char* kind : {"cert", "chain", "fullchain", "privkey"}) CHECK(target_version(store, "a.test", kind) == 1);
}

TEST_CASE("leftovers of a killed run are removed when the lineage is locked", "[storage]") {
  test::TempDir tmp;
  const fs::path store = tmp / "store";
  CertStore certs(store);
  certs.save("a.test", real_files(1));
  const fs::path archive = store / "archive" / "a.test";
  // Killed after writing archive/ version 2 (an unused private key), mid-write of a temp file
  // and mid-switch of a link.
  for (const char* kind : {"cert", "chain", "fullchain", "privkey"})
    std::ofstream(archive / (std::string(kind) + "2.pem")) << "x";
  std::ofstream(archive / ".privkey3.pem.123.abc.tmp") << "half a key";
  fs::create_symlink("../../archive/a.test/cert2.pem", store / "live" / "a.test" / ".cert.pem.1f.new");
  { LineageLock lock(store, "a.test"); }
  CHECK_FALSE(fs::exists(archive / "privkey2.pem"));
  CHECK_FALSE(fs::exists(archive / "cert2.pem"));
  CHECK_FALSE(fs::exists(archive / ".privkey3.pem.123.abc.tmp"));
  CHECK_FALSE(fs::exists(fs::symlink_status(store / "live" / "a.test" / ".cert.pem.1f.new")));
  CHECK(fs::exists(archive / "privkey1.pem"));
  CHECK(certs.save("a.test", real_files(4)).version == 2);
}
