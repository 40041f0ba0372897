// The hook-mode service: present / wait / remove / sweep / withdraw (records.hpp).
#include "dns01/flow/hookmodes/records.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <utility>

#include "dns01/error.hpp"
#include "dns01/flow/records.hpp"
#include "dns01/log.hpp"
#include "dns01/storage.hpp"

namespace dns01::flow {
namespace {

namespace prop = dns01::propagation;
using Clock = std::chrono::system_clock;

constexpr const char* kComponent = "hooks";

// A record name as the clients send it ("_acme-challenge.example.com." or without the dot).
std::string canonical_record_name(std::string_view name) {
  try {
    return normalize_dns_name(name);
  } catch (const std::invalid_argument& e) {
    throw UsageError(kComponent, "read the record name", e.what(),
                     "give the TXT record name, e.g. _acme-challenge.example.com.");
  }
}

plugins::ProviderInstance* instance_named(plugins::ProviderSet& providers, const std::string& name) {
  for (std::size_t i = 0; i < providers.size(); ++i)
    if (providers.at(i).config().name == name) return &providers.at(i);
  return nullptr;
}

// The instance that wrote `r` (or, if the config no longer has it, the one routing its name).
std::pair<plugins::ProviderInstance*, std::string> instance_for(plugins::ProviderSet& providers,
                                                                const HookRecord& r) {
  if (auto* inst = instance_named(providers, r.provider)) return {inst, r.zone};
  return providers.route(r.effective_name);
}

bool shares_value(const HookRecord& a, const HookRecord& b) {
  return a.id != b.id && a.provider == b.provider && a.effective_name == b.effective_name && a.value == b.value;
}

}  // namespace

HookRecord present_hook_record(HookRecordStore& store, plugins::ProviderSet& providers, prop::Checker& checker,
                               const HookRequest& request) {
  if (request.value.empty())
    throw UsageError(kComponent, "read the TXT value", "the value is empty",
                     "pass the challenge's TXT value (43 base64url characters)");
  HookRecord r;
  r.client = request.client;
  r.domain = request.domain;
  r.record_name = canonical_record_name(request.record_name);
  r.value = request.value;
  r.owner_pid = request.owner_pid;
  // Resolve and route before anything is written: a zone no provider serves fails here.
  Placement where = place_record(providers, checker, r.record_name);
  auto* instance = where.instance;
  r.effective_name = std::move(where.effective_name);
  r.provider = instance->config().name;
  r.zone = std::move(where.zone);
  store.save(r);  // before the add: a process killed after the add leaves a file to sweep
  if (r.effective_name != r.record_name)
    Logger::global().info(kComponent, "{} is a CNAME: writing {}", r.record_name, r.effective_name);
  instance->add({r.effective_name, r.value, r.zone, 0});
  Logger::global().info(kComponent, "added TXT {} in {} via {} (record {})", r.effective_name, r.zone,
                        instance->component(), r.id);
  return r;
}

prop::CheckResult wait_hook_records(HookRecordStore& store, prop::Checker& checker, std::vector<HookRecord> records,
                                    const prop::ProgressFn& progress) {
  const auto timeout = checker.options().timeout;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::vector<prop::Expectation> wanted;
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& r : records)
      if (seen.insert({r.effective_name, r.value}).second) wanted.push_back({r.effective_name, r.value});
    if (wanted.empty()) return {};
    // A record of the set removed by another process while we wait would only time the wait
    // out: notice the vanished file (checked every half second) and wait for the rest. The
    // Checker's own cancellation (a stop request) still applies.
    bool vanished = false;
    auto next_look = std::chrono::steady_clock::now();
    prop::CallOptions call;
    call.progress = progress;
    call.cancelled = [&] {
      const auto now = std::chrono::steady_clock::now();
      if (now < next_look) return false;
      next_look = now + std::chrono::milliseconds(500);
      for (const auto& r : records)
        if (!store.contains(r)) vanished = true;
      return vanished;
    };
    call.timeout = std::max(std::chrono::milliseconds(0),
                            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
    try {
      auto result = checker.check(wanted, call);
      // The whole wait's timeout in the message, not what was left of it for this round.
      if (!result.ok) throw prop::failure_error(result, timeout);
      return result;
    } catch (const InterruptedError&) {
      if (!vanished) throw;
      std::erase_if(records, [&](const HookRecord& r) {
        const bool gone = !store.contains(r);
        if (gone)
          Logger::global().info(kComponent, "{} was removed by its cleanup: no longer waited for", r.effective_name);
        return gone;
      });
    }
  }
}

