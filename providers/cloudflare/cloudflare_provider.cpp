// provider-cloudflare.so: TXT records through the Cloudflare API v4 (docs/providers/cloudflare.md).
//
// One Cloudflare record per challenge value, so apex and wildcard values share a name and the
// user's own TXT records are never touched. Batches (the host's add_all/remove_all, one routed
// zone at a time) become one request to /dns_records/batch per Cloudflare zone. remove() finds
// the record again by (name, content): add and remove may run in different processes. Zones are
// found with one request per entry of `zones` (cached for the object's life).
#include <dns01/kit/names.hpp>
#include <dns01/provider.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "api_client.hpp"
#include "settings.hpp"

namespace {

using namespace dns01::provider;
namespace kit = dns01::kit;
using cloudflare::Api;
using cloudflare::BatchOutcome;
using cloudflare::NewRecord;

constexpr std::uint32_t kMaxBatch = 200;  // the batch endpoint's limit on the free plan
constexpr std::string_view kChallengeLabel = "_acme-challenge.";

class CloudflareProvider final : public Provider {
 public:
  CloudflareProvider(const Settings& settings, Host& host)
      : host_(host), s_(cloudflare::parse_settings(settings)), api_(host, s_) {
    for (const auto& secret : s_.learnt_secrets) host_.add_secret(secret);
    // Fail before any ACME order when the credentials or zones cannot work: the zone lookups
    // are needed anyway (and cached); with a pinned zone_id, one list shows DNS access.
    if (!s_.zone_id.empty()) {
      if (!settings.zones.empty())
        api_.list_txt_records(s_.zone_id, std::string(kChallengeLabel) + settings.zones.front());
    } else {
      for (const auto& zone : settings.zones) zone_id_for(TxtRecord{zone, {}, zone, 0});
    }
  }

  Hints hints() const noexcept override {
    Hints hints;
    hints.default_ttl = std::chrono::seconds(s_.ttl == 1 ? 60 : s_.ttl);
    hints.max_batch = kMaxBatch;
    return hints;
  }

  Status add(const TxtRecord& record) noexcept override {
    return guard("add TXT " + record.name, [&] {
      api_.create_record(zone_id_for(record), new_record(record));
      return Status::success();
    });
  }

  Status remove(const TxtRecord& record) noexcept override {
    return guard("remove TXT " + record.name, [&] {
      const std::string zone = zone_id_for(record);
      for (const auto& id : ids_of(zone, {record})) api_.delete_record(zone, id);
      return Status::success();
    });
  }

  Status add_all(const std::vector<TxtRecord>& records) noexcept override {
    return guard("add " + std::to_string(records.size()) + " TXT record(s)", [&] {
      for (const auto& [zone, group] : by_zone(records)) {
        if (group.size() == 1) {
          api_.create_record(zone, new_record(group.front()));
          continue;
        }
        std::vector<NewRecord> posts;
        for (const auto& r : group) posts.push_back(new_record(r));
        // A value already there makes the whole transaction fail: add them one by one, where
        // an identical record counts as created.
        if (api_.batch(zone, {}, posts) == BatchOutcome::duplicate)
          for (const auto& post : posts) api_.create_record(zone, post);
      }
      return Status::success();
    });
  }

  Status remove_all(const std::vector<TxtRecord>& records) noexcept override {
    Status first = Status::success();
    std::map<std::string, std::vector<TxtRecord>> groups;
    Status grouped = guard("remove TXT records", [&] {
      groups = by_zone(records);
      return Status::success();
    });
    if (!grouped.ok()) return Provider::remove_all(records);  // each on its own: cleanup
    for (const auto& [zone, group] : groups) {  // every zone, even after a failure
      Status status = guard("remove " + std::to_string(group.size()) + " TXT record(s)", [&] {
        const auto all = ids_of(zone, group);  // may exceed the group (quoted + bare twins)
        for (std::size_t at = 0; at < all.size(); at += kMaxBatch) {
          const std::vector<std::string> ids(
              all.begin() + at, all.begin() + std::min<std::size_t>(all.size(), at + kMaxBatch));
          if (ids.size() == 1) api_.delete_record(zone, ids.front());
          // Another process may delete one meanwhile (81044): then one by one, absent = done.
          if (ids.size() > 1 && api_.batch(zone, ids, {}) == BatchOutcome::missing)
            for (const auto& id : ids) api_.delete_record(zone, id);
        }
        return Status::success();
      });
      if (!status.ok() && first.ok()) first = std::move(status);
    }
    return first;
  }

