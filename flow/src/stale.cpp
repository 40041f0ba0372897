// clean_stale_records: the records of runs that were killed before their cleanup.
#include <fmt/format.h>

#include <map>
#include <set>

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

provider::TxtRecord txt_of(const JournalRecord& r) { return {r.name, r.value, r.zone, 0}; }

}  // namespace

StaleSweep clean_stale_records(const std::filesystem::path& journal_dir, plugins::ProviderSet& providers) {
  StaleSweep sweep;
  std::error_code ec;
  if (!std::filesystem::is_directory(journal_dir, ec)) return sweep;
  auto& log = Logger::global();
  // One bounded pass: an instance whose server did not answer is not asked again in this sweep
  // (each further record would cost another timeout before the run can even start); its records
  // stay journaled for the next one.
  std::set<const plugins::ProviderInstance*> unreachable;
  for (const auto& journal : find_stale_journals(journal_dir)) {
    ++sweep.journals;
    const std::string file = journal.path.filename().string();
    std::vector<JournalRecord> still;
    auto keep = [&](const JournalRecord& r, const std::string& why) {
      still.push_back(r);
      sweep.errors.push_back(fmt::format("{} ({}): {}", r.name, r.provider, why));
    };
    std::map<plugins::ProviderInstance*, std::vector<JournalRecord>> groups;
    for (const auto& r : journal.pending) {
      try {
        groups[&instance_for(providers, r)].push_back(r);
      } catch (const std::exception& e) {
        keep(r, e.what());
        log.warn("cleanup", "could not remove stale TXT {}: {}", r.name, e.what());
      }
    }
    for (auto& [instance, records] : groups) {
      if (unreachable.count(instance)) {
        for (const auto& r : records) keep(r, "its DNS server did not answer earlier in this sweep");
        continue;
      }
      std::vector<provider::TxtRecord> txts;
      for (const auto& r : records) txts.push_back(txt_of(r));
      try {
        instance->remove_all(txts);
        for (const auto& r : records) {
          sweep.removed.push_back(r);
          log.info("cleanup", "removed stale TXT {} (left by an interrupted run, {})", r.name, file);
        }
        continue;
      } catch (const Error& e) {
        if (e.category() == ErrorCategory::network) {
          unreachable.insert(instance);
          for (const auto& r : records) keep(r, e.what());
          log.warn("cleanup", "could not remove {} stale TXT record{} via {}: {}; kept for the next "
                   "run", records.size(), records.size() == 1 ? "" : "s", instance->component(), e.what());
          continue;
        }
      } catch (const std::exception&) {
      }
      // The batch failed for another reason (one record the server refuses): one by one.
      for (const auto& r : records) {
        try {
          instance->remove(txt_of(r));
          sweep.removed.push_back(r);
          log.info("cleanup", "removed stale TXT {} (left by an interrupted run, {})", r.name, file);
        } catch (const std::exception& e) {
          keep(r, e.what());
          log.warn("cleanup", "could not remove stale TXT {}: {}", r.name, e.what());
        }
      }
    }
    settle_stale_journal(journal, still);
  }
  return sweep;
}

}  // namespace dns01::flow
