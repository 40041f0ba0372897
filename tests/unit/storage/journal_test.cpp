#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <atomic>
#include <fstream>
#include <thread>

#include "dns01/journal.hpp"
#include "dns01/storage.hpp"
#include "temp_dir.hpp"

using namespace dns01;

namespace {
const JournalRecord kApex{"internal", "example.test", "_acme-challenge.example.test", "v1"};
const JournalRecord kWild{"internal", "example.test", "_acme-challenge.example.test", "v2"};
}  // namespace

TEST_CASE("journal tracks intended and removed records", "[journal]") {
  test::TempDir tmp;
  std::filesystem::path file;
  {
    RecordJournal journal(tmp / "journal");
    file = journal.path();
    journal.intend(kApex);
    journal.intend(kWild);
    journal.removed(kApex);
    CHECK(journal.pending() == std::vector<JournalRecord>{kWild});
    // A live run's journal is never stale, even to this same process.
    CHECK(find_stale_journals(tmp / "journal").empty());
    journal.removed(kWild);
  }
  CHECK_FALSE(std::filesystem::exists(file));  // nothing pending: the file is gone
}

TEST_CASE("a killed run's journal is found stale with exactly its pending records", "[journal]") {
  test::TempDir tmp;
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    RecordJournal journal(tmp / "journal");
    journal.intend(kApex);
    journal.intend(kWild);
    journal.removed(kApex);
    ::_exit(0);  // like SIGKILL: no destructor runs
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  auto stale = find_stale_journals(tmp / "journal");
  REQUIRE(stale.size() == 1);
  CHECK(stale[0].pending == std::vector<JournalRecord>{kWild});

  // While one cleaner holds it, another does not see it.
  CHECK(find_stale_journals(tmp / "journal").empty());

  settle_stale_journal(stale[0], {kWild});  // could not remove it: kept for later
  auto path = stale[0].path;
  stale.clear();
  auto again = find_stale_journals(tmp / "journal");
  REQUIRE(again.size() == 1);
  CHECK(again[0].pending == std::vector<JournalRecord>{kWild});
  settle_stale_journal(again[0], {});
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("a torn last line is ignored when replaying", "[journal]") {
  test::TempDir tmp;
  std::filesystem::create_directories(tmp / "journal");
  {
    std::ofstream out(tmp / "journal" / "1-dead.jsonl");
    out << R"({"op":"add","provider":"p","zone":"example.test","name":"_acme-challenge.example.test","value":"a"})"
        << "\n{\"op\":\"add\",\"provider\":\"p\",\"zo";
  }
  auto stale = find_stale_journals(tmp / "journal");
  REQUIRE(stale.size() == 1);
  REQUIRE(stale[0].pending.size() == 1);
  CHECK(stale[0].pending[0].value == "a");
}

TEST_CASE("a record whose add provably wrote nothing is not stale", "[journal]") {
  test::TempDir tmp;
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    RecordJournal journal(tmp / "journal");
    journal.intend(kApex);
    journal.not_added(kApex);  // the server answered REFUSED
    journal.intend(kWild);     // no answer at all: maybe added
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  auto stale = find_stale_journals(tmp / "journal");
  REQUIRE(stale.size() == 1);
  CHECK(stale[0].pending == std::vector<JournalRecord>{kWild});
}

TEST_CASE("a sweeper never takes a live run's new journal for a dead one", "[journal]") {
  // Issue 17, finding 4: between a journal's creation and its flock, `cleanup --stale` could lock
  // it, find nothing pending and unlink it; the run then journaled into a deleted file.
  test::TempDir tmp;
  std::filesystem::create_directories(tmp / "journal");
  std::atomic<bool> done{false};
  std::atomic<int> swept{0};
  std::thread sweeper([&] {
    while (!done) {
      for (const auto& j : find_stale_journals(tmp / "journal")) {
        settle_stale_journal(j, j.pending);
        ++swept;
      }
    }
  });
  int lost = 0;
  for (int i = 0; i < 1000; ++i) {
    RecordJournal journal(tmp / "journal");
    journal.intend(kApex);
    if (!std::filesystem::exists(journal.path())) ++lost;
    journal.removed(kApex);
  }
  done = true;
  sweeper.join();
  CHECK(lost == 0);
  CHECK(swept == 0);
}

TEST_CASE("a journal left half-created by a killed run is removed by the next sweep", "[journal]") {
  test::TempDir tmp;
  std::filesystem::create_directories(tmp / "journal");
  const auto left = tmp / "journal" / ".4242-deadbeef.jsonl.tmp";
  { std::ofstream{left}; }
  CHECK(find_stale_journals(tmp / "journal").empty());
  CHECK(std::filesystem::exists(left));  // too young: its run may be about to lock it
  std::filesystem::last_write_time(left, std::filesystem::last_write_time(left) - std::chrono::minutes(5));
  CHECK(find_stale_journals(tmp / "journal").empty());
  CHECK(std::filesystem::is_empty(tmp / "journal"));
}
