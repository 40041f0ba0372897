// The Checker facade: settings → bootstrap servers, discovery, probes, one wait.
#include "dns01/propagation/propagation.hpp"

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <sstream>

#include "dns01/error.hpp"
#include "dns01/log.hpp"
#include "dns01/signals.hpp"

namespace dns01::propagation {
namespace {

std::vector<ServerAddress> to_addresses(const std::vector<Endpoint>& endpoints, const char* key) {
  std::vector<ServerAddress> out;
  for (const auto& e : endpoints) {
    auto a = make_address(e.host, e.port);
    if (!a)
      throw ConfigError("propagation settings",
                        fmt::format("{} '{}' is not an IP address", key, e.host),
                        "give nameservers and resolvers as IP[:port] or [IPv6]:port");
    out.push_back(*a);
  }
  return out;
}

}  // namespace

std::vector<ServerAddress> resolv_conf_servers(const std::filesystem::path& path) {
  std::vector<ServerAddress> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key, value;
    if (!(words >> key >> value) || key != "nameserver") continue;
    if (auto pct = value.find('%'); pct != std::string::npos) value.resize(pct);  // zone index
    if (auto a = make_address(value, 53)) out.push_back(*a);
  }
  return out;
}

Checker::Checker(const PropagationSettings& settings, TransportOptions transport)
    : settings_(settings), transport_(std::make_unique<Transport>(transport)) {
  options_.timeout = settings.timeout;
  options_.extra_wait = settings.extra_wait;
  options_.cancelled = [] { return stop_requested(); };
  options_.queries_per_second = settings.queries_per_second;
  resolvers_ = to_addresses(settings.resolvers, "resolver");
  for (auto& a : to_addresses(settings.nameservers, "nameserver")) explicit_.push_back({"", a});
  bool recursion = true;
  if (!resolvers_.empty()) {
    bootstrap_ = resolvers_;
  } else if (!explicit_.empty()) {
    // Split horizon / testbeds: the servers we were told to check answer the discovery
    // questions too, so nothing leaves for a resolver that may not even see the zone.
    for (const auto& s : explicit_) bootstrap_.push_back(s.address);
    recursion = false;
  } else {
    resolvers_ = resolv_conf_servers();
    bootstrap_ = resolvers_;
  }
  if (settings.require_recursive && resolvers_.empty()) resolvers_ = resolv_conf_servers();
  DiscoveryOptions d;
  d.bootstrap = bootstrap_;
  d.recursion_desired = recursion;
  d.nameserver_port = settings.port;
  discovery_ = std::make_unique<Discovery>(*transport_, std::move(d));
}

Target Checker::resolve(std::string_view record_name) {
  if (bootstrap_.empty())
    throw PropagationError("find resolvers", "no resolver configured and none in /etc/resolv.conf",
                           "pass --resolver IP or set [propagation] resolvers");
  if (explicit_.empty()) return discovery_->resolve(record_name);
  // With explicit nameservers the zone is informative only: not finding it is no failure.
  Target t;
  t.name = canonical_name(record_name);
  t.effective_name = discovery_->follow_cnames(t.name, &t.cname_chain);
  try {
    t.zone = discovery_->find_zone(t.effective_name);
  } catch (const PropagationError& e) {
    Logger::global().debug("propagation", "{}", e.what());
  }
  return t;
}

std::vector<AuthServer> Checker::servers_for(const Target& target) {
  if (!explicit_.empty()) return explicit_;  // the user asked for these: never filtered
  std::vector<AuthServer> out;
  for (const auto& s : discovery_->authoritative_servers(target.zone)) {
    // Typically AAAA addresses on a host without IPv6: they cannot be checked from here, and
    // waiting on them would only end in a timeout.
    if (routable(s.address))
      out.push_back(s);
    else
      Logger::global().warn("propagation", "no route to {} from this host; it is not checked",
                            s.label());
  }
  if (out.empty())
    throw PropagationError("find nameservers",
                           fmt::format("no nameserver address of {} is reachable from this host",
                                       target.zone),
                           "check the network, or list reachable servers with --nameserver");
  return out;
}

CheckResult Checker::check(const std::vector<Expectation>& records, const ProgressFn& progress) {
  return check(records, CallOptions{.progress = progress});
}

CheckResult Checker::check(const std::vector<Expectation>& records, const CallOptions& call) {
  std::vector<Target> targets;
  std::map<std::string, Target> by_name;
  std::map<std::string, std::vector<std::string>> values;  // effective name → values
  std::vector<std::string> order;
  for (const auto& r : records) {
    const std::string name = canonical_name(r.name);
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      it = by_name.emplace(name, resolve(name)).first;
      targets.push_back(it->second);
    }
    const std::string& effective = it->second.effective_name;
    if (!values.count(effective)) order.push_back(effective);
    auto& v = values[effective];
    if (std::find(v.begin(), v.end(), r.value) == v.end()) v.push_back(r.value);
  }
  std::vector<Probe> probes;
  for (const auto& name : order) {
    const Target* target = nullptr;
    for (const auto& t : targets)
      if (t.effective_name == name) target = &t;
    std::vector<std::string> labels;
    for (const auto& server : servers_for(*target)) {
      Probe p;
      p.name = name;
      p.values = values[name];
      p.zone = target->zone;
      p.server = server;
      probes.push_back(std::move(p));
      labels.push_back(server.label());
    }
    Logger::global().info("propagation", "{}{}: checking {}", name,
                          target->zone.empty() ? "" : " (zone " + target->zone + ")",
                          fmt::join(labels, ", "));
    if (settings_.require_recursive) {
      for (const auto& r : resolvers_) {
        Probe p;
        p.name = name;
        p.values = values[name];
        p.zone = target->zone;
        p.server = {"", r};
        p.recursive = true;
        probes.push_back(std::move(p));
      }
    }
  }
  CheckOptions options = options_;
  if (call.timeout) options.timeout = *call.timeout;
  if (call.cancelled)
    options.cancelled = [&] { return (options_.cancelled && options_.cancelled()) || call.cancelled(); };
  CheckResult result = run_probes(*transport_, std::move(probes), options, call.progress);
  result.targets = std::move(targets);
  return result;
}

CheckResult Checker::wait(const std::vector<Expectation>& records, const ProgressFn& progress) {
  return wait(records, CallOptions{.progress = progress});
}

CheckResult Checker::wait(const std::vector<Expectation>& records, const CallOptions& call) {
  CheckResult result = check(records, call);
  if (!result.ok) throw failure_error(result, call.timeout.value_or(options_.timeout));
  return result;
}

}  // namespace dns01::propagation
