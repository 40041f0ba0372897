// Hook record files: JSON (de)serialisation, atomic save, listing (record_store.hpp).
#include "dns01/flow/hookmodes/record_store.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <random>
#include <system_error>
#include <tuple>
#include <utility>

#include "dns01/error.hpp"
#include "dns01/log.hpp"
#include "dns01/storage.hpp"

namespace dns01::flow {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;

constexpr const char* kComponent = "hooks";
constexpr std::size_t kMaxRecordFile = 64 * 1024;

std::string new_id() {
  std::random_device rd;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
  return fmt::format("{}-{}-{:08x}", ms, static_cast<long>(::getpid()), rd());
}

std::int64_t to_ms(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

nlohmann::json to_json(const HookRecord& r) {
  return {{"version", 1},          {"id", r.id},
          {"client", to_string(r.client)}, {"domain", r.domain},
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
  const auto client = str("client");
  if (!client) return std::nullopt;
  r.client = parse_hook_client(*client);
  for (auto [key, field] : {std::pair{"id", &r.id}, {"domain", &r.domain}, {"record_name", &r.record_name},
                            {"effective_name", &r.effective_name}, {"zone", &r.zone},
                            {"provider", &r.provider}, {"value", &r.value}}) {
    auto v = str(key);
    if (!v) return std::nullopt;
    *field = *v;
  }
  auto created = j.find("created_ms");
  if (created == j.end() || !created->is_number_integer()) return std::nullopt;
  r.created = Clock::time_point(std::chrono::milliseconds(created->get<std::int64_t>()));
  if (auto pid = j.find("owner_pid"); pid != j.end() && pid->is_number_integer()) r.owner_pid = pid->get<long>();
  if (r.id.empty() || r.effective_name.empty() || r.value.empty()) return std::nullopt;
  return r;
}

fs::path file_of(const fs::path& dir, const std::string& id) { return dir / (id + ".json"); }

}  // namespace

std::string_view to_string(HookClient client) noexcept {
  switch (client) {
    case HookClient::certbot: return "certbot";
    case HookClient::lego_exec: return "lego-exec";
    case HookClient::httpreq: return "httpreq";
    case HookClient::unknown: break;
  }
  return "";
}

HookClient parse_hook_client(std::string_view text) noexcept {
  for (auto c : {HookClient::certbot, HookClient::lego_exec, HookClient::httpreq})
    if (text == to_string(c)) return c;
  return HookClient::unknown;
}

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

bool HookRecordStore::contains(const HookRecord& record) const {
  std::error_code ec;
  return fs::exists(file_of(dir_, record.id), ec);
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

std::filesystem::path hook_records_dir(const std::filesystem::path& journal_dir) { return journal_dir / "hooks"; }

}  // namespace dns01::flow
