// Storage trust (issue 17, finding 2): what another local user can plant in the storage must
// never make dns01 write, truncate or chmod something else. The tests run as root (like the
// attacked `dns01 issue`) and play the other user with chown to nobody; as another user they
// skip, since only root can hand files to someone else.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <fstream>
#include <functional>
#include <thread>

#include "dns01/error.hpp"
#include "dns01/signals.hpp"
#include "dns01/storage.hpp"
#include "temp_dir.hpp"

using namespace dns01;
using namespace std::chrono_literals;

namespace {

constexpr uid_t kNobody = 65534;

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::string content_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string storage_error(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const StorageError& e) {
    return std::string(e.what()) + " | hint: " + e.hint();
  }
  FAIL("no StorageError thrown");
  return {};
}

// A symlink at `link` to `target`, owned by nobody (as if another user had planted it).
void plant_link(const fs::path& target, const fs::path& link) {
  REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
  REQUIRE(::lchown(link.c_str(), kNobody, kNobody) == 0);
}

CertificateFiles files() { return {"CERT", "CHAIN", "FULL", "KEY"}; }

}  // namespace

TEST_CASE("a lock file planted as a link to another file is refused, the file untouched",
          "[storage][trust]") {
  if (::geteuid() != 0) { WARN("skipped: needs root to play the other user"); return; }
  test::TempDir tmp;
  const auto victim = tmp.write("victim", "precious content\n", 0644);
  fs::create_directories(tmp / "store" / "locks");
  ::chmod((tmp / "store").c_str(), 0700);
  ::chmod((tmp / "store" / "locks").c_str(), 0700);
  plant_link(victim, tmp / "store" / "locks" / "example.test.lock");

  const auto msg = storage_error([&] { LineageLock lock(tmp / "store", "example.test"); });
  CHECK(msg.find("symbolic link") != std::string::npos);
  CHECK(content_of(victim) == "precious content\n");  // not truncated, no PID written
  CHECK(mode_of(victim) == 0644);
}

TEST_CASE("a lock file that is a hard link to another file is refused", "[storage][trust]") {
  test::TempDir tmp;
  const auto victim = tmp.write("victim", "precious\n", 0600);
  fs::create_directories(tmp / "store" / "locks");
  ::chmod((tmp / "store").c_str(), 0700);
  REQUIRE(::link(victim.c_str(), (tmp / "store" / "locks" / "a.test.lock").c_str()) == 0);
  const auto msg = storage_error([&] { LineageLock lock(tmp / "store", "a.test"); });
  CHECK(msg.find("hard link") != std::string::npos);
  CHECK(content_of(victim) == "precious\n");
}

TEST_CASE("archive/<name> planted as a link: no chmod of its target, nothing written into it",
          "[storage][trust]") {
  if (::geteuid() != 0) { WARN("skipped: needs root to play the other user"); return; }
  test::TempDir tmp;
  fs::create_directories(tmp / "elsewhere");
  ::chmod((tmp / "elsewhere").c_str(), 0755);
  fs::create_directories(tmp / "store" / "archive");
  plant_link(tmp / "elsewhere", tmp / "store" / "archive" / "example.test");

  CertStore store(tmp / "store");
  const auto msg = storage_error([&] { store.save("example.test", files()); });
  CHECK(msg.find("symbolic link owned by") != std::string::npos);
  CHECK(mode_of(tmp / "elsewhere") == 0755);
  CHECK(fs::is_empty(tmp / "elsewhere"));
}

TEST_CASE("storage owned by another user, or writable by others, is refused", "[storage][trust]") {
  test::TempDir tmp;
  SECTION("group-writable storage") {
    fs::create_directories(tmp / "store");
    ::chmod((tmp / "store").c_str(), 0770);
    const auto msg = storage_error([&] { ensure_private_dir(tmp / "store"); });
    CHECK(msg.find("writable by its group") != std::string::npos);
    CHECK(msg.find("chmod go-w") != std::string::npos);
  }
  SECTION("a world-writable directory inside it") {
    fs::create_directories(tmp / "store" / "live");
    ::chmod((tmp / "store").c_str(), 0700);
    ::chmod((tmp / "store" / "live").c_str(), 0777);
    CertStore store(tmp / "store");
    const auto msg = storage_error([&] { store.save("a.test", files()); });
    CHECK(msg.find("live") != std::string::npos);
    CHECK(msg.find("writable by everyone") != std::string::npos);
    CHECK_FALSE(fs::exists(tmp / "store" / "archive" / "a.test" / "privkey1.pem"));
  }
  SECTION("storage owned by somebody else") {
    if (::geteuid() != 0) { WARN("skipped: needs root to play the other user"); return; }
    fs::create_directories(tmp / "store");
    REQUIRE(::chown((tmp / "store").c_str(), kNobody, kNobody) == 0);
    const auto msg = storage_error([&] { ensure_private_dir(tmp / "store" / "journal"); });
    CHECK(msg.find("is owned by") != std::string::npos);
    CHECK_FALSE(fs::exists(tmp / "store" / "journal"));
  }
  SECTION("a sticky world-writable parent (/tmp) is fine, and an open own dir is tightened") {
    fs::create_directories(tmp / "sticky");
    ::chmod((tmp / "sticky").c_str(), 01777);
    fs::create_directories(tmp / "sticky" / "store");
    ::chmod((tmp / "sticky" / "store").c_str(), 0755);
    CHECK_NOTHROW(ensure_private_dir(tmp / "sticky" / "store"));
    CHECK(mode_of(tmp / "sticky" / "store") == 0700);
  }
}

