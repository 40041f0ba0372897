// preflight.hpp: one canary per provider instance, one SOA question per authoritative server.
// Everything is recorded, nothing thrown (but a stop request), so one bad instance or server
// stops only the lineages that need it.
#include "dns01/flow/preflight.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "dns01/error.hpp"
#include "dns01/log.hpp"
#include "dns01/signals.hpp"
#include "dns01/flow/records.hpp"

namespace dns01::flow {
namespace {

using namespace std::chrono;
namespace prop = propagation;

long long ms_since(steady_clock::time_point start) {
  return duration_cast<milliseconds>(steady_clock::now() - start).count();
}

std::string canary_value() {
  unsigned char bytes[8];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw Error(ErrorCategory::internal, "preflight", "make a canary", "RAND_bytes failed");
  std::string hex;
  for (unsigned char b : bytes) hex += fmt::format("{:02x}", b);
  return "dns01-preflight-" + hex;
}

std::string error_text(const std::exception& e) {
  return Redactor::global().apply(e.what());
}

// The authoritative servers the checker would ask for `zone` (see the header for the policy).
class ZoneServers {
 public:
  ZoneServers(prop::Checker& checker, const std::optional<PropagationSettings>& settings)
      : transport_() {
    bool recursion = true;
    std::uint16_t port = 53;
    if (settings) {
      port = settings->port;
      for (const auto& e : settings->nameservers)
        if (auto a = prop::make_address(e.host, e.port)) explicit_.push_back({"", *a});
      recursion = !(settings->resolvers.empty() && !settings->nameservers.empty());
    }
    prop::DiscoveryOptions d;
    d.bootstrap = checker.bootstrap();
    d.recursion_desired = recursion;
    d.nameserver_port = port;
    discovery_ = std::make_unique<prop::Discovery>(transport_, std::move(d));
  }

  // Throws PropagationError when the zone has no (reachable) server.
  std::vector<prop::AuthServer> of(const std::string& zone) {
    if (!explicit_.empty()) return explicit_;
    std::vector<prop::AuthServer> out;
    for (const auto& s : discovery_->authoritative_servers(zone))
      if (prop::routable(s.address)) out.push_back(s);
    if (out.empty())
      throw PropagationError("find nameservers", fmt::format("no nameserver address of {} is reachable", zone));
    return out;
  }

  prop::Transport& transport() { return transport_; }

