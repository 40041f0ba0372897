// The per-server query budget: the token bucket on its own (time passed in, no sleeping), then
// the wait at scale against the fake DNS server: the budget holds, names go round robin, every
// name completes, a server serving the zone is swept at once, small runs are never held back.
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <set>

#include "dns/fake_dns_server.hpp"
#include "dns01/propagation/budget.hpp"
#include "dns01/propagation/checker.hpp"

using namespace dns01::propagation;
using namespace std::chrono_literals;
using dns01::test::DnsAction;
using dns01::test::DnsQuery;
using dns01::test::FakeDnsServer;

namespace {

const std::string kZone = "example.test";
const std::string kSoa = "example.test. 60 IN SOA ns1.example.test. admin.example.test. 1 60 60 600 30";

std::string name_of(std::size_t i) { return "_acme-challenge.h" + std::to_string(i) + ".example.test"; }

// A server that answers NXDOMAIN for the challenge names until it has answered `lag_queries`
// TXT queries, then serves every name at once (one zone transfer). It notes each TXT query's
// name, time and whether the answer was the value.
struct LaggingZone {
  std::size_t lag_queries = 0;
  // Instead: name i appears 200 ms + i × 20 ms after the first question (a transfer each).
  bool one_by_one = false;
  Clock::time_point first{};
  bool drop_udp_first = false;  // drop the first UDP query of each name (TCP still answers)
  struct Asked {
    std::string name;
    Clock::time_point at;
    bool served;
    bool tcp;
  };
  mutable std::mutex mutex;
  std::vector<Asked> asked;
  std::set<std::string> dropped;

  DnsAction operator()(const DnsQuery& q) {
    std::lock_guard lock(mutex);
    if (q.type != rrtype::TXT) return DnsAction{.rcode = 5};
    if (drop_udp_first && !q.tcp && dropped.insert(q.name).second) return DnsAction{.drop = true};
    bool serving = asked.size() >= lag_queries;
    if (one_by_one) {
      const auto now = Clock::now();
      if (asked.empty()) first = now;
      const long index = std::stol(q.name.substr(q.name.find(".h") + 2));
      serving = now - first >= 200ms + index * 20ms;
    }
    asked.push_back({q.name, Clock::now(), serving, q.tcp});
    if (!serving) return DnsAction{.rcode = 3, .authority = {kSoa}};
    return DnsAction{.answer = {q.name + ". 60 IN TXT \"token\""}};
  }
  std::vector<Asked> log() const {
    std::lock_guard lock(mutex);
    return asked;
  }
};

std::vector<Probe> probes_for(const FakeDnsServer& server, std::size_t names) {
  std::vector<Probe> out;
  for (std::size_t i = 0; i < names; ++i) {
    Probe p;
    p.name = name_of(i);
    p.values = {"token"};
    p.zone = kZone;
    p.server = {"ns.example.test", *make_address(server.ip(), server.port())};
    out.push_back(std::move(p));
  }
  return out;
}

TransportOptions fast() {
  TransportOptions o;
  o.udp_timeout = 100ms;
  o.tcp_timeout = 500ms;
  return o;
}

}  // namespace

TEST_CASE("budget: a burst, then the rate; refunds; no budget at all", "[propagation][budget]") {
  const auto t0 = Clock::time_point{} + 1h;
  QueryBudget b(50, 4, t0);
  for (int i = 0; i < 4; ++i) CHECK(b.try_take(t0));
  CHECK_FALSE(b.try_take(t0));
  CHECK(b.next_token(t0) == t0 + 20ms);
  CHECK_FALSE(b.try_take(t0 + 19ms));
  CHECK(b.try_take(t0 + 20ms));
  b.refund();  // an answer that finished its pair costs nothing
  CHECK(b.try_take(t0 + 20ms));
  CHECK_FALSE(b.try_take(t0 + 20ms));
  // Saved-up tokens never exceed the burst.
  CHECK(b.try_take(t0 + 10s));
  int taken = 1;
  while (b.try_take(t0 + 10s)) ++taken;
  CHECK(taken == 4);

  QueryBudget none(0, 4, t0);
  CHECK(none.unlimited());
  for (int i = 0; i < 1000; ++i) REQUIRE(none.try_take(t0));
  CHECK(none.next_token(t0) == t0);
  CHECK_FALSE(none.timed_out(t0, 1));
}