TEST_CASE("a link to the storage made by the running user is followed, never chmod-ed through",
          "[storage][trust]") {
  test::TempDir tmp;
  fs::create_directories(tmp / "real");
  ::chmod((tmp / "real").c_str(), 0750);
  fs::create_directory_symlink(tmp / "real", tmp / "store");
  CertStore store(tmp / "store");
  CHECK(store.save("a.test", files()).version == 1);
  CHECK(content_of(tmp / "real" / "archive" / "a.test" / "cert1.pem") == "CERT");
  CHECK(mode_of(tmp / "real") == 0750);  // an admin's link: used, its target left alone
}

TEST_CASE("live links that do not point into the lineage's archive are not read through",
          "[storage][trust]") {
  test::TempDir tmp;
  CertStore store(tmp / "store");
  store.save("a.test", files());
  const auto link = tmp / "store" / "live" / "a.test" / "privkey.pem";
  fs::remove(link);
  fs::create_symlink("/etc/shadow", link);
  const auto msg = storage_error([&] { store.current("a.test"); });
  CHECK(msg.find("is not a link into archive/a.test") != std::string::npos);
}

TEST_CASE("read_regular_file refuses FIFOs without blocking, devices and oversized files",
          "[storage][trust]") {
  test::TempDir tmp;
  REQUIRE(::mkfifo((tmp / "fifo").c_str(), 0600) == 0);
  const auto start = std::chrono::steady_clock::now();
  CHECK(read_regular_file(tmp / "fifo", 1024).problem == FileRead::not_regular);
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  CHECK(read_regular_file("/dev/zero", 1024).problem == FileRead::not_regular);
  CHECK(read_regular_file(tmp.path(), 1024).problem == FileRead::directory);
  tmp.write("big", std::string(2000, 'x'));
  const FileRead big = read_regular_file(tmp / "big", 1000);
  CHECK(big.problem == FileRead::too_large);
  CHECK(big.describe(tmp / "big", 1000).find("larger than 1000 bytes") != std::string::npos);
  CHECK(read_regular_file(tmp / "big", 2000).data.size() == 2000);
  CHECK_THROWS_AS(read_file("/dev/zero"), StorageError);
  fs::create_symlink(tmp / "big", tmp / "link");
  CHECK(read_regular_file(tmp / "link", 4096, /*follow_links=*/false).problem == FileRead::symlink);
}

TEST_CASE("create_file_atomic: exactly one of several writers wins, complete", "[storage]") {
  test::TempDir tmp;
  CHECK(create_file_atomic(tmp / "key.pem", "first", 0600));
  CHECK_FALSE(create_file_atomic(tmp / "key.pem", "second", 0600));
  CHECK(content_of(tmp / "key.pem") == "first");
  CHECK(mode_of(tmp / "key.pem") == 0600);
  int entries = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator(tmp.path())) ++entries;
  CHECK(entries == 1);  // no temporary file left behind

  // Processes racing for a fresh name: one winner, and every file read is a complete one.
  std::vector<pid_t> children;
  for (int i = 0; i < 8; ++i) {
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      bool won = false;
      try {
        won = create_file_atomic(tmp / "race.pem", std::string(100000, static_cast<char>('a' + i)), 0600);
      } catch (...) {
        ::_exit(2);
      }
      ::_exit(won ? 0 : 1);
    }
    children.push_back(child);
  }
  int winners = 0;
  for (pid_t c : children) {
    int status = 0;
    ::waitpid(c, &status, 0);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) != 2);
    winners += WEXITSTATUS(status) == 0;
  }
  CHECK(winners == 1);
  const std::string race = content_of(tmp / "race.pem");
  REQUIRE(race.size() == 100000);
  CHECK(race.find_first_not_of(race.front()) == std::string::npos);
}

TEST_CASE("certificate names: no wildcard, nothing that reads as an option", "[storage]") {
  CHECK_THROWS_AS(CertStore::check_name("*"), UsageError);
  CHECK_THROWS_AS(CertStore::check_name("*.example.test"), UsageError);
  CHECK_THROWS_AS(CertStore::check_name("--help"), UsageError);
  CHECK_THROWS_AS(CertStore::check_name("-x"), UsageError);
  CHECK_THROWS_AS(CertStore::check_name("a\nb"), UsageError);
  CHECK_NOTHROW(CertStore::check_name("_internal.example.test"));
  CHECK_NOTHROW(CertStore::check_name("1.example.test"));
}

TEST_CASE("a lock wait ends at once on SIGTERM with InterruptedError", "[storage][signals]") {
  test::TempDir tmp;
  LineageLock held(tmp.path(), "busy.test");
  // The holder is this process through another descriptor; the waiter is a child.
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    StopOnSignals stop;
    try {
      LineageLock wait(tmp.path(), "busy.test", std::chrono::seconds(30));
    } catch (const InterruptedError&) {
      ::_exit(42);
    } catch (...) {
      ::_exit(1);
    }
    ::_exit(0);
  }
  std::this_thread::sleep_for(200ms);
  const auto start = std::chrono::steady_clock::now();
  ::kill(child, SIGTERM);
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK(std::chrono::steady_clock::now() - start < 1s);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 42);
}
