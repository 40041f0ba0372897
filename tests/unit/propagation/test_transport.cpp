// The non-blocking transport against the scripted fake server: fallbacks, decoys, errors.
#include <catch2/catch.hpp>

#include <set>

#include "dns/fake_dns_server.hpp"
#include "dns01/propagation/transport.hpp"

using namespace dns01::propagation;
using dns01::test::DnsAction;
using dns01::test::DnsQuery;
using dns01::test::FakeDnsServer;

namespace {

const char* kName = "_acme-challenge.example.test";
const std::string kTxt = "_acme-challenge.example.test. 60 IN TXT \"token\"";

Query txt_query(const FakeDnsServer& server) {
  return Query{*make_address(server.ip(), server.port()), Question{kName, rrtype::TXT}, false};
}

TransportOptions fast() {
  TransportOptions o;
  o.udp_timeout = std::chrono::milliseconds(100);
  o.tcp_timeout = std::chrono::milliseconds(300);
  return o;
}

}  // namespace

TEST_CASE("transport: a plain UDP answer", "[propagation]") {
  FakeDnsServer server([](const DnsQuery&) { return DnsAction{.answer = {kTxt}}; });
  Transport t(fast());
  auto r = query_once(t, txt_query(server));
  REQUIRE(r.status == QueryResult::Status::reply);
  CHECK_FALSE(r.tcp);
  CHECK(r.reply->txt(kName) == std::vector<std::string>{"token"});
  CHECK(server.count(kName, rrtype::TXT, false) == 1);
  CHECK(server.count(kName, rrtype::TXT, true) == 0);
  CHECK_FALSE(server.queries().front().rd);
}

TEST_CASE("transport: truncation moves to TCP", "[propagation]") {
  FakeDnsServer server([](const DnsQuery& q) {
    if (!q.tcp) return DnsAction{.tc = true};
    return DnsAction{.answer = {kTxt}};
  });
  Transport t(fast());
  auto r = query_once(t, txt_query(server));
  REQUIRE(r.status == QueryResult::Status::reply);
  CHECK(r.tcp);
  CHECK(r.reply->txt(kName) == std::vector<std::string>{"token"});
  CHECK(server.count(kName, rrtype::TXT, true) == 1);
  CHECK(t.packets_sent() == 2);
}

TEST_CASE("transport: a UDP timeout moves to TCP", "[propagation]") {
  FakeDnsServer server([](const DnsQuery& q) {
    if (!q.tcp) return DnsAction{.drop = true};
    return DnsAction{.answer = {kTxt}};
  });
  Transport t(fast());
  auto r = query_once(t, txt_query(server));
  REQUIRE(r.status == QueryResult::Status::reply);
  CHECK(r.tcp);
}

TEST_CASE("transport: silence on both transports is an error naming both", "[propagation]") {
  // The fake closes a TCP connection it does not answer.
  FakeDnsServer server([](const DnsQuery&) { return DnsAction{.drop = true}; });
  Transport t(fast());
  auto r = query_once(t, txt_query(server));
  CHECK(r.status == QueryResult::Status::error);
  CHECK_THAT(r.error, Catch::Contains("udp: timeout after 100 ms") &&
                          Catch::Contains("tcp: connection closed"));
}

TEST_CASE("transport: decoys with a wrong ID or question are ignored", "[propagation]") {
  FakeDnsServer server([](const DnsQuery&) {
    return DnsAction{.answer = {kTxt}, .wrong_id_decoy = true, .wrong_question_decoy = true};
  });
  Transport t(fast());
  auto r = query_once(t, txt_query(server));
  REQUIRE(r.status == QueryResult::Status::reply);
  CHECK_FALSE(r.tcp);
  CHECK(r.ignored == 2);
  CHECK_THAT(r.last_ignored, Catch::Contains("wrong ID or question"));
}

TEST_CASE("transport: malformed datagrams are ignored; only malformed ends in TCP", "[propagation]") {
  SECTION("garbage then the real reply") {
    FakeDnsServer server([](const DnsQuery&) {
      return DnsAction{.answer = {kTxt}, .before = {{1, 2, 3}, std::vector<std::uint8_t>(40, 0xff)}};
    });
    Transport t(fast());
    auto r = query_once(t, txt_query(server));
    REQUIRE(r.status == QueryResult::Status::reply);
    CHECK(r.ignored == 2);
    CHECK_THAT(r.last_ignored, Catch::Contains("malformed"));
  }
  SECTION("only garbage over UDP, a good answer over TCP") {
    FakeDnsServer server([](const DnsQuery& q) {
      if (!q.tcp) return DnsAction{.raw = std::vector<std::uint8_t>(30, 0xc0)};
      return DnsAction{.answer = {kTxt}};
    });
    Transport t(fast());
    auto r = query_once(t, txt_query(server));
    REQUIRE(r.status == QueryResult::Status::reply);
    CHECK(r.tcp);
  }
  SECTION("garbage over TCP is an error, not a crash") {
    FakeDnsServer server([](const DnsQuery& q) {
      if (!q.tcp) return DnsAction{.tc = true};
      return DnsAction{.raw = std::vector<std::uint8_t>(30, 0xc0)};
    });
    Transport t(fast());
    auto r = query_once(t, txt_query(server));
    CHECK(r.status == QueryResult::Status::error);
    CHECK_THAT(r.error, Catch::Contains("udp: truncated") && Catch::Contains("tcp: malformed"));
  }
}

TEST_CASE("transport: a closed port fails fast on both transports", "[propagation]") {
  std::uint16_t port = 0;
  {
    FakeDnsServer gone([](const DnsQuery&) { return DnsAction{}; });
    port = gone.port();
  }
  Transport t(fast());
  auto r = query_once(t, Query{*make_address("127.0.0.1", port), Question{kName, rrtype::TXT}, false});
  CHECK(r.status == QueryResult::Status::error);
  // ICMP port unreachable ends the UDP attempt: no UDP timeout was waited for.
  CHECK_THAT(r.error, Catch::Contains("udp: Connection refused") && Catch::Contains("tcp: Connection refused"));
}

TEST_CASE("transport: many queries in flight at once, random IDs", "[propagation]") {
  FakeDnsServer server([](const DnsQuery&) { return DnsAction{.answer = {kTxt}}; });
  Transport t(fast());
  int done = 0;
  for (int i = 0; i < 20; ++i)
    t.start(txt_query(server), [&](const QueryResult& r) {
      CHECK(r.status == QueryResult::Status::reply);
      ++done;
    });
  CHECK(t.active() == 20);
  while (done < 20) t.run_once(Clock::now() + std::chrono::seconds(1));
  std::set<std::uint16_t> ids;
  for (const auto& q : server.queries()) ids.insert(q.id);
  CHECK(ids.size() >= 15);  // 20 draws from 65536: collisions are rare
}

TEST_CASE("transport: addresses are IP literals only", "[propagation]") {
  CHECK(make_address("127.0.0.1", 53)->str() == "127.0.0.1:53");
  CHECK(make_address("::1", 5353)->str() == "[::1]:5353");
  CHECK(make_address("[::1]", 53)->ip == "::1");
  CHECK_FALSE(make_address("ns1.example.test", 53));
}
