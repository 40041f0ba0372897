// Zone discovery, CNAME following and NS sets against scripted bootstrap servers.
#include <catch2/catch.hpp>

#include "dns/fake_dns_server.hpp"
#include "dns01/error.hpp"
#include "dns01/propagation/discovery.hpp"

using namespace dns01::propagation;
using dns01::test::DnsAction;
using dns01::test::DnsQuery;
using dns01::test::FakeDnsServer;
using dns01::test::StaticZone;

namespace {

const std::string kSoa = "example.test. 60 IN SOA ns1.example.test. admin.example.test. 1 60 60 600 30";
const std::string kOtherSoa = "other.test. 60 IN SOA ns1.other.test. admin.other.test. 1 60 60 600 30";

TransportOptions fast() {
  TransportOptions o;
  o.udp_timeout = std::chrono::milliseconds(100);
  o.tcp_timeout = std::chrono::milliseconds(300);
  return o;
}

DiscoveryOptions via(const std::vector<const FakeDnsServer*>& servers) {
  DiscoveryOptions d;
  for (const auto* s : servers) d.bootstrap.push_back(*make_address(s->ip(), s->port()));
  d.recursion_desired = false;
  return d;
}

std::size_t total(const FakeDnsServer& s) { return s.queries().size(); }

}  // namespace

TEST_CASE("zone walk: the authority SOA of an NXDOMAIN ends the walk at once", "[propagation]") {
  StaticZone zone("example.test");
  zone.add(kSoa);
  FakeDnsServer server(zone);
  Transport t(fast());
  Discovery d(t, via({&server}));
  CHECK(d.find_zone("_acme-challenge.www.example.test") == "example.test");
  CHECK(server.count("_acme-challenge.www.example.test", rrtype::SOA) == 1);
  CHECK(total(server) == 1);
}

TEST_CASE("zone walk: NODATA with an authority SOA", "[propagation]") {
  StaticZone zone("example.test");
  zone.add(kSoa).add("www.example.test. 60 IN A 127.0.0.1");
  FakeDnsServer server(zone);
  Transport t(fast());
  Discovery d(t, via({&server}));
  CHECK(d.find_zone("www.example.test") == "example.test");
  CHECK(total(server) == 1);
}

TEST_CASE("zone walk: SERVFAIL and REFUSED at a label continue upwards", "[propagation]") {
  FakeDnsServer server([](const DnsQuery& q) {
    if (q.name == "a.b.example.test") return DnsAction{.rcode = 2};
    if (q.name == "b.example.test") return DnsAction{.rcode = 5};
    if (q.name == "example.test") return DnsAction{.answer = {kSoa}};
    return DnsAction{.rcode = 5};
  });
  Transport t(fast());
  Discovery d(t, via({&server}));
  CHECK(d.find_zone("a.b.example.test") == "example.test");
  CHECK(total(server) == 3);
}

TEST_CASE("zone walk: a failing bootstrap server is skipped for the next", "[propagation]") {
  FakeDnsServer refusing([](const DnsQuery&) { return DnsAction{.rcode = 5}; });
  StaticZone zone("example.test");
  zone.add(kSoa);
  FakeDnsServer good(zone);
  Transport t(fast());
  Discovery d(t, via({&refusing, &good}));
  CHECK(d.find_zone("_acme-challenge.example.test") == "example.test");
  CHECK(total(refusing) == 1);
  CHECK(total(good) == 1);
}

TEST_CASE("zone walk: results are cached within a run", "[propagation]") {
  StaticZone zone("example.test");
  zone.add(kSoa);
  FakeDnsServer server(zone);
  Transport t(fast());
  Discovery d(t, via({&server}));
  CHECK(d.resolve("_acme-challenge.example.test").zone == "example.test");
  const auto after_first = total(server);
  CHECK(d.resolve("_acme-challenge.example.test").zone == "example.test");
  CHECK(d.find_zone("_acme-challenge.example.test") == "example.test");
  CHECK(total(server) == after_first);
}

TEST_CASE("zone walk: no SOA up to the root is an error naming the servers", "[propagation]") {
  FakeDnsServer server([](const DnsQuery&) { return DnsAction{.rcode = 5}; });
  Transport t(fast());
  Discovery d(t, via({&server}));
  try {
    d.find_zone("x.example.test");
    FAIL("no exception");
  } catch (const dns01::PropagationError& e) {
    CHECK_THAT(e.what(), Catch::Contains(server.endpoint()) && Catch::Contains("REFUSED"));
  }
  CHECK(total(server) == 4);  // x.example.test, example.test, test, then the root
}

