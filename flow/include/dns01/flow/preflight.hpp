#pragma once
// Pre-flight: before a run places any order, prove that the DNS side can work (issue 19).
//
// For every provider instance the challenge record names route to (place_record, CNAMEs
// followed), one canary:
//   1. a random TXT value "dns01-preflight-<16 hex>" is added at "_acme-challenge.<zone>", where
//      <zone> is the DNS zone of the first name routed to that instance (or the instance's zones
//      entry, when the DNS zone lies outside it); other values at that name are never touched;
//   2. it must be seen at the update source: for rfc2136 the server the instance updates (its
//      `server` setting, when an IP literal), otherwise the zone SOA's MNAME if that host is one
//      of the zone's authoritative servers, else the first authoritative server. Polled (RD=0,
//      50 ms growing to 500 ms) until seen or options.canary_timeout elapses;
//   3. it is removed again - ALWAYS, also when 1 or 2 failed or a stop was requested. The canary
//      is not journaled: it is gone before preflight() returns (a SIGKILL in between leaves one
//      harmless "dns01-preflight-*" value that `dns01 cleanup --stale` does not know about).
// And for every DNS zone holding those names, EVERY authoritative server must answer a SOA query
// for the zone authoritatively (AA, NOERROR, an SOA answer); all queries run concurrently (UDP,
// TCP on failure, the Transport's timeouts). The server set is the checker's policy:
// [propagation] nameservers when given, else the zone's NS addresses found through
// checker.bootstrap() on options.propagation's port. Without options.propagation the NS
// addresses are asked on port 53 with RD=1 - pass the run's settings (config.propagation).
//
// Failures never throw: they are recorded per instance / per server with the reason, so the
// caller stops only the lineages that need a failing instance or server (failure_for) and lets
// the others go on. Record names that cannot be placed (no provider serves them, CNAME loop) are
// recorded in `unplaced`. Throws only InterruptedError when stop_requested() (signals.hpp) became
// true - after the canaries are removed.
// No secret appears in any error text (provider errors are already redacted).
// Threading: one thread; uses `providers` and `checker` like RecordPublisher does.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dns01/plugins/loader.hpp"
#include "dns01/propagation/propagation.hpp"

namespace dns01::flow {

struct PreflightResult {
  struct Instance {
    std::string name;       // [providers.<name>]
    bool ok = false;
    std::string error;      // "" when ok; else "<component>: <step>: <cause>"
    long long milliseconds = 0;
    std::string zone;       // where the canary went
    std::string source;     // the update source that had to see it ("192.0.2.1:53")
  };
  struct Server {
    std::string zone, server;  // "example.test", "127.0.0.1:5301" (or "ns1.example.test (ip:port)")
    bool ok = false;
    std::string error;
  };
  // Record names that could not even be placed (no provider serves them, CNAME loop, zone not
  // found): record name -> why.
  struct Unplaced {
    std::string record_name;
    std::string error;
  };
  std::vector<Instance> instances;
  std::vector<Server> servers;
  std::vector<Unplaced> unplaced;
  long long milliseconds = 0;  // total cost of the pre-flight

  bool ok() const;  // everything passed
  bool instance_ok(const std::string& instance) const;  // false for an unknown instance too
  // nullopt when every instance and server these challenge record names need passed; else one
  // sentence naming the failing instance/server and why, for the lineage's error (the caller
  // adds its own "pre-flight" component/step): "provider instance 'lab' cannot publish in
  // lab.test: <error>", "nameserver ns3.lab.test (192.0.2.3:53) of zone lab.test did not answer
  // a SOA query: <error>", or "<record name>: <why it could not be placed>".
  std::optional<std::string> failure_for(const std::vector<std::string>& record_names) const;
  // {"ok":..,"milliseconds":..,"instances":[{name,ok,error?,milliseconds,zone,source}],
  //  "servers":[{zone,server,ok,error?}],"unplaced":[{record_name,error}]}
  nlohmann::json to_json() const;

  // Filled by preflight(): which instance/zone each record name routed to (failure_for uses it).
  struct Route {
    std::string record_name, instance, zone;
  };
  std::vector<Route> routes;
};

struct PreflightOptions {
  // The run's [propagation] settings: explicit nameservers, discovery port, RD bit (see above).
  std::optional<PropagationSettings> propagation;
  // How long a canary may take to appear at the update source (capped by the checker's
  // timeout). A provider that publishes asynchronously (cloud APIs) needs seconds.
  std::chrono::milliseconds canary_timeout{std::chrono::seconds(15)};
};

// Runs the pre-flight for these challenge record names ("_acme-challenge.web.example.test").
PreflightResult preflight(plugins::ProviderSet& providers, propagation::Checker& checker,
                          const std::vector<std::string>& record_names,
                          const PreflightOptions& options = {});

}  // namespace dns01::flow
