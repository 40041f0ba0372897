#pragma once
// Challenge records that live across processes: the hook modes (certbot's manual auth/cleanup
// hooks, lego's exec provider and its httpreq endpoints).
//
// certbot runs `dns01 certbot-auth` once per challenge, each in a new process, and
// `dns01 certbot-cleanup` later in other processes; lego runs `dns01 present` and
// `dns01 cleanup` the same way. The flock'd run journals (journal.hpp) cannot hold such records:
// their lock dies with the process that wrote them, and the next `dns01 issue` would sweep them
// while the CA is still validating. Hook records therefore live in their own directory,
// <storage>/journal/hooks/, one small JSON file per record:
//
//   - written atomically (0600) BEFORE the provider is asked to add the value,
//   - deleted AFTER the provider removed it,
//   - carrying its creation time, so `dns01 cleanup --stale` removes records older than a
//     maximum age (a client that never ran its cleanup).
//
// Values are independent: the apex and the wildcard of a name share one record name with two
// values, and each stays until its own removal. The same value presented twice (a client
// retrying) is reference-counted by the files: the DNS value goes only with the last file.
//
// Errors: ConfigError (no provider serves a zone), PropagationError (CNAME loop, zone not found,
// timeout), ProviderError/NetworkError from providers, StorageError (record directory),
// InterruptedError from the Checker's cancelled callback.
// Threading: one thread per HookRecordStore / ProviderSet / Checker (their own rules); several
// processes may use one directory at once (every write is an atomic rename).
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "dns01/config.hpp"
#include "dns01/plugins/loader.hpp"
#include "dns01/propagation/propagation.hpp"

namespace dns01::flow {

// One record presented by a hook process.
struct HookRecord {
  std::string id;              // file stem, unique ("<ms>-<pid>-<random>")
  std::string client;          // "certbot", "lego-exec", "httpreq"
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
  // Every readable record, oldest first. Malformed or unreadable files are skipped with a
  // warning (a torn write cannot happen: files are renamed into place).
  std::vector<HookRecord> list() const;

 private:
  std::filesystem::path dir_;
};

// <journal_dir>/hooks
std::filesystem::path hook_records_dir(const std::filesystem::path& journal_dir);

// Canonical record name for an identifier: "_acme-challenge.<domain>" with any "*." and
// trailing dot removed, lower-cased. Throws UsageError for an empty or malformed name.
std::string challenge_record_name(std::string_view domain);

// What a client asks to publish.
struct HookRequest {
  std::string client;
  std::string domain;       // "" when only the record name is known (lego's fqdn form)
  std::string record_name;  // with or without a trailing dot
  std::string value;
  long owner_pid = 0;
};

// lego's two argument forms (exec provider, httpreq): {"<fqdn.>", "<value>"}, or RAW
// {"<domain>", "<token>", "<keyAuth>"} whose value is base64url(SHA-256(keyAuth)).
// Throws UsageError for any other shape.
HookRequest lego_request(const std::vector<std::string>& args, std::string client);

// Resolves CNAMEs (checker.resolve), routes the effective name (providers.route), saves the
// record file, then adds the value. On a failed add the file stays (the value may exist), so
// the client's cleanup or `dns01 cleanup --stale` removes it; the error is rethrown.
HookRecord present_hook_record(HookRecordStore& store, plugins::ProviderSet& providers,
                               propagation::Checker& checker, const HookRequest& request);

// One propagation wait for every record (their effective names). Records whose file vanished
// meanwhile (another run's cleanup) are dropped from the wait instead of timing it out.
// Throws PropagationError naming each laggard on timeout.
propagation::CheckResult wait_hook_records(HookRecordStore& store, propagation::Checker& checker,
                                           std::vector<HookRecord> records,
                                           const propagation::ProgressFn& progress = {});

// Removes exactly one value. The record file is found by `id` when given, else by record name
// (or effective name) and value; without any file the name is resolved and routed afresh (a
// client cleaning after a failed present). The DNS value is removed only when no other file
// holds the same provider/name/value; the file is deleted after the removal succeeded.
// Returns the records whose files were settled. Throws the provider's error (file kept).
std::vector<HookRecord> remove_hook_record(HookRecordStore& store, plugins::ProviderSet& providers,
                                           propagation::Checker& checker,
                                           const std::string& record_name, const std::string& value,
                                           const std::string& id = {});

// What a sweep of old hook records did.
struct HookSweep {
  std::size_t found = 0;            // records older than max_age
  std::vector<HookRecord> removed;  // removed from DNS (or already gone) and forgotten
  std::vector<std::string> errors;  // one message per record kept for the next sweep
};

// Removes every record created more than `max_age` before `now` through the provider instance
// it names (or the one routing its name when that instance is gone). Never throws for a record.
HookSweep sweep_hook_records(HookRecordStore& store, plugins::ProviderSet& providers,
                             std::chrono::milliseconds max_age,
                             std::chrono::system_clock::time_point now =
                                 std::chrono::system_clock::now());

// Everything one hook process needs, built from the configuration: the providers (loaded),
// a Checker for [propagation] and the record store of [storage] dir. Throws ConfigError /
// ProviderError from loading. The caller may set checker.options().cancelled.
struct HookSession {
  explicit HookSession(const Config& config);
  plugins::ProviderSet providers;
  propagation::Checker checker;
  HookRecordStore store;
};

// Removes one record this process presented (interrupted hook, server shutdown): like
// remove_hook_record by id, with the session's cancellation cleared so a pending stop request
// does not abort the removal. Never throws: a failure is logged and the file stays for
// `dns01 cleanup --stale`. Returns true when the record is gone.
bool withdraw_hook_record(HookSession& session, const HookRecord& record) noexcept;

}  // namespace dns01::flow
