// The route53 provider: hosted zone choice, one compare-and-swap change batch per zone, and one
// INSYNC wait for all zones' changes. Settings come from settings.cpp, credentials from
// credentials.cpp, the API from route53_client.cpp.
//
// Why DELETE + CREATE instead of UPSERT: Route 53 keeps one RRset per name, so adding a value is
// read-modify-write. A DELETE must match the live RRset exactly, so "DELETE what I read + CREATE
// the union" in one atomic batch fails when another writer (a second dns01, a certbot hook)
// changed the set in between, instead of silently dropping its value as an UPSERT would; the
// batch is then read again and retried.
#include <dns01/kit/names.hpp>
#include <dns01/kit/batch_provider.hpp>
#include <dns01/provider.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "credentials.hpp"
#include "route53_client.hpp"
#include "settings.hpp"

namespace {

using namespace dns01::provider;
using route53::Change;
using route53::TxtSet;
namespace kit = dns01::kit;

constexpr std::size_t kMaxChanges = 100;  // per ChangeResourceRecordSets request
constexpr int kConflictRetries = 5;
// GetChange polls: every 500 ms for the first 10 s (INSYNC usually comes within seconds and
// every poll interval is added to the wall time), then every 2 s (GetChange is rate limited).
constexpr auto kFastPoll = std::chrono::milliseconds(500);
constexpr auto kSlowPoll = std::chrono::seconds(2);
constexpr auto kFastPhase = std::chrono::seconds(10);

// A TXT value in Route 53's presentation form: quoted, escaped, split into 255-byte strings.
std::string encode_value(const std::string& value) {
  std::string out;
  for (std::size_t i = 0; i < value.size() || i == 0; i += 255) {
    out += (out.empty() ? "" : " ") + kit::quote_txt(value.substr(i, 255));
    if (value.empty()) break;
  }
  return out;
}

class Route53Provider final : public dns01::kit::BatchProvider {
 public:
  Route53Provider(const Settings& s, Host& host)
      : host_(host), settings_(route53::parse_settings(s)), credentials_(settings_, host),
        client_(host, settings_, credentials_) {}

  Hints hints() const noexcept override {
    Hints h;
    h.default_ttl = std::chrono::seconds(settings_.ttl);
    return h;
  }

 private:
  // name -> values to add or remove, per zone id.
  using Wanted = std::map<std::string, std::pair<std::uint32_t, std::set<std::string>>>;

  Status apply(const std::vector<TxtRecord>& records, bool add) override {
    std::map<std::string, Wanted> by_zone;
    for (const auto& r : records) {
      const std::string name = kit::normalize_name(r.name);
      auto& entry = by_zone[zone_for(name)][name];
      entry.first = r.ttl ? r.ttl : settings_.ttl;
      entry.second.insert(r.value);
    }
    std::vector<std::string> pending;  // change ids: every zone's batches go out first
    for (const auto& [zone, wanted] : by_zone) {
      for (const auto& id : submit(zone, wanted, add)) pending.push_back(id);
    }
    if (add) wait_insync(pending);
    return Status::success();
  }

  // The batches for one zone: DELETE the RRset read + CREATE the new one, per name whose values
  // change; re-read and resent when Route 53 says an RRset changed under it.
  std::vector<std::string> submit(const std::string& zone, const Wanted& wanted, bool add) {
    std::vector<std::string> names;
    for (const auto& [name, _] : wanted) names.push_back(name);
    std::vector<std::string> ids;
    for (std::size_t first = 0; first < names.size(); first += kMaxChanges / 2) {
      const std::vector<std::string> chunk(names.begin() + first,
                                           names.begin() + std::min(names.size(), first + kMaxChanges / 2));
      for (int attempt = 1;; ++attempt) {
        std::vector<Change> changes;
        for (const auto& name : chunk) plan(zone, name, wanted.at(name), add, changes);
        if (changes.empty()) break;
        const auto outcome = client_.change(zone, changes);
        if (!outcome.change_id.empty()) {
          ids.push_back(outcome.change_id);
          host_.log(Severity::info, "change " + outcome.change_id + ": " +
                                        std::to_string(changes.size()) + " change(s) in zone " + zone);
          break;
        }
        std::string why;
        for (const auto& m : outcome.rejected) why += (why.empty() ? "" : "; ") + m;
        const bool raced = why.find("not found") != std::string::npos ||
                           why.find("do not match") != std::string::npos ||
                           why.find("already exists") != std::string::npos;
        if (!raced || attempt == kConflictRetries)
          throw Failure(StatusCode::server, "change TXT records in zone " + zone,
                        "Route 53 refused the change batch (InvalidChangeBatch): " + why,
                        raced ? "another program keeps changing these records; try again later"
                              : "check that the names belong to hosted zone " + zone);
        host_.log(Severity::info, "an RRset changed while dns01 wrote it (" + why + "); reading again");
      }
    }
    return ids;
  }

