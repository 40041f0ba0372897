// The rfc2136 provider: zone choice, one UPDATE per zone, and a short check that the server
// serves what it accepted. Settings come from settings.cpp, the wire from update_client.cpp, the
// meaning of replies from reply_meaning.cpp.
#include <dns01/kit/names.hpp>
#include <dns01/kit/batch_provider.hpp>
#include <dns01/provider.hpp>

#include <map>
#include <set>

#include "ldns_handles.hpp"
#include "reply_meaning.hpp"
#include "settings.hpp"
#include "update_client.hpp"

namespace {

using namespace dns01::provider;
using rfc2136::Change;
using rfc2136::Reply;

// After a NOERROR add, the update server itself is asked for the TXT values at these delays
// (about 1.5 s in all): BIND, Knot and PowerDNS serve a change before they answer the UPDATE, so
// a value still missing then was dropped (PowerDNS with a Lua update policy answers NOERROR and
// drops what the script refuses) and waiting out the propagation timeout would only hide that.
constexpr std::chrono::milliseconds kConfirmDelays[] = {
    std::chrono::milliseconds(0), std::chrono::milliseconds(250), std::chrono::milliseconds(500),
    std::chrono::milliseconds(750)};
// The longest wait for one confirming query.
constexpr std::chrono::milliseconds kConfirmQueryTimeout{1000};

using dns01::kit::in_zone;

// "1.5 s": how long the confirmation waits in all, for the message that it gave up.
std::string confirm_span() {
  std::chrono::milliseconds total{0};
  for (const auto delay : kConfirmDelays) total += delay;
  return std::to_string(total.count() / 1000) + "." + std::to_string(total.count() % 1000 / 100) +
         " s";
}

class Rfc2136Provider final : public dns01::kit::BatchProvider {
 public:
  Rfc2136Provider(const Settings& s, Host& host)
      : host_(host),
        settings_(rfc2136::parse_settings(s)),
        client_(settings_.server, settings_.key, settings_.timeout, settings_.tcp) {}

  Hints hints() const noexcept override {
    Hints h;
    h.default_ttl = std::chrono::seconds(settings_.ttl);
    return h;
  }

 private:
  // One UPDATE per zone, carrying every change for that zone.
  Status apply(const std::vector<TxtRecord>& records, bool add) override {
    std::map<std::string, std::vector<Change>> by_zone;
    for (const auto& r : records) {
      const std::string name = dns01::kit::normalize_name(r.name);
      by_zone[zone_for(name)].push_back(Change{add, name, r.value, r.ttl ? r.ttl : settings_.ttl});
    }
    for (const auto& [zone, changes] : by_zone) send(zone, changes);
    return Status::success();
  }

  std::string zone_for(const std::string& name) {
    if (!settings_.zone.empty()) {
      if (!in_zone(name, settings_.zone)) throw Failure(outside_zone(name));
      return settings_.zone;
    }
    if (auto it = zones_.find(name); it != zones_.end()) return it->second;
    int rcode = 0;
    auto zone = client_.find_zone(name, rcode);
    if (!zone || zone->empty() || !in_zone(name, *zone))
      throw Failure(StatusCode::zone, "find the zone of " + name,
                    "the server " + client_.server().str() + " has no zone holding it (SOA query: " +
                        rfc2136::rcode_name(rcode) + ")",
                    "set server to the primary of the zone, or set zone in [providers." +
                        settings_.instance + "]");
    host_.log(Severity::debug, "zone of " + name + " is " + *zone);
    return zones_[name] = *zone;
  }

