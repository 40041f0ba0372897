#include "dns01/journal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <random>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dns01/error.hpp"
#include "dns01/storage.hpp"

namespace dns01 {

namespace {

[[noreturn]] void fail(const std::string& step, const std::filesystem::path& path, int err) {
  throw StorageError(step, fmt::format("{}: {}", path.string(), std::strerror(err)),
                     "the journal protects against stale TXT records; make [storage] dir writable");
}

std::string line_for(const std::string& op, const JournalRecord& r) {
  nlohmann::json j = {{"op", op},          {"provider", r.provider}, {"zone", r.zone},
                      {"name", r.name},    {"value", r.value},
                      {"time", std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count()}};
  return j.dump() + "\n";
}

// Replays add/removed lines; unparsable lines (a torn last append) are skipped.
std::vector<JournalRecord> replay(const std::string& text) {
  std::vector<JournalRecord> pending;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    auto str = [&](const char* k) {
      auto it = j.find(k);
      return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    JournalRecord r{str("provider"), str("zone"), str("name"), str("value")};
    if (r.name.empty() || r.provider.empty()) continue;
    const std::string op = str("op");
    if (op == "add") {
      pending.push_back(r);
    } else if (op == "removed" || op == "not_added") {
      auto it = std::find(pending.begin(), pending.end(), r);
      if (it != pending.end()) pending.erase(it);
    }
  }
  return pending;
}

void write_all(int fd, const std::string& data, const std::filesystem::path& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("write journal", path, errno);
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) fail("sync journal", path, errno);
}

}  // namespace

RecordJournal::RecordJournal(const std::filesystem::path& dir) {
  ensure_private_dir(dir);
  std::random_device rd;
  path_ = dir / fmt::format("{}-{:08x}.jsonl", ::getpid(), rd());
  // Created and locked under a name sweepers ignore, then renamed: a journal is never visible
  // unlocked, so a concurrent `cleanup --stale` cannot take it for a dead run's and unlink it
  // while this run goes on writing into the deleted file.
  const std::filesystem::path hidden = dir / fmt::format(".{}.tmp", path_.filename().string());
  fd_.reset(::open(hidden.c_str(), O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
                   0600));
  if (!fd_) fail("create journal", hidden, errno);
  if (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0 || ::rename(hidden.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    ::unlink(hidden.c_str());
    fail("create journal", path_, err);
  }
}

RecordJournal::~RecordJournal() {
  std::lock_guard lock(mutex_);
  // Unlink while still holding the lock, so no other run can see it as stale in between.
  if (fd_ && pending_.empty()) ::unlink(path_.c_str());
}

void RecordJournal::append(const std::string& op, const JournalRecord& record) {
  write_all(fd_.get(), line_for(op, record), path_);
}

void RecordJournal::intend(const JournalRecord& record) {
  std::lock_guard lock(mutex_);
  append("add", record);
  pending_.push_back(record);
}

void RecordJournal::not_added(const JournalRecord& record) {
  std::lock_guard lock(mutex_);
  append("not_added", record);
  auto it = std::find(pending_.begin(), pending_.end(), record);
  if (it != pending_.end()) pending_.erase(it);
}

void RecordJournal::removed(const JournalRecord& record) {
  std::lock_guard lock(mutex_);
  append("removed", record);
  auto it = std::find(pending_.begin(), pending_.end(), record);
  if (it != pending_.end()) pending_.erase(it);
}

std::vector<JournalRecord> RecordJournal::pending() const {
  std::lock_guard lock(mutex_);
  return pending_;
}

std::vector<StaleJournal> find_stale_journals(const std::filesystem::path& dir) {
  std::vector<StaleJournal> out;
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".jsonl") {
      files.push_back(entry.path());
    } else if (name.starts_with(".") && name.ends_with(".jsonl.tmp")) {
      // A run killed between creating its journal and renaming it: the file holds nothing yet
      // (records are journaled only after the rename). Removed once it is a minute old and its
      // lock can be taken — a live run locks it within microseconds of creating it.
      UniqueFd fd(::open(entry.path().c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
      struct stat st {};
      if (fd && ::fstat(fd.get(), &st) == 0 && st.st_mtime + 60 < ::time(nullptr) &&
          ::flock(fd.get(), LOCK_EX | LOCK_NB) == 0)
        ::unlink(entry.path().c_str());
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    auto fd = std::make_shared<UniqueFd>(::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!*fd) continue;  // removed meanwhile by its owner
    // Our own journal is locked through another open file description, so this fails for it
    // too: flock locks belong to the open file description, not the process.
    if (::flock(fd->get(), LOCK_EX | LOCK_NB) != 0) continue;
    // A run that ended normally unlinks its journal while still holding the lock; we may have
    // opened it just before that. Read through our descriptor, and only a file still linked.
    struct stat st {};
    if (::fstat(fd->get(), &st) != 0 || st.st_nlink == 0 || !S_ISREG(st.st_mode)) continue;
    std::string text;
    char buffer[16384];
    for (off_t at = 0;;) {
      const ssize_t n = ::pread(fd->get(), buffer, sizeof buffer, at);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      text.append(buffer, static_cast<std::size_t>(n));
      at += n;
      if (text.size() > kMaxStoredFileBytes) break;  // replay keeps the complete lines
    }
    out.push_back({file, replay(text), fd});
  }
  return out;
}

void settle_stale_journal(const StaleJournal& journal,
                          const std::vector<JournalRecord>& still_pending) {
  if (still_pending.empty()) {
    if (::unlink(journal.path.c_str()) != 0 && errno != ENOENT)
      fail("remove journal", journal.path, errno);
    return;
  }
  std::string text;
  for (const auto& r : still_pending) text += line_for("add", r);
  write_file_atomic(journal.path, text, 0600);
}

}  // namespace dns01