  void plan(const std::string& zone, const std::string& name,
            const std::pair<std::uint32_t, std::set<std::string>>& want, bool add,
            std::vector<Change>& changes) {
    const std::optional<TxtSet> current = client_.get_txt(zone, name);
    TxtSet next{add || !current ? want.first : current->ttl, {}};
    std::set<std::string> present;
    for (const auto& v : current ? current->values : std::vector<std::string>{}) {
      const std::string plain = kit::unquote_txt(v);
      if (!add && want.second.count(plain)) continue;  // the values removed
      if (present.insert(plain).second) next.values.push_back(v);
    }
    if (add)
      for (const auto& v : want.second)
        if (present.insert(v).second) next.values.push_back(encode_value(v));
    const bool same = current && current->values.size() == next.values.size() &&
                      (!add || current->ttl == next.ttl);
    if (same) return;  // nothing to add (already there) or to remove (absent)
    if (current) changes.push_back({"DELETE", name, *current});
    if (!next.values.empty()) changes.push_back({"CREATE", name, next});
  }

  // Polls every change until INSYNC: Route 53's statement that all its servers have it.
  void wait_insync(std::vector<std::string> pending) {
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + settings_.insync_timeout;
    int polls = 0;
    while (!pending.empty()) {
      std::erase_if(pending, [&](const std::string& id) {
        ++polls;
        return client_.get_change(id) == "INSYNC";
      });
      if (pending.empty()) break;
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline)
        throw Failure(StatusCode::server, "wait for change " + pending.front(),
                      "Route 53 did not report INSYNC within insync_timeout",
                      "raise insync_timeout in [providers." + settings_.instance +
                          "] or check the AWS Health Dashboard for Route 53");
      const auto interval = now - start < kFastPhase ? std::chrono::milliseconds(kFastPoll)
                                                     : std::chrono::milliseconds(kSlowPoll);
      if (!host_.sleep(interval))
        throw Failure(StatusCode::server, "wait for change " + pending.front(), "interrupted", "");
    }
    host_.log(Severity::info, "changes INSYNC after " + std::to_string(polls) + " GetChange poll(s)");
  }

  // The hosted zone id for `name`: the pin, else the longest suffix with a hosted zone.
  std::string zone_for(const std::string& name) {
    if (!settings_.hosted_zone_id.empty()) return settings_.hosted_zone_id;
    if (!listed_) list_account_zones();
    for (const auto& candidate : kit::zone_candidates(name)) {
      auto cached = zones_.find(candidate);
      if (cached == zones_.end()) {
        if (all_listed_) continue;  // the whole account is known: no zone of that name
        cached = zones_.emplace(candidate, lookup(candidate)).first;
      }
      if (!cached->second.empty()) return cached->second;
    }
    throw Failure(StatusCode::zone, "find the hosted zone of " + name,
                  "no Route 53 hosted zone of this account holds it",
                  "create the hosted zone, or set hosted_zone_id in [providers." +
                      settings_.instance + "]");
  }

  // Most accounts have at most a page (100) of hosted zones: one listing then answers every
  // name of the order, instead of one call per parent name of each record (16 for 10 names).
  // A larger account falls back to a lookup per candidate name.
  void list_account_zones() {
    listed_ = true;
    const auto page = client_.list_hosted_zones_by_name("", "");
    if (page.truncated) return;
    std::map<std::string, std::vector<route53::HostedZone>> by_name;
    for (const auto& z : page.zones) by_name[kit::normalize_name(z.name)].push_back(z);
    for (const auto& [zone, same] : by_name) zones_[zone] = choose(zone, same);
    all_listed_ = true;
  }

  // The zones named exactly `candidate` (the listing starts there; it is not a filter).
  std::string lookup(const std::string& candidate) {
    const std::string fqdn = candidate + ".";
    std::vector<route53::HostedZone> same;
    std::string next_name = candidate, next_id;
    for (;;) {
      const auto page = client_.list_hosted_zones_by_name(next_name, next_id);
      bool past = false;
      for (const auto& z : page.zones) (z.name == fqdn ? same.push_back(z) : void(past = true));
      if (past || !page.truncated) break;
      next_name = page.next_dns_name, next_id = page.next_zone_id;
    }
    return choose(candidate, same);
  }

  // Of the hosted zones named `candidate`, the public or private one as configured.
  std::string choose(const std::string& candidate, const std::vector<route53::HostedZone>& same) {
    if (same.empty()) return {};
    auto preferred = std::find_if(same.begin(), same.end(), [&](const auto& z) {
      return z.private_zone == settings_.private_zone;
    });
    if (preferred == same.end()) {
      preferred = same.begin();
      host_.log(Severity::warn, candidate + " has only a " +
                                    (preferred->private_zone ? "private" : "public") +
                                    " hosted zone; using " + preferred->id);
    }
    host_.log(Severity::debug, "hosted zone of " + candidate + " is " + preferred->id);
    return preferred->id;
  }

  Host& host_;
  const route53::Route53Settings settings_;
  route53::CredentialChain credentials_;
  route53::Route53Client client_;
  std::map<std::string, std::string> zones_;  // candidate name -> zone id ("" = none)
  bool listed_ = false;      // list_account_zones() ran
  bool all_listed_ = false;  // ... and saw every hosted zone of the account
};

}  // namespace

DNS01_PROVIDER_EXPORT(Route53Provider)