TEST_CASE("CNAME: a chain into another zone is followed and its zone found", "[propagation]") {
  StaticZone example("example.test"), other("other.test");
  example.add(kSoa).add("_acme-challenge.example.test. 60 IN CNAME a.other.test.");
  other.add(kOtherSoa).add("a.other.test. 60 IN CNAME _acme-challenge.other.test.");
  FakeDnsServer server([&](const DnsQuery& q) {
    return q.name.ends_with("other.test") ? other(q) : example(q);
  });
  Transport t(fast());
  Discovery d(t, via({&server}));
  auto target = d.resolve("_acme-challenge.example.test");
  CHECK(target.effective_name == "_acme-challenge.other.test");
  CHECK(target.zone == "other.test");
  CHECK(target.cname_chain == std::vector<std::string>{"_acme-challenge.example.test",
                                                       "a.other.test", "_acme-challenge.other.test"});
}

TEST_CASE("CNAME: a whole chain in one answer (recursive resolver style)", "[propagation]") {
  FakeDnsServer server([](const DnsQuery& q) {
    if (q.type == rrtype::TXT && q.name == "_acme-challenge.example.test")
      return DnsAction{.rcode = 3,
                       .answer = {"_acme-challenge.example.test. 60 IN CNAME b.example.test.",
                                  "b.example.test. 60 IN CNAME c.example.test."},
                       .authority = {kSoa}};
    return DnsAction{.rcode = 3, .authority = {kSoa}};
  });
  Transport t(fast());
  Discovery d(t, via({&server}));
  CHECK(d.follow_cnames("_acme-challenge.example.test") == "c.example.test");
  CHECK(server.count("c.example.test", rrtype::TXT) == 0);  // NXDOMAIN at the end: done
}

TEST_CASE("CNAME: loops and over-long chains are errors", "[propagation]") {
  SECTION("loop") {
    StaticZone zone("example.test");
    zone.add(kSoa)
        .add("a.example.test. 60 IN CNAME b.example.test.")
        .add("b.example.test. 60 IN CNAME a.example.test.");
    FakeDnsServer server(zone);
    Transport t(fast());
    Discovery d(t, via({&server}));
    CHECK_THROWS_WITH(d.follow_cnames("a.example.test"), Catch::Contains("CNAME loop"));
  }
  SECTION("17 hops") {
    StaticZone zone("example.test");
    zone.add(kSoa);
    for (int i = 0; i < 17; ++i)
      zone.add("h" + std::to_string(i) + ".example.test. 60 IN CNAME h" + std::to_string(i + 1) +
               ".example.test.");
    FakeDnsServer server(zone);
    Transport t(fast());
    Discovery d(t, via({&server}));
    CHECK_THROWS_WITH(d.follow_cnames("h0.example.test"), Catch::Contains("more than 16"));
    CHECK(d.follow_cnames("h1.example.test") == "h17.example.test");  // exactly 16 is fine
  }
}

TEST_CASE("NS set: glue first, then A/AAAA lookups, with the configured port", "[propagation]") {
  StaticZone zone("example.test");
  zone.add(kSoa)
      .add("example.test. 60 IN NS ns1.example.test.")
      .add("example.test. 60 IN NS ns2.example.test.")
      .add("ns2.example.test. 60 IN A 127.0.0.2")
      .add("ns2.example.test. 60 IN AAAA ::1");
  FakeDnsServer server([&](const DnsQuery& q) {
    auto a = zone(q);
    if (q.type == rrtype::NS) a.additional = {"ns1.example.test. 60 IN A 127.0.0.1"};
    return a;
  });
  Transport t(fast());
  auto options = via({&server});
  options.nameserver_port = 5300;
  Discovery d(t, options);
  const auto& servers = d.authoritative_servers("example.test");
  REQUIRE(servers.size() == 3);
  CHECK(servers[0].label() == "ns1.example.test (127.0.0.1:5300)");
  CHECK(servers[1].label() == "ns2.example.test (127.0.0.2:5300)");
  CHECK(servers[2].label() == "ns2.example.test ([::1]:5300)");
  CHECK(server.count("ns1.example.test", rrtype::A) == 0);  // glue was enough
  CHECK(server.count("ns2.example.test", rrtype::A) == 1);
  d.authoritative_servers("example.test");
  CHECK(server.count("example.test", rrtype::NS) == 1);  // cached
}

TEST_CASE("NS set: a zone without NS records is an error", "[propagation]") {
  StaticZone zone("example.test");
  zone.add(kSoa);
  FakeDnsServer server(zone);
  Transport t(fast());
  Discovery d(t, via({&server}));
  CHECK_THROWS_WITH(d.authoritative_servers("example.test"), Catch::Contains("no NS records"));
}
