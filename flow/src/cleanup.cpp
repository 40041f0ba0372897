// cleanup_stale(): the two sweeps of `dns01 cleanup --stale`, in one report.
#include "dns01/flow/cleanup.hpp"

#include <filesystem>

#include "dns01/flow/hookmodes/records.hpp"
#include "dns01/flow/records.hpp"
#include "dns01/log.hpp"
#include "dns01/storage.hpp"

namespace dns01::flow {

const char* source_name(CleanedRecord::Source source) noexcept {
  return source == CleanedRecord::Source::hook ? "hook" : "journal";
}

CleanupReport cleanup_stale(const Config& config, std::chrono::milliseconds max_age) {
  auto providers = plugins::ProviderSet::load(config.providers);
  const auto journal_dir = CertStore(config.storage.dir).journal_dir();
  CleanupReport report;
  std::error_code ec;
  if (std::filesystem::is_directory(journal_dir, ec)) {
    auto sweep = clean_stale_records(journal_dir, providers);
    report.journals = sweep.journals;
    for (const auto& r : sweep.removed)
      report.removed.push_back({CleanedRecord::Source::journal, r.provider, r.zone, r.name, r.value});
    report.errors.insert(report.errors.end(), sweep.errors.begin(), sweep.errors.end());
  }
  HookRecordStore store(hook_records_dir(journal_dir));
  auto hooks = sweep_hook_records(store, providers, max_age);
  report.hook_records = hooks.found;
  for (const auto& r : hooks.removed)
    report.removed.push_back({CleanedRecord::Source::hook, r.provider, r.zone, r.effective_name, r.value});
  report.errors.insert(report.errors.end(), hooks.errors.begin(), hooks.errors.end());

  auto& log = Logger::global();
  log.info("cleanup", "{} stale journal(s), {} hook record(s) older than {}: {} record(s) removed, "
           "{} could not be",
           report.journals, report.hook_records, format_duration(max_age), report.removed.size(),
           report.errors.size());
  for (const auto& e : report.errors) log.error("cleanup", "{}", e);
  return report;
}

}  // namespace dns01::flow