std::vector<HookRecord> certbot_batch(const HookRecordStore& store, const HookRecord& last,
                                      const std::vector<std::string>& domains, long owner, Clock::time_point now) {
  const std::set<std::string> wanted(domains.begin(), domains.end());
  std::vector<HookRecord> batch;
  for (auto& r : store.list()) {
    if (r.id == last.id) continue;
    if (r.client != HookClient::certbot || !wanted.count(r.domain) || r.created + kCertbotBatchWindow < now) continue;
    if (owner != 0 && r.owner_pid != 0 && r.owner_pid != owner) continue;  // another certbot run
    batch.push_back(std::move(r));
  }
  batch.push_back(last);
  return batch;
}

std::vector<HookRecord> remove_hook_record(HookRecordStore& store, plugins::ProviderSet& providers,
                                           prop::Checker& checker, const std::string& record_name,
                                           const std::string& value, const std::string& id) {
  const std::string name = canonical_record_name(record_name);
  const auto all = store.list();
  const HookRecord* mine = nullptr;
  for (const auto& r : all)
    if (!id.empty() && r.id == id && r.value == value) mine = &r;
  if (!mine)
    for (const auto& r : all)
      if (r.value == value && (r.record_name == name || r.effective_name == name)) {
        mine = &r;
        break;
      }
  if (!mine) {
    // No file: a present that failed before saving, a second cleanup, or a record written by
    // another tool. Removing one exact value that may be absent is harmless.
    const auto target = checker.resolve(name);
    const std::string effective = target.effective_name.empty() ? name : target.effective_name;
    auto [instance, zone] = providers.route(effective);
    instance->remove({effective, value, zone, 0});
    Logger::global().info(kComponent, "removed TXT {} via {} (no hook record on file)", effective,
                          instance->component());
    return {};
  }
  const HookRecord record = *mine;
  const bool shared =
      std::any_of(all.begin(), all.end(), [&](const HookRecord& o) { return shares_value(o, record); });
  if (shared) {
    Logger::global().info(kComponent, "TXT {} stays: another hook record holds the same value", record.effective_name);
  } else {
    auto [instance, zone] = instance_for(providers, record);
    instance->remove({record.effective_name, record.value, zone, 0});
    Logger::global().info(kComponent, "removed TXT {} via {} (record {})", record.effective_name,
                          instance->component(), record.id);
  }
  store.erase(record);
  return {record};
}

HookSweep sweep_hook_records(HookRecordStore& store, plugins::ProviderSet& providers,
                             std::chrono::milliseconds max_age, Clock::time_point now) {
  HookSweep sweep;
  auto all = store.list();
  std::vector<HookRecord> live = all;  // files not yet settled by this sweep
  for (const auto& r : all) {
    if (r.created + max_age > now) continue;
    ++sweep.found;
    try {
      const bool shared = std::any_of(live.begin(), live.end(), [&](const HookRecord& o) {
        return shares_value(o, r) && o.created + max_age > now;
      });
      if (!shared) {
        auto [instance, zone] = instance_for(providers, r);
        instance->remove({r.effective_name, r.value, zone, 0});
      }
      store.erase(r);
      std::erase_if(live, [&](const HookRecord& o) { return o.id == r.id; });
      sweep.removed.push_back(r);
      Logger::global().info(kComponent, "removed stale TXT {} ({} record from {})", r.effective_name,
                            r.client == HookClient::unknown ? "hook" : to_string(r.client), r.id);
    } catch (const std::exception& e) {
      sweep.errors.push_back(fmt::format("{} ({}, hook record {}): {}", r.effective_name, r.provider, r.id, e.what()));
    }
  }
  return sweep;
}

bool withdraw_hook_record(HookSession& session, const HookRecord& record) noexcept {
  auto& options = session.checker.options();
  auto cancelled = std::exchange(options.cancelled, {});
  bool ok = false;
  try {
    remove_hook_record(session.store, session.providers, session.checker, record.effective_name, record.value,
                       record.id);
    ok = true;
  } catch (const std::exception& e) {
    Logger::global().error(kComponent, "could not remove TXT {} (hook record {}; `dns01 cleanup --stale` retries): {}",
                           record.effective_name, record.id, e.what());
  }
  options.cancelled = std::move(cancelled);
  return ok;
}

HookSession::HookSession(const Config& config)
    : providers(plugins::ProviderSet::load(config.providers)),
      checker(config.propagation),
      store(hook_records_dir(CertStore(config.storage.dir).journal_dir())) {}

}  // namespace dns01::flow
