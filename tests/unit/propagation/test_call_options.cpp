// Checker per-call options: timeout, cancellation and progress for one call, leaving the shared
// options() alone; SIGINT/SIGTERM cancel a wait without the caller setting anything.
#include <catch2/catch.hpp>

#include <csignal>

#include "dns/fake_dns_server.hpp"
#include "dns01/error.hpp"
#include "dns01/propagation/propagation.hpp"
#include "dns01/signals.hpp"

using namespace dns01::propagation;
using namespace std::chrono_literals;
using dns01::test::DnsAction;
using dns01::test::DnsQuery;
using dns01::test::FakeDnsServer;

namespace {

const char* kName = "_acme-challenge.calls.example.test";

// Never serves the value: NXDOMAIN for everything.
DnsAction lagging(const DnsQuery&) { return DnsAction{.rcode = 3}; }

dns01::PropagationSettings settings_for(const FakeDnsServer& server) {
  dns01::PropagationSettings s;
  s.timeout = 30s;
  s.nameservers = {dns01::Endpoint{server.ip(), server.port()}};
  return s;
}

TransportOptions fast() {
  TransportOptions o;
  o.udp_timeout = 100ms;
  o.tcp_timeout = 300ms;
  return o;
}

}  // namespace

TEST_CASE("Checker: a per-call timeout ends that call and leaves options() as they were",
          "[propagation]") {
  FakeDnsServer server(lagging);
  Checker checker(settings_for(server), fast());
  std::vector<std::string> events;
  auto result = checker.check({{kName, "token"}},
                              {.timeout = 300ms, .progress = [&](const Probe& p) {
                                 events.push_back(probe_state_name(p.state));
                               }});
  CHECK_FALSE(result.ok);
  CHECK(result.elapsed < 30s);
  CHECK(events == std::vector<std::string>{"not yet"});
  CHECK(checker.options().timeout == 30s);
  try {
    checker.wait({{kName, "token"}}, {.timeout = 200ms});
    FAIL("the wait did not time out");
  } catch (const dns01::PropagationError& e) {
    CHECK_THAT(e.what(), Catch::Contains("within 0.2 s"));
  }
}

TEST_CASE("Checker: a per-call cancel predicate adds to the Checker's own", "[propagation]") {
  FakeDnsServer server(lagging);
  Checker checker(settings_for(server), fast());
  REQUIRE(checker.options().cancelled);  // stop_requested(), set by the Checker itself
  int polls = 0;
  CHECK_THROWS_AS(checker.check({{kName, "token"}}, {.cancelled = [&] { return ++polls > 3; }}),
                  dns01::InterruptedError);
  CHECK(polls == 4);
  CHECK(checker.options().cancelled);
  CHECK_FALSE(checker.options().cancelled());
  // The next call without a predicate is not affected by the last one's.
  auto result = checker.check({{kName, "token"}}, {.timeout = 150ms});
  CHECK_FALSE(result.ok);
}

TEST_CASE("Checker: SIGINT ends a wait without the caller setting a cancel predicate",
          "[propagation]") {
  FakeDnsServer server(lagging);
  Checker checker(settings_for(server), fast());
  dns01::StopOnSignals stop;
  int polls = 0;
  // The signal arrives during the wait: raised by the per-call predicate on its first poll,
  // which itself never asks to stop.
  auto raise_once = [&] {
    if (++polls == 1) std::raise(SIGINT);
    return false;
  };
  CHECK_THROWS_AS(checker.wait({{kName, "token"}}, {.cancelled = raise_once}),
                  dns01::InterruptedError);
  CHECK(dns01::stop_requested());
}
