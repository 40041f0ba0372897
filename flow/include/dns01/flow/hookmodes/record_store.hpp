#pragma once
// Hook records on disk: one small JSON file per TXT value published on behalf of another ACME
// client (certbot's manual hooks, lego's exec provider and httpreq endpoints — the "hook
// modes"; records.hpp has the service that uses them).
//
// certbot and lego run each hook in a new process. The flock'd run journals (journal.hpp)
// cannot hold such records: their lock dies with the process that wrote them, and the next
// `dns01 issue` would sweep them while the CA is still validating. Hook records therefore live
// in their own directory, <storage>/journal/hooks/, one file per record, written atomically
// (0600, renamed into place) and carrying their creation time so old ones can be swept.
//
// File format (version 1, unchanged since the first release; files of older runs stay
// readable): {"version":1, "id", "client", "domain", "record_name", "effective_name", "zone",
// "provider", "value", "owner_pid", "created_ms"}. `client` is "certbot", "lego-exec" or
// "httpreq"; any other string reads as HookClient::unknown.
//
// Errors: StorageError (directory or file). Threading: one thread per HookRecordStore; several
// processes may use one directory at once (every write is an atomic rename).
#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace dns01::flow {

// Which client's hook protocol created a record.
enum class HookClient { unknown, certbot, lego_exec, httpreq };
// "certbot" | "lego-exec" | "httpreq" ("" for unknown): the on-disk and log spelling.
std::string_view to_string(HookClient client) noexcept;
// The inverse of to_string(); unknown for anything else.
HookClient parse_hook_client(std::string_view text) noexcept;

// One record presented by a hook process.
struct HookRecord {
  std::string id;              // file stem, unique ("<ms>-<pid>-<random>")
  HookClient client = HookClient::unknown;
  std::string domain;          // identifier as the client named it ("example.com"); may be ""
  std::string record_name;     // "_acme-challenge.example.com" (canonical, no trailing dot)
  std::string effective_name;  // after CNAMEs: where the value is written and checked
  std::string zone;            // provider routing zone
  std::string provider;        // [providers.<name>] instance
  std::string value;           // the TXT value
  long owner_pid = 0;          // the client process (certbot's PID for certbot-auth), 0 = unknown
  std::chrono::system_clock::time_point created{};
};

// The record files of one storage directory.
class HookRecordStore {
 public:
  // `dir` is <storage>/journal/hooks (hook_records_dir()); created 0700 on first save.
  explicit HookRecordStore(std::filesystem::path dir);
  const std::filesystem::path& dir() const { return dir_; }

  // Fills id/created when empty and writes the file atomically. Throws StorageError.
  void save(HookRecord& record);
  // Deletes the record's file (absent is fine). Throws StorageError.
  void erase(const HookRecord& record);
  // True while the record's file exists (another process's cleanup deletes it).
  bool contains(const HookRecord& record) const;
  // Every readable record, oldest first. Malformed or unreadable files are skipped with a
  // warning (a torn write cannot happen: files are renamed into place).
  std::vector<HookRecord> list() const;

 private:
  std::filesystem::path dir_;
};

// <journal_dir>/hooks
std::filesystem::path hook_records_dir(const std::filesystem::path& journal_dir);

}  // namespace dns01::flow
