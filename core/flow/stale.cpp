// clean_stale_records: the records of runs that were killed before their cleanup.
#include <fmt/format.h>

#include "dns01/flow/records.hpp"
#include "dns01/log.hpp"

namespace dns01::flow {

namespace {

// The instance that created the record, else whichever now routes its name.
plugins::ProviderInstance& instance_for(plugins::ProviderSet& providers, const JournalRecord& r) {
  for (std::size_t i = 0; i < providers.size(); ++i)
    if (providers.at(i).config().name == r.provider) return providers.at(i);
  return *providers.route(r.name).first;
}

}  // namespace

StaleSweep clean_stale_records(const std::filesystem::path& journal_dir, plugins::ProviderSet& providers) {
  StaleSweep sweep;
  std::error_code ec;
  if (!std::filesystem::is_directory(journal_dir, ec)) return sweep;
  auto& log = Logger::global();
  for (const auto& journal : find_stale_journals(journal_dir)) {
    ++sweep.journals;
    std::vector<JournalRecord> still;
    for (const auto& r : journal.pending) {
      try {
        instance_for(providers, r).remove({r.name, r.value, r.zone, 0});
        sweep.removed.push_back(r);
        log.info("cleanup", "removed stale TXT {} (left by an interrupted run, {})", r.name,
                 journal.path.filename().string());
      } catch (const std::exception& e) {
        still.push_back(r);
        sweep.errors.push_back(fmt::format("{} ({}): {}", r.name, r.provider, e.what()));
        log.warn("cleanup", "could not remove stale TXT {}: {}", r.name, e.what());
      }
    }
    settle_stale_journal(journal, still);
  }
  return sweep;
}

}  // namespace dns01::flow
