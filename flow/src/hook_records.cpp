// Hook records: one JSON file per presented value under <storage>/journal/hooks/ (see the
// header for why these are not flock'd run journals).
#include "dns01/flow/hook_records.hpp"
#include "dns01/flow/records.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <set>
#include <stdexcept>
#include <system_error>
#include <tuple>
#include <utility>

#include "dns01/acme/jws.hpp"
#include "dns01/config.hpp"
#include "dns01/error.hpp"
#include "dns01/log.hpp"
#include "dns01/propagation/message.hpp"
#include "dns01/storage.hpp"

namespace dns01::flow {
namespace {

namespace fs = std::filesystem;
namespace prop = dns01::propagation;
using Clock = std::chrono::system_clock;

constexpr const char* kComponent = "hooks";
constexpr std::size_t kMaxRecordFile = 64 * 1024;

std::string new_id() {
  std::random_device rd;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      Clock::now().time_since_epoch())
                      .count();
  return fmt::format("{}-{}-{:08x}", ms, static_cast<long>(::getpid()), rd());
}

std::int64_t to_ms(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

nlohmann::json to_json(const HookRecord& r) {
  return {{"version", 1},          {"id", r.id},
          {"client", r.client},    {"domain", r.domain},
          {"record_name", r.record_name}, {"effective_name", r.effective_name},
          {"zone", r.zone},        {"provider", r.provider},
          {"value", r.value},      {"owner_pid", r.owner_pid},
          {"created_ms", to_ms(r.created)}};
}

std::optional<HookRecord> from_json(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  auto str = [&](const char* key) -> std::optional<std::string> {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  HookRecord r;
  for (auto [key, field] : {std::pair{"id", &r.id}, {"client", &r.client}, {"domain", &r.domain},
                            {"record_name", &r.record_name}, {"effective_name", &r.effective_name},
                            {"zone", &r.zone}, {"provider", &r.provider}, {"value", &r.value}}) {
    auto v = str(key);
    if (!v) return std::nullopt;
    *field = *v;
  }
  auto created = j.find("created_ms");
  if (created == j.end() || !created->is_number_integer()) return std::nullopt;
  r.created = Clock::time_point(std::chrono::milliseconds(created->get<std::int64_t>()));
  if (auto pid = j.find("owner_pid"); pid != j.end() && pid->is_number_integer())
    r.owner_pid = pid->get<long>();
  if (r.id.empty() || r.effective_name.empty() || r.value.empty()) return std::nullopt;
  return r;
}

fs::path file_of(const fs::path& dir, const std::string& id) { return dir / (id + ".json"); }

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
  return a.id != b.id && a.provider == b.provider && a.effective_name == b.effective_name &&
         a.value == b.value;
}

}  // namespace

HookRecordStore::HookRecordStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

void HookRecordStore::save(HookRecord& record) {
  if (record.id.empty()) record.id = new_id();
  if (record.created == Clock::time_point{}) record.created = Clock::now();
  ensure_private_dir(dir_, 0700);
  write_file_atomic(file_of(dir_, record.id), to_json(record).dump() + "\n", 0600);
}

void HookRecordStore::erase(const HookRecord& record) {
  const auto path = file_of(dir_, record.id);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    throw StorageError("remove hook record", fmt::format("{}: {}", path.string(), std::strerror(errno)),
                       "check the permissions of the storage directory");
}

std::vector<HookRecord> HookRecordStore::list() const {
  std::vector<HookRecord> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const auto& path = entry.path();
    if (path.extension() != ".json" || path.filename().string().front() == '.') continue;
    std::string text;
    try {
      if (fs::file_size(path, ec) > kMaxRecordFile) throw StorageError("read hook record", "too large");
      text = read_file(path);
    } catch (const Error& e) {
      // Deleted meanwhile by its cleanup (the usual race), or unreadable: skip either way.
      if (fs::exists(path, ec)) Logger::global().warn(kComponent, "skipping {}: {}", path.string(), e.what());
      continue;
    }
    auto record = from_json(nlohmann::json::parse(text, nullptr, false));
    if (!record) {
      Logger::global().warn(kComponent, "skipping {}: not a hook record", path.string());
      continue;
    }
    out.push_back(std::move(*record));
  }
  std::sort(out.begin(), out.end(), [](const HookRecord& a, const HookRecord& b) {
    return std::tie(a.created, a.id) < std::tie(b.created, b.id);
  });
  return out;
}

std::filesystem::path hook_records_dir(const std::filesystem::path& journal_dir) {
  return journal_dir / "hooks";
}

std::string challenge_record_name(std::string_view domain) {
  std::string_view d = domain;
  if (d.starts_with("*.")) d.remove_prefix(2);
  if (d.empty() || d == ".")
    throw UsageError(kComponent, "read the domain", "the domain is empty",
                     "the client must name the identifier, e.g. example.com");
  try {
    return "_acme-challenge." + normalize_dns_name(d);
  } catch (const std::invalid_argument& e) {
    throw UsageError(kComponent, fmt::format("read the domain '{}'", domain), e.what(),
                     "give the identifier as the CA has it, e.g. example.com");
  }
}