 private:
  NewRecord new_record(const TxtRecord& r) const {
    std::int64_t ttl = r.ttl ? std::clamp<std::int64_t>(r.ttl, 60, 86400) : s_.ttl;
    // Quoted, as Cloudflare now recommends; what we send is what is stored (cloud-apis §0.1).
    return NewRecord{kit::normalize_name(r.name), kit::quote_txt(r.value), ttl};
  }

  // The ids of the records holding these values, compared after unquoting so records made
  // unquoted (certbot, the dashboard) are found too. One list per name, or one for the whole
  // zone (name.startswith=_acme-challenge.) when several challenge names are removed at once.
  std::vector<std::string> ids_of(const std::string& zone, const std::vector<TxtRecord>& wanted) {
    std::map<std::string, std::vector<std::string>> values;  // name -> values
    for (const auto& r : wanted) values[kit::normalize_name(r.name)].push_back(r.value);
    const bool all_challenges = std::all_of(values.begin(), values.end(), [](const auto& v) {
      return v.first.rfind(kChallengeLabel, 0) == 0;
    });
    std::vector<cloudflare::Record> listed;
    if (values.size() > 1 && all_challenges) {
      listed = api_.list_txt_records_starting(zone, kChallengeLabel);
    } else {
      for (const auto& [name, vals] : values) {
        auto more = api_.list_txt_records(zone, name);
        listed.insert(listed.end(), more.begin(), more.end());
      }
    }
    std::vector<std::string> ids;
    for (const auto& record : listed) {
      auto at = values.find(kit::normalize_name(record.name));
      if (at != values.end() &&
          std::find(at->second.begin(), at->second.end(), kit::unquote_txt(record.content)) !=
              at->second.end() &&
          std::find(ids.begin(), ids.end(), record.id) == ids.end())
        ids.push_back(record.id);
    }
    return ids;
  }

  std::map<std::string, std::vector<TxtRecord>> by_zone(const std::vector<TxtRecord>& records) {
    std::map<std::string, std::vector<TxtRecord>> groups;
    for (const auto& r : records) groups[zone_id_for(r)].push_back(r);
    return groups;
  }

  // The Cloudflare zone of a record: the longest zone of this account that holds the name.
  // The routed entry of `zones` is scanned once per object with one request
  // (name=ends_with:<entry>: the entry and every zone below it); when the entry itself is no
  // zone, its parents are asked by exact name, longest first.
  std::string zone_id_for(const TxtRecord& record) {
    if (!s_.zone_id.empty()) return s_.zone_id;
    const std::string name = kit::normalize_name(record.name);
    std::string entry = kit::normalize_name(record.zone);
    if (entry.empty() || !kit::in_zone(name, entry))  // not routed (cannot happen in dns01)
      entry = name.rfind(kChallengeLabel, 0) == 0 ? name.substr(kChallengeLabel.size()) : name;
    scan(entry);
    const std::pair<const std::string, std::string>* best = nullptr;
    for (const auto& zone : zones_)
      if (kit::in_zone(name, zone.first) && (!best || zone.first.size() > best->first.size()))
        best = &zone;
    if (best) return best->second;
    throw Failure(StatusCode::zone, "find the zone of " + record.name,
                  "no Cloudflare zone visible to these credentials holds it (looked up " +
                      entry + ", the zones below it and its parents)",
                  "add the domain to Cloudflare, include the zone in the token's Zone Resources, "
                  "or set zone_id in [providers." + s_.instance + "]");
  }

  void scan(const std::string& entry) {
    if (!scanned_.insert(entry).second) return;
    for (const auto& zone : api_.list_zones("ends_with:" + entry))
      if (kit::in_zone(zone.name, entry)) zones_[kit::normalize_name(zone.name)] = zone.id;
    if (zones_.count(entry)) return;
    const auto parents = kit::zone_candidates(entry);
    for (std::size_t i = 1; i < parents.size(); ++i) {
      if (zones_.count(parents[i])) return;
      for (const auto& zone : api_.list_zones(parents[i]))
        if (kit::normalize_name(zone.name) == parents[i]) {
          zones_[parents[i]] = zone.id;
          return;
        }
    }
  }

  Host& host_;
  cloudflare::CloudflareSettings s_;
  Api api_;
  std::map<std::string, std::string> zones_;  // zone name -> id, as found
  std::set<std::string> scanned_;             // entries of `zones` already looked up
};

}  // namespace

DNS01_PROVIDER_EXPORT(CloudflareProvider)
