// Zone routing: longest suffix, label-wise, case-insensitive, one owner per zone.
#include <catch2/catch.hpp>

#include "dns01/plugins/routing.hpp"

using namespace dns01;
using namespace dns01::plugins;

namespace {

ProviderInstanceConfig table(std::string name, std::vector<std::string> zones) {
  ProviderInstanceConfig c;
  c.name = std::move(name);
  c.type = "rfc2136";
  c.zones = std::move(zones);
  c.where = {"dns01.toml", 3, 1};
  return c;
}

}  // namespace

TEST_CASE("name_in_zone compares whole labels", "[plugins][routing]") {
  CHECK(name_in_zone("_acme-challenge.example.com", "example.com"));
  CHECK(name_in_zone("example.com", "example.com"));
  CHECK(name_in_zone("_acme-challenge.Example.COM.", "example.com."));
  CHECK(name_in_zone("anything.at.all", ""));
  CHECK_FALSE(name_in_zone("_acme-challenge.myexample.com", "example.com"));
  CHECK_FALSE(name_in_zone("example.com", "sub.example.com"));
  CHECK_FALSE(name_in_zone("com", "example.com"));
}

TEST_CASE("the longest matching zone wins, whatever the table order", "[plugins][routing]") {
  ZoneRouter router({table("outer", {"example.com"}), table("deep", {"a.b.example.com"}),
                     table("middle", {"b.example.com", "example.net"})});
  auto route = [&](const char* name) {
    auto r = router.route(name);
    return r ? std::to_string(r->instance) + ":" + r->zone : std::string("none");
  };
  CHECK(route("_acme-challenge.x.a.b.example.com") == "1:a.b.example.com");
  CHECK(route("_acme-challenge.a.b.example.com") == "1:a.b.example.com");
  CHECK(route("_acme-challenge.b.example.com") == "2:b.example.com");
  CHECK(route("_acme-challenge.xb.example.com") == "0:example.com");
  CHECK(route("_acme-challenge.EXAMPLE.NET.") == "2:example.net");
  CHECK(route("_acme-challenge.example.org") == "none");
  CHECK(router.describe() == "a.b.example.com (deep), b.example.com (middle), "
                             "example.com (outer), example.net (middle)");
}

TEST_CASE("two instances of one type can split zones", "[plugins][routing]") {
  ZoneRouter router({table("dc1", {"dc1.example.com"}), table("dc2", {"dc2.example.com"})});
  CHECK(router.route("_acme-challenge.www.dc2.example.com")->instance == 1);
  CHECK(router.route("_acme-challenge.dc1.example.com")->instance == 0);
}

TEST_CASE("a zone claimed by two tables is a located config error", "[plugins][routing]") {
  try {
    ZoneRouter router({table("one", {"example.com"}), table("two", {"Example.com."})});
    FAIL("accepted an ambiguous zone");
  } catch (const ConfigError& e) {
    REQUIRE(e.issues().size() == 1);
    CHECK(e.issues()[0].line == 3);
    CHECK(e.issues()[0].message ==
          "zone 'example.com' is listed by both [providers.one] and [providers.two]; a zone "
          "belongs to one provider");
  }
}
