#pragma once
// The hook-mode service: TXT values published, awaited and removed on behalf of another ACME
// client whose hooks run dns01 once per step, each in a new process (certbot's manual
// auth/cleanup hooks, lego's exec provider, lego's httpreq through `dns01 serve-httpreq`).
// The records persist between those processes in record files (record_store.hpp):
//
//   - a record file is written BEFORE the provider is asked to add the value,
//   - and deleted AFTER the provider removed it,
//   - so `dns01 cleanup --stale` can remove records older than a maximum age (a client that
//     never ran its cleanup).
//
// Values are independent: the apex and the wildcard of a name share one record name with two
// values, and each stays until its own removal. The same value presented twice (a client
// retrying) is reference-counted by the files: the DNS value goes only with the last file.
//
// Errors: ConfigError (no provider serves a zone), PropagationError (CNAME loop, zone not found,
// timeout), ProviderError/NetworkError from providers, StorageError (record directory),
// InterruptedError from the Checker's cancelled callback.
// Threading: one thread per HookRecordStore / ProviderSet / Checker (their own rules).
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "dns01/config.hpp"
#include "dns01/flow/hookmodes/protocols.hpp"
#include "dns01/flow/hookmodes/record_store.hpp"
#include "dns01/plugins/loader.hpp"
#include "dns01/propagation/propagation.hpp"

namespace dns01::flow {

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

// Records of one certbot run older than this belong to an earlier run.
inline constexpr std::chrono::hours kCertbotBatchWindow{1};

// certbot's batch: the records of THIS certbot run for the names of this order, which the last
// auth hook call waits for together. `last` (the record just presented) comes last; the others
// are certbot records on file for one of `domains`, at most kCertbotBatchWindow old, and — when
// both PIDs are known — of the same certbot process `owner` (another certbot run's records are
// not ours to wait for).
std::vector<HookRecord> certbot_batch(const HookRecordStore& store, const HookRecord& last,
                                      const std::vector<std::string>& domains, long owner,
                                      std::chrono::system_clock::time_point now =
                                          std::chrono::system_clock::now());

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
// ProviderError from loading. The Checker ends a wait on a stop request (signals.hpp) by default.
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
