// The wait: probe states, the schedule's guarantees, failures, and the Checker facade.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "dns/fake_dns_server.hpp"
#include "dns01/error.hpp"
#include "dns01/propagation/propagation.hpp"

using namespace dns01::propagation;
using namespace std::chrono_literals;
using dns01::test::DnsAction;
using dns01::test::DnsQuery;
using dns01::test::FakeDnsServer;
using dns01::test::StaticZone;

namespace {

const char* kName = "_acme-challenge.example.test";
const std::string kSoa = "example.test. 60 IN SOA ns1.example.test. admin.example.test. 1 60 60 600 30";

std::string txt(const std::string& value) { return std::string(kName) + ". 60 IN TXT \"" + value + "\""; }

// Serves NXDOMAIN until `serving` is set, then the TXT value(s). With `serve_from` = N > 0 it
// starts serving at its N-th TXT query by itself: an event of the exchange, not of the clock.
struct Switchable {
  std::atomic<bool> serving{false};
  int serve_from = 0;
  std::atomic<int> txt_queries{0};
  std::vector<std::string> values{"token"};
  bool aa = true;
  DnsAction operator()(const DnsQuery& q) {
    if (q.name != kName || q.type != rrtype::TXT) return StaticZone("example.test").add(kSoa)(q);
    if (const int n = ++txt_queries; serve_from > 0 && n >= serve_from) serving = true;
    if (!serving) return DnsAction{.rcode = 3, .aa = aa, .authority = {kSoa}};
    DnsAction a{.aa = aa};
    for (const auto& v : values) a.answer.push_back(txt(v));
    return a;
  }
};

Probe probe_for(const FakeDnsServer& s, std::vector<std::string> values = {"token"}) {
  Probe p;
  p.name = kName;
  p.values = std::move(values);
  p.server = {"ns.example.test", *make_address(s.ip(), s.port())};
  return p;
}

CheckOptions short_wait(std::chrono::milliseconds timeout = 400ms) {
  CheckOptions o;
  o.timeout = timeout;
  return o;
}

TransportOptions fast() {
  TransportOptions o;
  o.udp_timeout = 100ms;
  o.tcp_timeout = 300ms;
  return o;
}

}  // namespace

TEST_CASE("wait: every server serving the value ends the wait; done servers are left alone",
          "[propagation]") {
  Switchable a_state, b_state;
  a_state.serving = true;
  FakeDnsServer a([&](const DnsQuery& q) { return a_state(q); });
  FakeDnsServer b([&](const DnsQuery& q) { return b_state(q); });
  b_state.serve_from = 3;  // "not yet" twice, then the value
  Transport t(fast());
  std::vector<std::string> events;
  auto result = run_probes(t, {probe_for(a), probe_for(b)}, short_wait(10s), [&](const Probe& p) {
    events.push_back(p.server.address.str() + " " + probe_state_name(p.state));
  });
  REQUIRE(result.ok);
  CHECK(result.probes[0].state == ProbeState::seen);
  CHECK(result.probes[1].state == ProbeState::seen);
  CHECK(result.probes[0].queries == 1);  // served at once, never asked again
  CHECK(result.probes[1].queries >= 3);
  CHECK(b.count(kName, rrtype::TXT) >= 3);
  CHECK(a.count(kName, rrtype::TXT) == 1);
  CHECK(std::find(events.begin(), events.end(), b.ip() + ":" + std::to_string(b.port()) + " not yet") !=
        events.end());
  CHECK(result.packets_sent == a.queries().size() + b.queries().size());
}