HookRequest lego_request(const std::vector<std::string>& args, std::string client) {
  HookRequest request;
  request.client = std::move(client);
  if (args.size() == 2) {
    request.record_name = args[0];
    request.value = args[1];
  } else if (args.size() == 3) {
    request.domain = args[0];
    request.record_name = challenge_record_name(args[0]);
    if (!args[2].starts_with(args[1] + "."))
      throw UsageError(kComponent, "read the RAW arguments",
                       "the key authorization does not start with the token and a dot",
                       "RAW mode passes <domain> <token> <keyAuth> in that order");
    request.value = acme::dns01_txt_value(args[2]);
  } else {
    throw UsageError(kComponent, "read the arguments",
                     fmt::format("expected 2 (<fqdn.> <value>) or 3 (-- <domain> <token> "
                                 "<keyAuth>) arguments, got {}",
                                 args.size()),
                     "this is lego's exec protocol: EXEC_PATH=dns01 (see docs/hooks.md)");
  }
  if (request.value.empty())
    throw UsageError(kComponent, "read the TXT value", "the value is empty",
                     "pass the challenge's TXT value (43 base64url characters)");
  return request;
}

HookRecord present_hook_record(HookRecordStore& store, plugins::ProviderSet& providers,
                               prop::Checker& checker, const HookRequest& request) {
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
  Logger::global().info(kComponent, "added TXT {} in {} via {} (record {})", r.effective_name,
                        r.zone, instance->component(), r.id);
  return r;
}

prop::CheckResult wait_hook_records(HookRecordStore& store, prop::Checker& checker,
                                    std::vector<HookRecord> records,
                                    const prop::ProgressFn& progress) {
  auto& options = checker.options();
  const auto original_timeout = options.timeout;
  const auto outer_cancelled = options.cancelled;
  const auto deadline = std::chrono::steady_clock::now() + original_timeout;
  struct Restore {
    prop::CheckOptions& o;
    std::chrono::milliseconds timeout;
    std::function<bool()> cancelled;
    ~Restore() {
      o.timeout = timeout;
      o.cancelled = cancelled;
    }
  } restore{options, original_timeout, outer_cancelled};

  for (;;) {
    std::vector<prop::Expectation> wanted;
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& r : records)
      if (seen.insert({r.effective_name, r.value}).second) wanted.push_back({r.effective_name, r.value});
    if (wanted.empty()) return {};
    // A record of the set removed by another process while we wait would only time the wait
    // out: notice the vanished file (checked every half second) and wait for the rest.
    bool vanished = false;
    auto next_look = std::chrono::steady_clock::now();
    options.cancelled = [&] {
      if (outer_cancelled && outer_cancelled()) return true;
      const auto now = std::chrono::steady_clock::now();
      if (now < next_look) return false;
      next_look = now + std::chrono::milliseconds(500);
      std::error_code ec;
      for (const auto& r : records)
        if (!fs::exists(file_of(store.dir(), r.id), ec)) vanished = true;
      return vanished;
    };
    options.timeout = std::max(std::chrono::milliseconds(0),
                               std::chrono::duration_cast<std::chrono::milliseconds>(
                                   deadline - std::chrono::steady_clock::now()));
    try {
      auto result = checker.check(wanted, progress);
      if (!result.ok) throw prop::failure_error(result, original_timeout);
      return result;
    } catch (const InterruptedError&) {
      if (!vanished) throw;
      std::error_code ec;
      std::erase_if(records, [&](const HookRecord& r) {
        const bool gone = !fs::exists(file_of(store.dir(), r.id), ec);
        if (gone)
          Logger::global().info(kComponent, "{} was removed by its cleanup: no longer waited for",
                                r.effective_name);
        return gone;
      });
    }
  }
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
  const bool shared = std::any_of(all.begin(), all.end(),
                                  [&](const HookRecord& o) { return shares_value(o, record); });
  if (shared) {
    Logger::global().info(kComponent, "TXT {} stays: another hook record holds the same value",
                          record.effective_name);
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
  std::vector<HookRecord> live;  // files not yet settled by this sweep
  for (const auto& r : all) live.push_back(r);
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
                            r.client.empty() ? "hook" : r.client, r.id);
    } catch (const std::exception& e) {
      sweep.errors.push_back(fmt::format("{} ({}, hook record {}): {}", r.effective_name,
                                         r.provider, r.id, e.what()));
    }
  }
  return sweep;
}

bool withdraw_hook_record(HookSession& session, const HookRecord& record) noexcept {
  auto& options = session.checker.options();
  auto cancelled = std::exchange(options.cancelled, {});
  bool ok = false;
  try {
    remove_hook_record(session.store, session.providers, session.checker, record.effective_name,
                       record.value, record.id);
    ok = true;
  } catch (const std::exception& e) {
    Logger::global().error(kComponent, "could not remove TXT {} (hook record {}; `dns01 cleanup "
                           "--stale` retries): {}", record.effective_name, record.id, e.what());
  }
  options.cancelled = std::move(cancelled);
  return ok;
}

HookSession::HookSession(const Config& config)
    : providers(plugins::ProviderSet::load(config.providers)),
      checker(config.propagation),
      store(hook_records_dir(CertStore(config.storage.dir).journal_dir())) {}

}  // namespace dns01::flow