TEST_CASE("budget: timeouts halve the rate once per half second, down to the floor; answers "
          "bring it back", "[propagation][budget]") {
  const auto t0 = Clock::time_point{} + 1h;
  QueryBudget b(64, 10, t0);
  CHECK(b.timed_out(t0, 5));
  CHECK(b.rate() == 32);
  CHECK(b.tokens() <= 1.0);  // no saved-up burst into a server that drops answers
  CHECK_FALSE(b.timed_out(t0 + 100ms, 5));  // the same event's other timeouts
  CHECK(b.rate() == 32);
  CHECK(b.timed_out(t0 + 600ms, 5));
  CHECK(b.rate() == 16);
  CHECK(b.timed_out(t0 + 1200ms, 5));
  CHECK(b.rate() == 8);
  CHECK(b.timed_out(t0 + 1800ms, 5));
  CHECK(b.rate() == 5);  // one probe per pending name per second: the floor
  CHECK_FALSE(b.timed_out(t0 + 2400ms, 5));
  CHECK(b.rate() == 5);
  for (int i = 0; i < 4; ++i) b.answered(t0 + 3s);
  CHECK(b.rate() == 5 + 4);  // budget / 64 per answer
  for (int i = 0; i < 100; ++i) b.answered(t0 + 3s);
  CHECK(b.rate() == 64);  // never above the budget
  // A floor above the budget is capped by the budget: no backoff at all then.
  QueryBudget busy(10, 10, t0);
  CHECK_FALSE(busy.timed_out(t0, 100));
  CHECK(busy.rate() == 10);
}

TEST_CASE("wait at scale: the budget holds at a lagging server, names go round robin and all "
          "complete", "[propagation][budget]") {
  constexpr std::size_t kNames = 60;
  constexpr std::size_t kLag = 80;  // NXDOMAIN answers before the zone is served
  LaggingZone lagging;
  lagging.lag_queries = kLag;
  LaggingZone serving;  // serves every name from the start
  FakeDnsServer slow([&](const DnsQuery& q) { return lagging(q); });
  FakeDnsServer quick([&](const DnsQuery& q) { return serving(q); });
  auto probes = probes_for(slow, kNames);
  for (auto& p : probes_for(quick, kNames)) probes.push_back(std::move(p));
  CheckOptions options;
  options.timeout = 20s;
  options.queries_per_second = 100;
  options.burst = 10;
  Transport t(fast());
  auto result = run_probes(t, probes, options);

  REQUIRE(result.ok);
  for (const auto& p : result.probes) CHECK(p.state == ProbeState::seen);
  REQUIRE(result.load.size() == 2);
  // The serving server: each name asked once (its answers refund their tokens).
  CHECK(result.load[1].queries == kNames);
  CHECK(result.load[1].finished == kNames);
  CHECK(serving.log().size() == kNames);

  // The lagging one: kLag "not yet" answers, then each name exactly once more.
  const auto log = lagging.log();
  REQUIRE(log.size() == kLag + kNames);
  CHECK(result.load[0].queries == kLag + kNames);
  CHECK(result.load[0].finished == kNames);
  CHECK(result.load[0].held > 0);
  // Round robin: the first kNames questions are kNames different names.
  std::set<std::string> first_round;
  for (std::size_t i = 0; i < kNames; ++i) first_round.insert(log[i].name);
  CHECK(first_round.size() == kNames);
  // The budget: kLag - burst tokens come at 100/s, so the "not yet" answers span about
  // (kLag - burst) / 100 s, however fast the machine (a slow one only makes it longer). Five
  // tokens of slack: the first query reaches the server a few ms after the bucket starts.
  // Without a budget the span is ~40 ms.
  const auto span = log[kLag - 1].at - log[0].at;
  CHECK(span >= std::chrono::milliseconds((kLag - 10 - 5) * 10));
  // Once served, no name is asked twice.
  std::set<std::string> after;
  for (std::size_t i = kLag; i < log.size(); ++i) {
    CHECK(log[i].served);
    after.insert(log[i].name);
  }
  CHECK(after.size() == kNames);
}

