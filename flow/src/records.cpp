// RecordPublisher: resolve + route everything, journal, add per instance, one wait, cleanup.
#include "dns01/flow/records.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>
#include <tuple>

#include "dns01/log.hpp"
#include "dns01/signals.hpp"

namespace dns01::flow {

namespace {

std::string label_of(const ChallengeRecord& r) { return r.label.empty() ? r.record_name : r.label; }

provider::TxtRecord txt_of(const PlacedRecord& p) { return {p.effective_name, p.record.value, p.zone, 0}; }

JournalRecord journal_of(const PlacedRecord& p) {
  return {p.provider, p.zone, p.effective_name, p.record.value};
}

// Records grouped per instance, the instances in the order their first record came (so the
// provider calls follow the caller's order, not pointer values).
using Groups = std::vector<std::pair<plugins::ProviderInstance*, std::vector<std::size_t>>>;
std::vector<std::size_t>& group_of(Groups& groups, plugins::ProviderInstance* instance) {
  for (auto& [i, indexes] : groups)
    if (i == instance) return indexes;
  return groups.emplace_back(instance, std::vector<std::size_t>{}).second;
}

}  // namespace

Placement place_record(plugins::ProviderSet& providers, propagation::Checker& checker,
                       const std::string& record_name) {
  propagation::Target target;
  try {
    target = checker.resolve(record_name);
  } catch (const PropagationError&) {
    providers.route(record_name);  // ConfigError "no provider serves ..." says more than "no SOA"
    throw;
  }
  Placement p;
  p.effective_name = target.effective_name.empty() ? record_name : target.effective_name;
  p.cname_chain = std::move(target.cname_chain);
  std::tie(p.instance, p.zone) = providers.route(p.effective_name);
  return p;
}

Placement place_record(plugins::ProviderSet& providers, propagation::Checker& checker,
                       const std::string& record_name, const std::string& instance) {
  if (instance.empty()) return place_record(providers, checker, record_name);
  auto* pinned = providers.find(instance);
  if (pinned == nullptr)
    throw ConfigError("route record", fmt::format("{}: no [providers.{}] table is configured", record_name, instance),
                      "name a configured provider instance, or leave `provider` out to route by zone");
  const propagation::Target target = checker.resolve(record_name);
  Placement p;
  p.effective_name = target.effective_name.empty() ? record_name : target.effective_name;
  p.cname_chain = target.cname_chain;
  p.instance = pinned;
  for (const auto& zone : pinned->config().zones)
    if (plugins::name_in_zone(p.effective_name, zone) && zone.size() > p.zone.size()) p.zone = zone;
  if (p.zone.empty())
    throw ConfigError("route record",
                      fmt::format("{} is outside the zones of [providers.{}] ({})", p.effective_name, instance,
                                  fmt::join(pinned->config().zones, ", ")),
                      "add the zone to that table's `zones`, or pin another provider instance");
  return p;
}

RecordPublisher::RecordPublisher(plugins::ProviderSet& providers, propagation::Checker& checker,
                                 RecordJournal& journal)
    : providers_(providers), checker_(checker), journal_(journal) {}

RecordPublisher::~RecordPublisher() {
  if (cleaned_) return;  // one pass: what it could not remove is the journal's now
  for (const auto& p : placed_)
    if (p.added && !p.removed) {
      cleanup();
      break;
    }
}

PlacedRecord RecordPublisher::place(const ChallengeRecord& r, const std::string& pinned) {
  PlacedRecord p;
  p.record = r;
  Placement where = place_record(providers_, checker_, r.record_name, pinned);
  p.instance = where.instance;
  p.effective_name = std::move(where.effective_name);
  p.cname_chain = std::move(where.cname_chain);
  p.zone = std::move(where.zone);
  p.provider = p.instance->config().name;
  p.component = p.instance->component();
  if (p.effective_name != r.record_name)
    Logger::global().info("records", "{}: {} is a CNAME to {}", label_of(r), r.record_name, p.effective_name);
  return p;
}

std::vector<std::exception_ptr> RecordPublisher::present_each(const std::vector<ChallengeRecord>& records,
                                                              const std::vector<std::string>& pinned) {
  cleaned_ = false;
  auto& log = Logger::global();
  std::vector<std::exception_ptr> failures(records.size());
  // 1. Place every record first (as present()); one that cannot be placed only fails itself.
  Groups groups;  // -> indexes in placed_
  std::map<std::size_t, std::size_t> input_of;                            // placed_ index -> input
  for (std::size_t i = 0; i < records.size(); ++i) {
    try {
      PlacedRecord p = place(records[i], i < pinned.size() ? pinned[i] : std::string());
      group_of(groups, p.instance).push_back(placed_.size());
      input_of[placed_.size()] = i;
      placed_.push_back(std::move(p));
    } catch (const InterruptedError&) {
      throw;
    } catch (...) {
      failures[i] = std::current_exception();
    }
  }
  // 2. One add_all() per instance, journaled first; a failed batch fails its records only.
  for (auto& [instance, indexes] : groups) {
    if (stop_requested()) throw InterruptedError("present the TXT records");
    std::vector<provider::TxtRecord> txts;
    for (std::size_t k : indexes) {
      journal_.intend(journal_of(placed_[k]));
      placed_[k].added = true;
      txts.push_back(txt_of(placed_[k]));
    }
    try {
      instance->add_all(txts);
    } catch (const InterruptedError&) {
      throw;
    } catch (const std::exception& e) {
      log.error("records", "could not add {} TXT value{} via {}: {}", txts.size(), txts.size() == 1 ? "" : "s",
                instance->component(), e.what());
      for (std::size_t k : indexes) failures[input_of[k]] = std::current_exception();
      continue;
    }
    for (std::size_t k : indexes)
      log.info("records", "{}: TXT {} added in zone {} via {}", label_of(placed_[k].record), placed_[k].effective_name,
               placed_[k].zone, placed_[k].component);
  }
  return failures;
}

std::vector<PlacedRecord> RecordPublisher::present(const std::vector<ChallengeRecord>& records) {
  cleaned_ = false;
  // 1. Resolve and route every record before writing any: a zone no provider serves is a
  //    config error that must not leave half of the records behind.
  auto& log = Logger::global();
  std::vector<PlacedRecord> batch;
  std::vector<plugins::ProviderInstance*> instances;
  for (const auto& r : records) {
    batch.push_back(place(r, std::string()));
    instances.push_back(batch.back().instance);
  }
  // 2. One add_all() per instance, journaled first. A failed batch may have written some of its
  //    records, so all of them count as added for cleanup (removing an absent value is fine).
  Groups groups;
  for (std::size_t i = 0; i < batch.size(); ++i) group_of(groups, instances[i]).push_back(i);
  const std::size_t first = placed_.size();
  for (auto& p : batch) placed_.push_back(p);
  for (auto& [instance, indexes] : groups) {
    if (stop_requested()) throw InterruptedError("present the TXT records");
    std::vector<provider::TxtRecord> txts;
    for (std::size_t i : indexes) {
      PlacedRecord& p = placed_[first + i];
      journal_.intend(journal_of(p));
      p.added = true;
      txts.push_back(txt_of(p));
    }
    instance->add_all(txts);
    for (std::size_t i : indexes) {
      const PlacedRecord& p = placed_[first + i];
      log.info("records", "{}: TXT {} added in zone {} via {}", label_of(p.record), p.effective_name,
               p.zone, p.component);
    }
  }
  return {placed_.begin() + static_cast<std::ptrdiff_t>(first), placed_.end()};
}

propagation::CheckResult RecordPublisher::wait(const propagation::ProgressFn& progress) {
  std::vector<propagation::Expectation> expectations;
  for (const auto& p : placed_)
    if (p.added && !p.removed) expectations.push_back({p.effective_name, p.record.value});
  return checker_.wait(expectations, progress);
}

std::vector<std::string> RecordPublisher::cleanup() {
  cleaned_ = true;
  std::vector<std::string> errors;
  auto& log = Logger::global();
  std::map<plugins::ProviderInstance*, std::vector<PlacedRecord*>> groups;
  for (auto& p : placed_) {
    if (!p.added || p.removed) continue;
    try {
      groups[p.instance != nullptr ? p.instance : providers_.route(p.effective_name).first].push_back(&p);
    } catch (const std::exception& e) {
      errors.push_back(fmt::format("{} ({}): {}", p.effective_name, p.record.value, e.what()));
    }
  }
  auto done = [&](PlacedRecord& p) {
    p.removed = true;
    try {
      journal_.removed(journal_of(p));
    } catch (const std::exception& e) {
      // The record is gone; a journal line we could not write only causes a harmless retry.
      log.warn("records", "journal: {}", e.what());
    }
  };
  for (auto& [instance, records] : groups) {
    std::vector<provider::TxtRecord> txts;
    for (auto* p : records) txts.push_back(txt_of(*p));
    try {
      instance->remove_all(txts);
      for (auto* p : records) done(*p);
      log.info("records", "removed {} TXT value{} via {}", records.size(), records.size() == 1 ? "" : "s",
               instance->component());
      continue;
    } catch (const std::exception& e) {
      // An unreachable provider will not answer one record at a time either: trying would only
      // multiply the timeouts. The journal keeps the records for `dns01 cleanup --stale`.
      const auto* error = dynamic_cast<const Error*>(&e);
      if (error && error->category() == ErrorCategory::network) {
        for (auto* p : records)
          errors.push_back(fmt::format("{} ({}): {}", p->effective_name, p->component, e.what()));
        log.error("records", "could not remove {} TXT value{} via {}: {} — `dns01 cleanup --stale` "
                  "retries them", records.size(), records.size() == 1 ? "" : "s",
                  instance->component(), e.what());
        continue;
      }
      log.warn("records", "batch removal via {} failed ({}); removing one by one", instance->component(),
               e.what());
    }
    for (auto* p : records) {
      try {
        instance->remove(txt_of(*p));
        done(*p);
      } catch (const std::exception& e) {
        errors.push_back(fmt::format("{} ({}): {}", p->effective_name, p->component, e.what()));
        log.error("records", "could not remove TXT {} via {}: {} — `dns01 cleanup --stale` retries it",
                  p->effective_name, p->component, e.what());
      }
    }
  }
  return errors;
}

}  // namespace dns01::flow
