#pragma once
// The record journal: how dns01 guarantees that no TXT record outlives the run that created it.
//
// Each run owns one journal file <storage>/journal/<run-id>.jsonl, locked (flock) for the run's
// lifetime. A record is appended (and fsynced) BEFORE the provider is asked to create it, and a
// "removed" line is appended after the provider removed it. A file whose lock can be taken belongs
// to a run that is gone (killed, crashed, power loss): its pending records are stale, and the next
// run — or `dns01 cleanup --stale` — removes them and deletes the file. PID reuse cannot fool this,
// since the kernel drops the lock with the process.
//
// A torn last line (killed mid-append) is ignored: the record it described was not created yet.
// Lines: {"op": "add" | "removed" | "not_added", "provider", "zone", "name", "value", "time"}.
//
// A journal is created and locked under a hidden temporary name and only then renamed to its
// .jsonl name, so a concurrent sweeper never sees it unlocked.
//
// Thread-safety: RecordJournal methods may be called from several threads.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dns01/raii.hpp"

namespace dns01 {

struct JournalRecord {
  std::string provider;  // the [providers.<name>] instance that created it
  std::string zone;      // zone the provider was asked to write in
  std::string name;      // FQDN of the TXT record, no trailing dot
  std::string value;     // the TXT value
  bool operator==(const JournalRecord&) const = default;
};

class RecordJournal {
 public:
  // Creates and locks a new journal file for this run in `dir` (0700).
  explicit RecordJournal(const std::filesystem::path& dir);
  ~RecordJournal();  // closes; deletes the file if nothing is pending
  RecordJournal(const RecordJournal&) = delete;
  RecordJournal& operator=(const RecordJournal&) = delete;

  // Call before creating the record: from now on it counts as "maybe added" and is cleaned up
  // (by this run, or as stale by the next one) unless removed() or not_added() follows.
  void intend(const JournalRecord& record);
  // Call when the add provably wrote nothing — the provider's server refused it with an answer
  // (REFUSED, NOTAUTH, BADKEY: an RFC 2136 UPDATE is all or nothing), or the request never left
  // this host. The record is then not stale and nothing tries to remove it. Not for timeouts or
  // lost answers: those may have been applied.
  void not_added(const JournalRecord& record);
  // Call after the record was removed (or found absent).
  void removed(const JournalRecord& record);
  // Records intended and not yet removed, in order.
  std::vector<JournalRecord> pending() const;
  const std::filesystem::path& path() const { return path_; }

 private:
  void append(const std::string& op, const JournalRecord& record);
  std::filesystem::path path_;
  UniqueFd fd_;
  mutable std::mutex mutex_;
  std::vector<JournalRecord> pending_;
};

// A journal left by a run that is gone.
// It stays locked while this object (or a copy) lives, so two runs starting together do not
// both clean it.
struct StaleJournal {
  std::filesystem::path path;
  std::vector<JournalRecord> pending;
  std::shared_ptr<UniqueFd> lock;
};

// Finds journals in `dir` whose owner is gone (their lock can be taken). Journals of live runs
// (including this process's own) are skipped.
std::vector<StaleJournal> find_stale_journals(const std::filesystem::path& dir);

// Deletes a stale journal once its records are cleaned; `still_pending` are written back instead
// when some could not be removed (so a later run retries them).
void settle_stale_journal(const StaleJournal& journal,
                          const std::vector<JournalRecord>& still_pending);

}  // namespace dns01
