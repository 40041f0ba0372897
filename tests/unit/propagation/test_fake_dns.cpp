// The scripted fake DNS server checks itself: the other propagation tests rely on it.
#include <catch2/catch.hpp>

#include "dns/fake_dns_server.hpp"
#include "dns01/propagation/transport.hpp"

using namespace dns01::propagation;
using dns01::test::DnsQuery;
using dns01::test::FakeDnsServer;
using dns01::test::StaticZone;

TEST_CASE("fake dns: StaticZone answers, NXDOMAIN, NODATA and REFUSED like an authority",
          "[propagation]") {
  StaticZone zone("example.test");
  zone.add("example.test. 60 IN SOA ns1.example.test. admin.example.test. 7 60 60 600 30")
      .add("www.example.test. 60 IN A 127.0.0.1");
  FakeDnsServer server(zone);
  Transport t;
  auto ask = [&](const char* name, std::uint16_t type) {
    auto r = query_once(t, Query{*make_address(server.ip(), server.port()), Question{name, type}, true});
    REQUIRE(r.status == QueryResult::Status::reply);
    return *r.reply;
  };
  auto a = ask("www.example.test", rrtype::A);
  CHECK(a.aa);
  REQUIRE(a.answer.size() == 1);
  CHECK(a.answer[0].data == "127.0.0.1");
  auto nodata = ask("www.example.test", rrtype::TXT);
  CHECK(nodata.rcode == rcode::noerror);
  CHECK(nodata.answer.empty());
  REQUIRE(nodata.authority.size() == 1);
  CHECK(nodata.authority[0].soa_serial == 7);
  CHECK(ask("nope.example.test", rrtype::TXT).rcode == rcode::nxdomain);
  auto outside = ask("example.org", rrtype::SOA);
  CHECK(outside.rcode == rcode::refused);
  CHECK_FALSE(outside.aa);
  REQUIRE(server.queries().size() == 4);
  CHECK(server.queries()[0].rd);
  CHECK(server.count("www.example.test", rrtype::A, false) == 1);
}