TEST_CASE("wait at scale: a server serving one name of the zone gets the zone's other pending "
          "names asked at once, not on their turn", "[propagation][budget]") {
  constexpr std::size_t kNames = 20;
  LaggingZone zone;
  zone.lag_queries = 10;  // the first round's 11th question sees the new zone
  FakeDnsServer server([&](const DnsQuery& q) { return zone(q); });
  CheckOptions options;
  options.timeout = 60s;
  options.queries_per_second = 20;  // the first round takes about a second
  options.burst = 1;
  options.min_interval = options.max_interval = 30s;  // a name's next turn: 30 s later
  Transport t(fast());
  auto result = run_probes(t, probes_for(server, kNames), options);
  REQUIRE(result.ok);
  CHECK(result.load[0].queries == 10 + kNames);
  // Names 0-9 answered "not yet" in the first round; without the sweep they would wait for
  // their next turn 30 s later (a bound with wide slack for a loaded machine, not a timing target).
  CHECK(result.elapsed < 20s);
}

TEST_CASE("wait: one or two names are never held back by the default budget",
          "[propagation][budget]") {
  LaggingZone zone;
  zone.lag_queries = 70;  // more than the burst: the bucket must refill, yet nothing is held
  FakeDnsServer server([&](const DnsQuery& q) { return zone(q); });
  CheckOptions options;  // defaults: 50/s, burst 40
  options.timeout = 20s;
  Transport t(fast());
  auto result = run_probes(t, probes_for(server, 2), options);
  REQUIRE(result.ok);
  CHECK(result.load[0].held == 0);
  CHECK(result.load[0].queries == 72);
  CHECK(result.load[0].rate == 50);
}

TEST_CASE("wait: dropped UDP answers slow the server down; every name still completes",
          "[propagation][budget]") {
  constexpr std::size_t kNames = 6;
  LaggingZone zone;
  zone.lag_queries = 12;
  zone.drop_udp_first = true;  // like an RRL dropping answers: each name's first UDP query
  FakeDnsServer server([&](const DnsQuery& q) { return zone(q); });
  CheckOptions options;
  options.timeout = 20s;
  Transport t(fast());
  auto result = run_probes(t, probes_for(server, kNames), options);
  REQUIRE(result.ok);
  const auto& load = result.load[0];
  CHECK(load.udp_timeouts == kNames);
  CHECK(load.backoffs >= 1);
  CHECK(load.rate < 50);
  for (const auto& p : result.probes) CHECK(p.state == ProbeState::seen);
}

TEST_CASE("wait at scale: with names appearing one transfer at a time the budget still holds "
          "(a sweep's misses are charged)", "[propagation][budget]") {
  constexpr std::size_t kNames = 40;
  LaggingZone zone;
  zone.one_by_one = true;
  FakeDnsServer server([&](const DnsQuery& q) { return zone(q); });
  CheckOptions options;
  options.timeout = 30s;
  options.queries_per_second = 100;
  options.burst = 10;
  Transport t(fast());
  auto result = run_probes(t, probes_for(server, kNames), options);
  REQUIRE(result.ok);
  // Every name once when served, the budget for the "not yet"s, one sweep's misses of slack.
  // Sweeps sent for free and never charged would cost up to ~kNames^2 / 2 = 800 queries.
  const double seconds = std::chrono::duration<double>(result.elapsed).count();
  CHECK(result.load[0].queries <= kNames + 10 + 100 * seconds + kNames);
}