  // `name` lies outside the configured zone: ask the server which zone holds it, to say so.
  Status outside_zone(const std::string& name) {
    const std::string step = "choose zone for " + name;
    const std::string table = "[providers." + settings_.instance + "]";
    std::optional<std::string> real;
    try {
      int rcode = 0;
      real = client_.find_zone(name, rcode);
    } catch (const Failure&) {  // no answer: say what we know without it
    }
    if (real && in_zone(name, *real))
      return Status::failure(StatusCode::zone, step,
                             "the zone of " + name + " is " + *real + ", not " + settings_.zone,
                             "set zone = \"" + *real + "\" in " + table +
                                 ", or remove zone to let dns01 ask the server");
    return Status::failure(StatusCode::zone, step,
                           name + " is not inside the configured zone " + settings_.zone,
                           "set zone in " + table + " to the zone holding it, or remove zone");
  }

  void send(const std::string& zone, const std::vector<Change>& changes) {
    const std::string what = (changes.front().add ? "add " : "remove ") +
                             (changes.size() == 1 ? "TXT " + changes.front().name
                                                  : std::to_string(changes.size()) +
                                                        " TXT records in " + zone);
    const Reply reply = client_.update(zone, changes);
    host_.log(Severity::debug, what + " at " + client_.server().str() + (reply.tcp ? " (TCP)" : "") +
                                   ": " + rfc2136::rcode_name(reply.rcode));
    const rfc2136::UpdateContext context{
        .step = what,
        .server = client_.server().str(),
        .zone = zone,
        .name = changes.front().name,
        .key_name = settings_.key ? settings_.key->name : std::string(),
        .instance = settings_.instance,
        .find_real_zone = [&]() -> std::optional<std::string> {
          try {
            int rcode = 0;
            return client_.find_zone(changes.front().name, rcode);
          } catch (const Failure&) {  // no answer: the message says what is known without it
            return std::nullopt;
          }
        }};
    Status status = rfc2136::meaning_of(reply, context);
    if (!status.ok()) throw Failure(std::move(status));
    if (changes.front().add) confirm_served(what, changes);
  }

  // Asks the server for the values just added until it serves them all (see kConfirmDelays).
  // Gives up silently when the server does not answer queries authoritatively (a hidden primary
  // may refuse queries from this host): the host's propagation check decides then.
  void confirm_served(const std::string& what, const std::vector<Change>& changes) {
    std::map<std::string, std::set<std::string>> missing;
    for (const auto& c : changes) missing[c.name].insert(c.value);
    const auto query_timeout = std::min(settings_.timeout, kConfirmQueryTimeout);
    int queries = 0;
    for (const auto delay : kConfirmDelays) {
      if (delay.count() && !host_.sleep(delay))  // Ctrl-C: the host reports the interruption
        throw Failure(StatusCode::network, what, "stopped while confirming the change");
      for (auto it = missing.begin(); it != missing.end();) {
        const auto answer = client_.query_txt(it->first, query_timeout);
        ++queries;
        if (!answer || !answer->authoritative ||
            (answer->rcode != LDNS_RCODE_NOERROR && answer->rcode != LDNS_RCODE_NXDOMAIN)) {
          host_.log(Severity::debug, "cannot confirm " + what + " at " + client_.server().str() +
                                         ": no authoritative answer to a TXT query");
          return;
        }
        for (const auto& value : answer->values) it->second.erase(value);
        it = it->second.empty() ? missing.erase(it) : std::next(it);
      }
      if (missing.empty()) return;
    }
    throw Failure(StatusCode::denied, what,
                  "the server accepted the update but does not serve the record: " +
                      client_.server().str() + " answered NOERROR, then " +
                      std::to_string(queries) + " TXT queries over " + confirm_span() +
                      " did not find the value at " + missing.begin()->first,
                  "the server dropped the change after accepting it: PowerDNS with a Lua update "
                  "policy (lua-dnsupdate-policy-script) does this for changes the script refuses; "
                  "let it accept TXT at _acme-challenge names, or look at the server's log");
  }

  Host& host_;
  rfc2136::Rfc2136Settings settings_;
  rfc2136::UpdateClient client_;
  std::map<std::string, std::string> zones_;  // name -> zone found by SOA
};

}  // namespace

DNS01_PROVIDER_EXPORT(Rfc2136Provider)