TEST_CASE("wait: a timeout fails naming each lagging or broken server and its answer",
          "[propagation]") {
  Switchable lag_state, lame_state;
  lame_state.serving = true;
  lame_state.aa = false;
  FakeDnsServer lag([&](const DnsQuery& q) { return lag_state(q); });
  FakeDnsServer lame([&](const DnsQuery& q) { return lame_state(q); });
  FakeDnsServer refused([](const DnsQuery&) { return DnsAction{.rcode = 5}; });
  Transport t(fast());
  auto result = run_probes(t, {probe_for(lag), probe_for(lame), probe_for(refused)}, short_wait());
  REQUIRE_FALSE(result.ok);
  CHECK(result.probes[0].state == ProbeState::not_yet);
  CHECK(result.probes[0].detail == "NXDOMAIN aa");
  CHECK(result.probes[1].state == ProbeState::error);  // the value, but without AA: ignored
  CHECK_THAT(result.probes[1].detail, Catch::Contains("not authoritative"));
  CHECK(result.probes[2].state == ProbeState::error);
  CHECK(result.probes[2].rcode == 5);
  auto error = failure_error(result, 400ms);
  CHECK(error.category() == dns01::ErrorCategory::propagation);
  CHECK_THAT(error.what(), Catch::Contains("3 of 3") && Catch::Contains(lag.endpoint()) &&
                               Catch::Contains("not yet (NXDOMAIN aa)") &&
                               Catch::Contains(lame.endpoint()) &&
                               Catch::Contains(refused.endpoint() + ") for " + kName + ": error (REFUSED"));
}

TEST_CASE("wait: every expected value must be served at a name", "[propagation]") {
  Switchable state;
  state.serving = true;
  state.values = {"one", "other"};
  FakeDnsServer server([&](const DnsQuery& q) { return state(q); });
  Transport t(fast());
  auto partial = run_probes(t, {probe_for(server, {"one", "two"})}, short_wait(200ms));
  CHECK_FALSE(partial.ok);
  CHECK(partial.probes[0].state == ProbeState::not_yet);
  CHECK_THAT(partial.probes[0].detail, Catch::Contains("\"one\", \"other\""));
  auto full = run_probes(t, {probe_for(server, {"one", "other"})}, short_wait(200ms));
  CHECK(full.ok);
}

TEST_CASE("wait: multi-string TXT values and TCP-only answers count", "[propagation]") {
  FakeDnsServer server([](const DnsQuery& q) {
    if (!q.tcp) return DnsAction{.tc = true};
    return DnsAction{.answer = {std::string(kName) + ". 60 IN TXT \"tok\" \"en\""}};
  });
  Transport t(fast());
  auto result = run_probes(t, {probe_for(server)}, short_wait(2s));
  REQUIRE(result.ok);
  CHECK(result.probes[0].tcp);
}

TEST_CASE("wait: cancellation stops the wait with InterruptedError", "[propagation]") {
  FakeDnsServer server([](const DnsQuery&) { return DnsAction{.rcode = 3}; });
  Transport t(fast());
  auto options = short_wait(10s);
  int polls = 0;
  options.cancelled = [&] { return ++polls > 3; };
  CHECK_THROWS_AS(run_probes(t, {probe_for(server)}, options), dns01::InterruptedError);
  CHECK(t.active() == 0);  // nothing left in flight that points at the dead frame
}

TEST_CASE("Checker: explicit nameservers (split horizon) with no resolver at all",
          "[propagation]") {
  Switchable state;
  state.serving = true;
  FakeDnsServer server([&](const DnsQuery& q) { return state(q); });
  dns01::PropagationSettings settings;
  settings.timeout = 2s;
  settings.nameservers = {dns01::Endpoint{server.ip(), server.port()}};
  Checker checker(settings, fast());
  auto result = checker.wait({{"_ACME-challenge.example.test.", "token"}});
  REQUIRE(result.ok);
  REQUIRE(result.targets.size() == 1);
  CHECK(result.targets[0].effective_name == kName);
  CHECK(result.targets[0].zone == "example.test");
  REQUIRE(result.probes.size() == 1);
  CHECK(result.probes[0].server.label() == server.endpoint());
  for (const auto& q : server.queries()) CHECK_FALSE(q.rd);
}

