#pragma once
// cleanup_stale(): `dns01 cleanup --stale` — remove the records nobody is going to remove:
//   1. the run journals whose run is gone (a killed `dns01 issue`/`renew`: clean_stale_records),
//   2. hook records (certbot/lego/httpreq) older than `max_age` (a client that never ran its
//      cleanup: sweep_hook_records).
// Each record is removed through the provider instance that wrote it. A record that cannot be
// removed stays on file for the next sweep and is reported in `errors`; this never throws for a
// record. Throws ConfigError/ProviderError when the providers cannot be loaded and StorageError
// when the journal directory cannot be read. Logs a one-line summary and every error.
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "dns01/config.hpp"

namespace dns01::flow {

struct CleanedRecord {
  enum class Source { journal, hook };
  Source source = Source::journal;
  std::string provider, zone, name, value;  // name: the effective name the value was written at
};
// "journal" | "hook" (the --json `source` field).
const char* source_name(CleanedRecord::Source source) noexcept;

struct CleanupReport {
  std::size_t journals = 0;      // stale run journals found
  std::size_t hook_records = 0;  // hook records older than max_age found
  std::vector<CleanedRecord> removed;
  std::vector<std::string> errors;  // one message per record kept for the next sweep
  bool ok() const noexcept { return errors.empty(); }
};

CleanupReport cleanup_stale(const Config& config, std::chrono::milliseconds max_age);

}  // namespace dns01::flow
