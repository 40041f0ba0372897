// provider-azure.so: TXT records in Azure DNS and Azure Private DNS zones through Azure Resource
// Manager. See docs/providers/azure.md.
//
// Azure keeps one TXT record set per name, holding every value, so each change is a
// read-modify-write: GET the set (and its etag), PUT the whole set back under If-Match (or
// If-None-Match: * when creating it), DELETE under If-Match when the last value goes. A 412
// means someone else wrote the set in between (another dns01, a user in the portal): re-read
// and try again, so no writer ever drops another's value. Records of one batch are grouped by
// name (the apex and wildcard challenges share one set: one PUT), and names run in parallel on
// a few threads.
#include <dns01/kit/names.hpp>
#include <dns01/provider.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "arm_client.hpp"
#include "settings.hpp"
#include "token_source.hpp"

namespace {

using namespace dns01::provider;
namespace kit = dns01::kit;
using azure::RecordSet;
using azure::ZoneRef;

constexpr int kMaxConflicts = 8;         // 412s in a row before giving up on a name
constexpr std::size_t kParallelNames = 4;  // names changed at once (ARM write limits are generous)
constexpr std::size_t kMaxTxtString = 255;

std::string joined(const std::vector<std::string>& strings) {
  std::string out;
  for (const auto& s : strings) out += s;
  return out;
}

// One TXT RR's character-strings for a value (ACME values are 43 characters: one string).
std::vector<std::string> strings_of(const std::string& value) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < value.size(); i += kMaxTxtString)
    out.push_back(value.substr(i, kMaxTxtString));
  if (out.empty()) out.emplace_back();
  return out;
}

class AzureProvider final : public Provider {
 public:
  AzureProvider(const Settings& settings, Host& host)
      : host_(host),
        s_(azure::parse_settings(settings)),
        tokens_(s_, host),
        arm_(s_, host, tokens_) {}

  Status add(const TxtRecord& record) noexcept override { return change_all({record}, true); }
  Status remove(const TxtRecord& record) noexcept override { return change_all({record}, false); }
  Status add_all(const std::vector<TxtRecord>& records) noexcept override {
    return change_all(records, true);
  }
  Status remove_all(const std::vector<TxtRecord>& records) noexcept override {
    return change_all(records, false);
  }
  Hints hints() const noexcept override {
    Hints h;
    h.default_ttl = std::chrono::seconds(s_.ttl);
    return h;
  }

 private:
  struct NameChange {
    std::string name;
    std::vector<std::string> values;
    std::uint32_t ttl = 0;
    Status status;
  };

  // Every name of the batch, on up to kParallelNames threads; every name is tried (a remove
  // batch must clean what it can), the first failure is returned.
  Status change_all(const std::vector<TxtRecord>& records, bool add) noexcept {
    return guard(add ? "add TXT records" : "remove TXT records", [&] {
      std::map<std::string, NameChange> by_name;
      for (const auto& r : records) {
        auto& change = by_name[kit::normalize_name(r.name)];
        change.name = kit::normalize_name(r.name);
        change.values.push_back(r.value);
        change.ttl = std::max(change.ttl, r.ttl);
      }
      std::vector<NameChange*> work;
      for (auto& [_, change] : by_name) work.push_back(&change);
      std::atomic<std::size_t> next{0};
      auto worker = [&] {
        for (std::size_t i; (i = next++) < work.size();) {
          NameChange& c = *work[i];
          c.status = guard((add ? "add TXT " : "remove TXT ") + c.name, [&] {
            change_name(c, add);
            return Status::success();
          });
        }
      };
      std::vector<std::thread> threads;
      for (std::size_t t = 1; t < std::min(kParallelNames, work.size()); ++t)
        threads.emplace_back(worker);
      worker();
      for (auto& t : threads) t.join();
      for (const auto* c : work)
        if (!c->status.ok()) return c->status;
      return Status::success();
    });
  }

  void change_name(const NameChange& c, bool add) {
    const ZoneRef zone = zone_for(c.name);
    const std::string relative = kit::relative_name(c.name, zone.name);
    for (int attempt = 1; attempt <= kMaxConflicts; ++attempt) {
      const RecordSet current = arm_.get_txt(zone, relative);
      RecordSet next = current;
      bool changed = false;
      for (const auto& value : c.values) {
        auto same = [&](const std::vector<std::string>& s) { return joined(s) == value; };
        const bool present = std::any_of(next.records.begin(), next.records.end(), same);
        if (add && !present) next.records.push_back(strings_of(value));
        if (!add && present)
          next.records.erase(std::remove_if(next.records.begin(), next.records.end(), same),
                             next.records.end());
        changed = changed || add != present;
      }
      if (!changed) return;  // already as asked: add and remove are idempotent
      if (!current.exists) next.ttl = c.ttl ? c.ttl : s_.ttl;
      const azure::Write result = next.records.empty()
                                      ? arm_.delete_txt(zone, relative, current.etag)
                                      : arm_.put_txt(zone, relative, next);
      if (result == azure::Write::done) return;
      host_.log(Severity::info, "TXT " + c.name + " changed meanwhile (HTTP 412); reading it "
                                "again (attempt " + std::to_string(attempt + 1) + ")");
      if (!host_.sleep(conflict_pause(attempt)))
        throw Failure(StatusCode::network, "change TXT " + c.name, "interrupted");
    }
    throw Failure(StatusCode::server, "change TXT " + c.name,
                  "the record set changed under every one of " + std::to_string(kMaxConflicts) +
                      " writes (HTTP 412)",
                  "another program rewrites this name continuously; stop it and retry");
  }

  // Jittered so that two writers that collided do not collide again.
  static std::chrono::milliseconds conflict_pause(int attempt) {
    thread_local std::minstd_rand random{std::random_device{}()};
    std::uniform_int_distribution<int> jitter(0, 100 * attempt);
    return std::chrono::milliseconds(50 + jitter(random));
  }

  // The zone holding `name`: a pinned zone (certbot's zone lines, `zone`), else the longest of
  // the subscription's zones (listed once per provider object).
  ZoneRef zone_for(const std::string& name) {
    std::optional<ZoneRef> best;
    auto consider = [&](const ZoneRef& z) {
      if (kit::in_zone(name, z.name) && (!best || z.name.size() > best->name.size())) best = z;
    };
    for (const auto& p : s_.pinned) consider({p.subscription, p.resource_group, p.name});
    if (best) return *best;
    {
      std::lock_guard lock(zones_mutex_);
      if (!zones_) zones_ = arm_.list_zones(s_.subscription, s_.resource_group);
      for (const auto& z : *zones_) consider(z);
    }
    if (best) return *best;
    const char* kind = s_.zone_type == azure::ZoneType::private_zone ? "Private DNS" : "Azure DNS";
    throw Failure(StatusCode::zone, "find the zone of " + name,
                  std::string("no ") + kind + " zone in subscription " + s_.subscription +
                      (s_.resource_group.empty() ? "" : ", resource group " + s_.resource_group) +
                      " contains " + name + " (" + std::to_string(zones_->size()) + " seen)",
                  "create the zone or fix subscription_id / resource_group / zone_type "
                  "(zone_type = \"private\" for a Private DNS zone); the identity also needs "
                  "Reader on the zones to list them");
  }

  Host& host_;
  const azure::AzureSettings s_;
  azure::TokenSource tokens_;
  azure::ArmClient arm_;
  std::mutex zones_mutex_;
  std::optional<std::vector<ZoneRef>> zones_;
};

}  // namespace

DNS01_PROVIDER_EXPORT(AzureProvider)