TEST_CASE("Checker: discovered NS set; one lagging server fails the check until it serves",
          "[propagation]") {
  Switchable ns1_state, ns2_state;
  ns1_state.serving = true;
  auto handler_for = [](Switchable& s) {
    return [&s](const DnsQuery& q) {
      if (q.type == rrtype::NS && q.name == "example.test")
        return DnsAction{.answer = {"example.test. 60 IN NS ns1.example.test.",
                                    "example.test. 60 IN NS ns2.example.test."},
                         .additional = {"ns1.example.test. 60 IN A 127.0.0.1",
                                        "ns2.example.test. 60 IN A 127.0.0.2"}};
      return s(q);
    };
  };
  auto servers = dns01::test::make_servers_on_one_port({"127.0.0.1", "127.0.0.2"}, {});
  servers[0]->set_handler(handler_for(ns1_state));
  servers[1]->set_handler(handler_for(ns2_state));
  dns01::PropagationSettings settings;
  settings.timeout = 300ms;
  settings.resolvers = {dns01::Endpoint{"127.0.0.1", servers[0]->port()}};
  settings.port = servers[0]->port();
  Checker checker(settings, fast());
  try {
    checker.wait({{kName, "token"}});
    FAIL("the lagging server was not noticed");
  } catch (const dns01::PropagationError& e) {
    CHECK_THAT(e.what(), Catch::Contains("1 of 2") &&
                             Catch::Contains("ns2.example.test (127.0.0.2:" +
                                             std::to_string(servers[1]->port()) + ")") &&
                             Catch::Contains("not yet (NXDOMAIN aa)"));
  }
  ns2_state.serving = true;
  auto result = checker.wait({{kName, "token"}});
  CHECK(result.ok);
  CHECK(result.probes.size() == 2);
  CHECK(servers[0]->count("example.test", rrtype::NS) == 1);  // discovery cached in the Checker
}

TEST_CASE("Checker: require_recursive asks resolvers only after the authoritative servers",
          "[propagation]") {
  Switchable auth_state;
  FakeDnsServer auth([&](const DnsQuery& q) { return auth_state(q); });
  Switchable resolver_state;
  resolver_state.serving = true;
  FakeDnsServer resolver([&](const DnsQuery& q) { return resolver_state(q); });
  dns01::PropagationSettings settings;
  settings.timeout = 300ms;
  settings.nameservers = {dns01::Endpoint{auth.ip(), auth.port()}};
  settings.resolvers = {dns01::Endpoint{resolver.ip(), resolver.port()}};
  settings.require_recursive = true;
  {
    Checker checker(settings, fast());
    checker.resolve(kName);  // discovery asks the resolver about the name once (CNAME check)
    const auto asked = resolver.count(kName, rrtype::TXT);
    auto result = checker.check({{kName, "token"}});
    CHECK_FALSE(result.ok);
    CHECK(resolver.count(kName, rrtype::TXT) == asked);  // the wait did not ask it yet
  }
  auth_state.serving = true;
  Checker checker(settings, fast());
  auto result = checker.check({{kName, "token"}});
  REQUIRE(result.ok);
  REQUIRE(result.probes.size() == 2);
  CHECK(result.probes[1].recursive);
  CHECK(resolver.queries().back().rd);
}

TEST_CASE("resolv.conf: nameserver lines only, zone indexes dropped", "[propagation]") {
  auto path = std::filesystem::temp_directory_path() /
              ("dns01-resolv-" + std::to_string(::getpid()) + ".conf");
  {
    std::ofstream out(path);
    out << "# comment\nsearch example.test\nnameserver 127.0.0.53\nnameserver fe80::1%eth0\n"
           "nameserver not-an-ip\noptions edns0\n";
  }
  auto servers = resolv_conf_servers(path);
  std::filesystem::remove(path);
  REQUIRE(servers.size() == 2);
  CHECK(servers[0].str() == "127.0.0.53:53");
  CHECK(servers[1].str() == "[fe80::1]:53");
  CHECK(resolv_conf_servers("/nonexistent/resolv.conf").empty());
}
