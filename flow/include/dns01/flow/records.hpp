#pragma once
// Challenge records from "please publish this value" to "gone again": the piece shared by
// `dns01 issue`, `dns01 renew` and the hook modes (certbot/lego).
//
//   RecordPublisher pub(providers, checker, journal);
//   pub.present(records);   // resolve + route ALL first, then journal, then add (batched per instance)
//   pub.wait(progress);     // ONE propagation wait covering every presented record
//   ...                     // the CA validates
//   pub.cleanup();          // removes exactly the values it added; never throws
//
// Order of operations and why:
//  - Every record name is resolved (CNAMEs followed: the effective name is where the TXT record
//    is written and checked) and routed to a provider instance (longest zone suffix of the
//    effective name) BEFORE anything is written, so a config naming no provider for a zone fails
//    before a single record exists.
//  - Each record is appended to the run's journal (fsynced) before its provider is asked to
//    create it: a run killed at any point leaves a journal the next run cleans.
//  - Records of one instance go in one add_all() call (one batched UPDATE for RFC 2136).
//  - The apex and the wildcard of a name share one record name with two values: each value is
//    added and removed on its own; other values at that name (another run's) are never touched.
//
// Errors: ConfigError (no provider serves a zone), PropagationError (CNAME loop, zone not found,
// timeout), ProviderError/NetworkError from providers, InterruptedError when
// stop_requested() became true (signals.hpp). After a failed present(), cleanup() still removes
// whatever was (possibly) created.
// Threading: one thread (the engine calls it from its run's thread only; cleanup() may run on
// another thread while that one does not use the publisher, providers or checker).
#include <chrono>
#include <exception>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "dns01/journal.hpp"
#include "dns01/plugins/loader.hpp"
#include "dns01/propagation/propagation.hpp"

namespace dns01::flow {

// Where the TXT record for a challenge name must be written: CNAMEs followed, then the provider
// instance whose zone is the longest suffix of the effective name.
struct Placement {
  std::string effective_name;           // == record_name without CNAMEs
  std::vector<std::string> cname_chain;
  plugins::ProviderInstance* instance = nullptr;
  std::string zone;                     // the routing zone of that instance
};
// Throws ConfigError when no provider serves the name (also when the name is in no zone the
// nameservers know: that is most often the same mistake), PropagationError for CNAME loops.
// Shared by the issue flow, its pre-order check and the hook modes.
Placement place_record(plugins::ProviderSet& providers, propagation::Checker& checker,
                       const std::string& record_name);
// The same with the instance fixed to the [providers.<name>] table `instance` ("" = routed as
// above): ConfigError when no such table exists or the effective name is outside its zones.
Placement place_record(plugins::ProviderSet& providers, propagation::Checker& checker,
                       const std::string& record_name, const std::string& instance);

// One TXT value to publish.
struct ChallengeRecord {
  std::string record_name;  // "_acme-challenge.example.com" (no trailing dot)
  std::string value;        // the TXT value
  std::string label;        // for progress lines, e.g. "*.example.com"; "" = record_name
};

// Where a record went.
struct PlacedRecord {
  ChallengeRecord record;
  std::string effective_name;  // after CNAMEs (== record_name without any)
  std::vector<std::string> cname_chain;
  std::string zone;            // the provider zone it was written in
  std::string provider;        // instance name ([providers.<name>])
  std::string component;       // "rfc2136[internal]" for messages
  plugins::ProviderInstance* instance = nullptr;  // where it was added (cleanup removes it there)
  bool added = false;          // add succeeded (or may have: a failed batch counts as maybe)
  bool removed = false;
};

class RecordPublisher {
 public:
  // All three are borrowed and must outlive the publisher.
  RecordPublisher(plugins::ProviderSet& providers, propagation::Checker& checker,
                  RecordJournal& journal);
  ~RecordPublisher();  // calls cleanup() if records are still out
  RecordPublisher(const RecordPublisher&) = delete;
  RecordPublisher& operator=(const RecordPublisher&) = delete;

  // Resolves and routes every record, then journals and adds them. May be called more than
  // once; records accumulate. Returns the placements of this call.
  std::vector<PlacedRecord> present(const std::vector<ChallengeRecord>& records);

  // present() for many certificates at once (the engine): the same order of operations, but a
  // record that cannot be placed, or whose instance's add_all() fails, is reported instead of
  // thrown, so the records of other instances still go out. Returns one entry per input record:
  // nullptr when it was added, else why not (a record of a failed batch stays "maybe added" and
  // is removed by cleanup()). `pinned[i]`, when given and not empty, names the instance that
  // must serve record i (IssueOptions::provider). Throws only InterruptedError (after which
  // cleanup() removes what went out).
  std::vector<std::exception_ptr> present_each(const std::vector<ChallengeRecord>& records,
                                               const std::vector<std::string>& pinned = {});

  // One wait for every presented record (their effective names). Throws PropagationError on
  // timeout (naming every laggard), InterruptedError on a stop request.
  propagation::CheckResult wait(const propagation::ProgressFn& progress = {});

  // Removes every presented value not yet removed (batched per instance, falling back to one
  // by one when a batch fails for another reason than an unreachable provider), updates the
  // journal, and returns one message per record that could not be removed (those stay in the
  // journal for `dns01 cleanup --stale`). One bounded pass: the destructor does not try again
  // after an explicit cleanup(). Never throws.
  std::vector<std::string> cleanup();

  const std::vector<PlacedRecord>& records() const { return placed_; }

 private:
  plugins::ProviderSet& providers_;
  propagation::Checker& checker_;
  RecordJournal& journal_;
  std::vector<PlacedRecord> placed_;
  bool cleaned_ = false;  // cleanup() ran since the last present()
  PlacedRecord place(const ChallengeRecord& record, const std::string& pinned);
};

// What a stale-journal sweep did.
struct StaleSweep {
  std::size_t journals = 0;            // stale journals found
  std::vector<JournalRecord> removed;  // records removed
  std::vector<std::string> errors;     // records that could not be removed (kept for next time)
};

// Finds the journals of runs that are gone in `journal_dir` and removes their pending records
// through the provider instance named in each record (or, if that instance no longer exists,
// the one routing the name). Never throws for a record; throws StorageError when the
// directory cannot be read.
StaleSweep clean_stale_records(const std::filesystem::path& journal_dir,
                               plugins::ProviderSet& providers);

}  // namespace dns01::flow