 private:
  prop::Transport transport_;
  std::vector<prop::AuthServer> explicit_;
  std::unique_ptr<prop::Discovery> discovery_;
};

// "" when `result` is an authoritative SOA answer for `zone`, else what was wrong.
std::string soa_problem(const prop::QueryResult& result, const std::string& zone) {
  if (result.status != prop::QueryResult::Status::reply || !result.reply)
    return result.error.empty() ? "no reply" : result.error;
  const prop::Reply& r = *result.reply;
  if (r.rcode != prop::rcode::noerror) return fmt::format("answered {}", prop::rcode_name(r.rcode));
  if (!r.aa) return "answered without the AA flag: not authoritative for " + zone;
  for (const auto& rec : r.answer)
    if (rec.type == prop::rrtype::SOA && rec.owner == zone) return {};
  return "answered without the zone's SOA record";
}

// Every server of every zone asked for the SOA at once.
void check_servers(ZoneServers& servers, const std::vector<std::string>& zones, PreflightResult& out) {
  struct Pending {
    std::string zone;
    prop::AuthServer server;
    std::optional<prop::QueryResult> result;
  };
  std::vector<Pending> pending;
  for (const auto& zone : zones) {
    try {
      for (auto& s : servers.of(zone)) pending.push_back({zone, s, std::nullopt});
    } catch (const Error& e) {
      out.servers.push_back({zone, "(none)", false, error_text(e)});
    }
  }
  prop::Transport& transport = servers.transport();
  for (auto& p : pending) {
    prop::Query q{p.server.address, prop::Question{p.zone, prop::rrtype::SOA}, false};
    transport.start(q, [&p](const prop::QueryResult& r) { p.result = r; });
  }
  const auto done = [&] {
    return std::all_of(pending.begin(), pending.end(), [](const Pending& p) { return p.result.has_value(); });
  };
  while (!done()) {
    if (stop_requested()) {
      transport.cancel_all();
      throw InterruptedError("pre-flight: ask every nameserver for the SOA");
    }
    transport.run_once(prop::Clock::now() + milliseconds(100));
  }
  for (const auto& p : pending) {
    std::string problem = soa_problem(*p.result, p.zone);
    out.servers.push_back({p.zone, p.server.label(), problem.empty(), problem});
  }
}

// Where the canary must be seen (see the header), with a label for messages.
std::optional<prop::AuthServer> update_source(plugins::ProviderInstance& instance, ZoneServers& servers,
                                              const std::string& zone) {
  const auto& cfg = instance.config();
  if (cfg.type == "rfc2136") {
    auto it = cfg.settings.find("server");
    if (it != cfg.settings.end())
      if (const auto* text = std::get_if<std::string>(&it->second.value)) {
        try {
          Endpoint e = parse_endpoint(*text, 53);
          if (auto a = prop::make_address(e.host, e.port)) return prop::AuthServer{"", *a};
        } catch (const std::invalid_argument&) {
          // Not an address we can ask directly: fall through to the zone's servers.
        }
      }
  }
  auto list = servers.of(zone);
  if (list.empty()) return std::nullopt;
  prop::Query q{list.front().address, prop::Question{zone, prop::rrtype::SOA}, false};
  prop::QueryResult r = prop::query_once(servers.transport(), q);
  if (r.reply)
    for (const auto& rec : r.reply->answer)
      if (rec.type == prop::rrtype::SOA)
        for (const auto& s : list)
          if (s.ns_name == rec.data) return s;  // the primary named in the SOA
  return list.front();
}

// Polls `source` for `value` at `name` until seen, the deadline, or a stop request.
std::string wait_for_canary(prop::Transport& transport, const prop::AuthServer& source,
                            const std::string& name, const std::string& value, milliseconds timeout) {
  const auto start = steady_clock::now();
  milliseconds interval(50);
  std::string last = "no answer yet";
  while (true) {
    prop::Query q{source.address, prop::Question{name, prop::rrtype::TXT}, false};
    prop::QueryResult r = prop::query_once(transport, q);
    if (r.reply) {
      auto values = r.reply->txt(name);
      if (std::find(values.begin(), values.end(), value) != values.end()) return {};
      last = prop::summarize(*r.reply, name);
    } else {
      last = r.error;
    }
    if (steady_clock::now() - start >= timeout)
      return fmt::format("the canary value was not served by {} after {} ms (last answer: {})", source.label(),
                         ms_since(start), last);
    const auto until = steady_clock::now() + interval;
    while (steady_clock::now() < until) {
      if (stop_requested()) throw InterruptedError("pre-flight: wait for the canary");
      std::this_thread::sleep_for(std::min(milliseconds(20), duration_cast<milliseconds>(until - steady_clock::now())));
    }
    interval = std::min(interval * 2, milliseconds(500));
  }
}

// Removes the canary however the scope is left: the value must never outlive preflight().
class Canary {
 public:
  Canary(plugins::ProviderInstance& instance, provider::TxtRecord record)
      : instance_(instance), record_(std::move(record)) {}
  ~Canary() {
    try {
      instance_.remove(record_);
    } catch (const std::exception& e) {
      // After a refused add the remove is refused the same way and there is nothing to remove:
      // only a canary that was added and stays is worth a warning.
      if (added_)
        Logger::global().warn("preflight", "could not remove the canary {} at {}: {}", record_.value, record_.name,
                              error_text(e));
      else
        Logger::global().debug("preflight", "removing the canary after a failed add: {}", error_text(e));
    }
  }
  Canary(const Canary&) = delete;
  Canary& operator=(const Canary&) = delete;

  const provider::TxtRecord& record() const { return record_; }
  void added() { added_ = true; }

 private:
  plugins::ProviderInstance& instance_;
  provider::TxtRecord record_;
  bool added_ = false;
};

// Where one instance's canary goes: `routing` is the instance's zones entry that routed the
// names (what the provider gets as TxtRecord::zone), `dns` the DNS zone that holds them (its
// servers are the update source's candidates). The canary sits at the apex of the DNS zone when
// that is inside the routing entry (the usual case: both are the same), else at the routing entry.
struct CanaryZone {
  std::string routing, dns;
};

void check_instance(plugins::ProviderInstance& instance, const CanaryZone& zones, ZoneServers& servers,
                    milliseconds timeout, PreflightResult::Instance& out) {
  const auto start = steady_clock::now();
  const bool inside = prop::is_subdomain(zones.dns, zones.routing);
  out.zone = inside ? zones.dns : zones.routing;
  const std::string name = "_acme-challenge." + out.zone;
  const std::string& zone = zones.dns;
  try {
    auto source = update_source(instance, servers, zone);
    if (!source) throw PropagationError("find the update source", "no server known for " + zone);
    out.source = source->label();
    {
      // Constructed before add(): a failed add may still have written it. Its scope ends right
      // after the wait, so the canary is removed before the cost is measured.
      Canary canary(instance, provider::TxtRecord{name, canary_value(), zones.routing, 0});
      instance.add(canary.record());
      canary.added();
      Logger::global().info("preflight", "{}: canary written at {}, waiting for {}", instance.component(), name,
                            out.source);
      out.error = wait_for_canary(servers.transport(), *source, name, canary.record().value, timeout);
      if (!out.error.empty()) out.error = instance.component() + ": " + out.error;
    }
  } catch (const InterruptedError&) {
    throw;
  } catch (const std::exception& e) {
    out.error = error_text(e);
  }
  out.ok = out.error.empty();
  out.milliseconds = ms_since(start);
}

}  // namespace

bool PreflightResult::ok() const {
  return unplaced.empty() && std::all_of(instances.begin(), instances.end(), [](const Instance& i) { return i.ok; }) &&
         std::all_of(servers.begin(), servers.end(), [](const Server& s) { return s.ok; });
}

bool PreflightResult::instance_ok(const std::string& instance) const {
  for (const auto& i : instances)
    if (i.name == instance) return i.ok;
  return false;
}

std::optional<std::string> PreflightResult::failure_for(const std::vector<std::string>& record_names) const {
  for (const auto& raw : record_names) {
    const std::string name = prop::canonical_name(raw);
    for (const auto& u : unplaced)
      if (u.record_name == name) return fmt::format("{}: {}", name, u.error);
    for (const auto& route : routes) {
      if (route.record_name != name) continue;
      for (const auto& i : instances)
        if (i.name == route.instance && !i.ok)
          return fmt::format("provider instance '{}' cannot publish in {}: {}", i.name, i.zone, i.error);
      for (const auto& s : servers)
        if (s.zone == route.zone && !s.ok)
          return fmt::format("nameserver {} of zone {} did not answer a SOA query: {}", s.server, s.zone, s.error);
    }
  }
  return std::nullopt;
}

nlohmann::json PreflightResult::to_json() const {
  nlohmann::json j;
  j["ok"] = ok();
  j["milliseconds"] = milliseconds;
  j["instances"] = nlohmann::json::array();
  for (const auto& i : instances) {
    nlohmann::json e{{"name", i.name}, {"ok", i.ok}, {"milliseconds", i.milliseconds}, {"zone", i.zone},
                     {"source", i.source}};
    if (!i.ok) e["error"] = i.error;
    j["instances"].push_back(std::move(e));
  }
  j["servers"] = nlohmann::json::array();
  for (const auto& s : servers) {
    nlohmann::json e{{"zone", s.zone}, {"server", s.server}, {"ok", s.ok}};
    if (!s.ok) e["error"] = s.error;
    j["servers"].push_back(std::move(e));
  }
  j["unplaced"] = nlohmann::json::array();
  for (const auto& u : unplaced) j["unplaced"].push_back({{"record_name", u.record_name}, {"error", u.error}});
  return j;
}

PreflightResult preflight(plugins::ProviderSet& providers, prop::Checker& checker,
                          const std::vector<std::string>& record_names, const PreflightOptions& options) {
  const auto start = steady_clock::now();
  PreflightResult out;
  // Route every name first; the first zone each instance is used with carries its canary.
  std::map<plugins::ProviderInstance*, CanaryZone> canary_zone;
  std::vector<plugins::ProviderInstance*> instance_order;
  std::vector<std::string> zones;
  std::set<std::string> seen;
  for (const auto& raw : record_names) {
    const std::string name = prop::canonical_name(raw);
    if (!seen.insert(name).second) continue;
    try {
      Placement p = place_record(providers, checker, name);
      // The DNS zone (from the checker's cached walk), not the routing entry: a zones entry of a
      // provider need not be a zone apex, and only an apex has an SOA and NS records to check.
      std::string dns_zone = checker.resolve(p.effective_name).zone;
      if (dns_zone.empty()) dns_zone = p.zone;  // explicit nameservers and no SOA found
      out.routes.push_back({name, p.instance->config().name, dns_zone});
      if (canary_zone.emplace(p.instance, CanaryZone{p.zone, dns_zone}).second) instance_order.push_back(p.instance);
      if (std::find(zones.begin(), zones.end(), dns_zone) == zones.end()) zones.push_back(dns_zone);
    } catch (const InterruptedError&) {
      throw;
    } catch (const std::exception& e) {
      out.unplaced.push_back({name, error_text(e)});
    }
  }
  ZoneServers servers(checker, options.propagation);
  check_servers(servers, zones, out);
  const milliseconds timeout = std::min(options.canary_timeout, checker.options().timeout);
  for (auto* instance : instance_order) {
    // Checked between canaries, each of which is gone again by now.
    if (stop_requested()) throw InterruptedError("pre-flight: write the canaries");
    PreflightResult::Instance result;
    result.name = instance->config().name;
    check_instance(*instance, canary_zone[instance], servers, timeout, result);
    if (result.ok)
      Logger::global().info("preflight", "{}: can publish in {} ({} ms)", instance->component(), result.zone,
                            result.milliseconds);
    else
      Logger::global().error("preflight", "{}", result.error);
    out.instances.push_back(std::move(result));
  }
  if (stop_requested()) throw InterruptedError("pre-flight: write the canaries");
  out.milliseconds = ms_since(start);
  return out;
}

}  // namespace dns01::flow
