// provider-rfc2136.so against the scripted fake DNS server (tests/support/dns): what each reply
// of a real server (BIND, Knot DNS, PowerDNS) becomes for the user, word for word. The module is
// loaded through the real loader, so the texts are exactly what `dns01 issue` prints.
#include <catch2/catch.hpp>

#include "dns/fake_dns_server.hpp"
#include "dns/fake_update_zone.hpp"
#include "load_support.hpp"

using namespace dns01;
using namespace dns01::plugins;
using dns01::test::DnsAction;
using dns01::test::DnsQuery;
using dns01::test::FakeDnsServer;
using dns01::test::UpdatableZone;

namespace {

constexpr const char* kKey = "dns01-acme";
constexpr const char* kSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I=";
constexpr const char* kOtherSecret = "b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItb3Q=";
constexpr const char* kName = "_acme-challenge.example.test";
constexpr int kOpcodeUpdate = 5;
constexpr std::uint16_t kTypeSoa = 6, kTypeTxt = 16;

// A primary for example.test that requires the TSIG key dns01-acme, like the e2e sandbox's BIND.
struct Primary {
  UpdatableZone zone{"example.test"};
  FakeDnsServer dns{zone.handler()};
  Primary() {
    dns.set_tsig_key({kKey, "hmac-sha256", kSecret});
    zone.require_key(kKey, "hmac-sha256");
  }
  // Answers UPDATEs with `reply`; queries still come from the zone.
  void on_update(std::function<DnsAction(const DnsQuery&)> reply) {
    dns.set_handler([this, reply](const DnsQuery& q) {
      return q.opcode == kOpcodeUpdate ? reply(q) : zone(q);
    });
  }
  std::size_t updates(bool tcp) const { return dns.count("example.test", kTypeSoa, tcp); }
};

ProviderSet load_for(const Primary& primary, std::map<std::string, ProviderScalar> settings = {},
                     bool keyed = true) {
  std::map<std::string, ProviderScalar> all = {{"server", primary.dns.endpoint()},
                                               {"timeout", std::string("2s")}};
  if (keyed) {
    all["key_name"] = std::string(kKey);
    all["secret"] = std::string(kSecret);
  }
  for (auto& [key, value] : settings) all[key] = value;
  return rfc2136_test::load(rfc2136_test::table(all));
}

provider::TxtRecord record(std::string name = kName, std::string value = "token") {
  provider::TxtRecord r;
  r.name = std::move(name);
  r.value = std::move(value);
  return r;
}

Error add_error(ProviderSet& set, const provider::TxtRecord& r = record()) {
  try {
    set.at(0).add(r);
  } catch (const Error& e) {
    return e;
  }
  FAIL("the add succeeded");
  return Error(ErrorCategory::internal, "", "", "");
}

}  // namespace

TEST_CASE("rfc2136: a signed add and remove change exactly one value, replies verified",
          "[provider][rfc2136]") {
  Primary primary;
  primary.zone.add(std::string(kName) + ". 300 IN TXT \"unrelated\"");
  auto set = load_for(primary);
  set.at(0).add(record(kName, "apex"));
  set.at(0).add(record(kName, "wildcard"));
  CHECK(primary.zone.txt(kName) == std::vector<std::string>{"unrelated", "apex", "wildcard"});
  set.at(0).remove(record(kName, "apex"));
  set.at(0).remove(record(kName, "apex"));  // already gone: still a success
  CHECK(primary.zone.txt(kName) == std::vector<std::string>{"unrelated", "wildcard"});
  for (const auto& q : primary.dns.queries()) {
    if (q.opcode != kOpcodeUpdate) continue;
    REQUIRE(q.tsig);
    CHECK(q.tsig->key_name == kKey);
    CHECK(q.tsig->verified);
  }
  CHECK(primary.zone.applied() == 4);
}

TEST_CASE("rfc2136: a batch is one UPDATE per zone, and every value is confirmed",
          "[provider][rfc2136]") {
  Primary primary;
  auto set = load_for(primary, {{"zone", std::string("example.test")}});
  set.at(0).add_all({record("_acme-challenge.a.example.test", "1"),
                     record("_acme-challenge.b.example.test", "2"), record(kName, "3")});
  CHECK(primary.updates(false) == 1);
  CHECK(primary.zone.txt("_acme-challenge.b.example.test") == std::vector<std::string>{"2"});
  CHECK(primary.dns.count("_acme-challenge.a.example.test", kTypeTxt) == 1);
}

TEST_CASE("rfc2136: BADTIME names the clocks", "[provider][rfc2136]") {
  Primary primary;
  primary.on_update([](const DnsQuery&) { return DnsAction{.rcode = 9, .tsig_error = 18}; });
  auto set = load_for(primary);
  const Error e = add_error(set);
  CHECK(e.category() == ErrorCategory::provider);
  CHECK(e.component() == "rfc2136[internal]");
  CHECK(e.step() == "add TXT _acme-challenge.example.test");
  CHECK(e.cause() == primary.dns.endpoint() +
                         " answered NOTAUTH with TSIG error BADTIME (unsigned): the clocks of this "
                         "host and the server differ by more than the TSIG fudge (300 s)");
  CHECK(e.hint() == "synchronise the clocks of this host and of the server (NTP)");
}

TEST_CASE("rfc2136: NOTAUTH + BADKEY (unknown key, or a Knot ACL) names both causes",
          "[provider][rfc2136]") {
  Primary primary;
  auto expected = [](const std::string& key) {
    return " answered NOTAUTH with TSIG error BADKEY (unsigned): the server does not accept key " +
           key +
           " for zone example.test: it knows no key of that name and algorithm, or (Knot DNS) "
           "its ACL does not let that key update the zone";
  };
  const std::string hint =
      "check key_name and algorithm against the server's key definition, and that the zone's "
      "update policy or Knot acl names the key";
  SECTION("a key name the server does not know (BIND)") {
    auto set = load_for(primary, {{"key_name", std::string("no-such-key")}});
    const Error e = add_error(set);
    CHECK(e.cause() == primary.dns.endpoint() + expected("no-such-key"));
    CHECK(e.hint() == hint);
    CHECK(primary.zone.applied() == 0);
  }
  SECTION("the key's algorithm differs from the server's") {
    auto set = load_for(primary, {{"algorithm", std::string("hmac-sha512")}});
    const Error e = add_error(set);
    CHECK(e.cause().starts_with(primary.dns.endpoint() +
                                " answered NOTAUTH with TSIG error BADKEY (unsigned): the server "
                                "does not accept key dns01-acme for zone example.test"));
  }
  SECTION("a known key refused by an ACL, as Knot DNS answers it") {
    primary.on_update([](const DnsQuery&) { return DnsAction{.rcode = 9, .tsig_error = 17}; });
    auto set = load_for(primary);
    const Error e = add_error(set);
    CHECK(e.cause() == primary.dns.endpoint() + expected("dns01-acme"));
    CHECK(e.hint() == hint);
  }
}

TEST_CASE("rfc2136: NOTAUTH + BADSIG says the secret differs", "[provider][rfc2136]") {
  Primary primary;
  auto set = load_for(primary, {{"secret", std::string(kOtherSecret)}});
  const Error e = add_error(set);
  CHECK(e.category() == ErrorCategory::provider);
  CHECK(e.cause() == primary.dns.endpoint() +
                         " answered NOTAUTH with TSIG error BADSIG (unsigned): the server knows "
                         "key dns01-acme but the signature does not match: the secret differs "
                         "from the server's");
  CHECK(e.hint() ==
        "copy the secret again from the server's key definition, and check that algorithm "
        "matches it");
  CHECK((e.cause() + e.hint()).find(kOtherSecret) == std::string::npos);
}

TEST_CASE("rfc2136: an unsigned REFUSED (PowerDNS, wrong key) is not blamed on the policy",
          "[provider][rfc2136]") {
  Primary primary;
  primary.on_update([](const DnsQuery&) { return DnsAction{.rcode = 5}; });
  auto set = load_for(primary);
  const Error e = add_error(set);
  CHECK(e.cause() == primary.dns.endpoint() +
                         " answered REFUSED (unsigned): the server did not accept key dns01-acme "
                         "(PowerDNS refuses a wrong key name or secret this way), or it takes no "
                         "updates to zone example.test from this host");
  CHECK(e.hint() ==
        "check key_name, algorithm and secret against the server's key; for PowerDNS, the "
        "zone's TSIG-ALLOW-DNSUPDATE metadata must name the key and allow-dnsupdate-from this "
        "host");
}

TEST_CASE("rfc2136: a signed REFUSED is the update policy", "[provider][rfc2136]") {
  Primary primary;
  primary.on_update([](const DnsQuery&) { return DnsAction{.rcode = 5, .sign = true}; });
  auto set = load_for(primary);
  const Error e = add_error(set, record("www.example.test"));
  CHECK(e.cause() == primary.dns.endpoint() +
                         " answered REFUSED: its update policy does not let key dns01-acme change "
                         "TXT www.example.test");
  CHECK(e.hint() ==
        "grant the key TXT updates for _acme-challenge names (BIND update-policy, Knot acl: see "
        "docs/providers/rfc2136.md), and check that server is the primary");
}

TEST_CASE("rfc2136: an unsigned update refused asks for a key", "[provider][rfc2136]") {
  Primary primary;  // requires the key; this provider has none
  auto set = load_for(primary, {}, false);
  const Error e = add_error(set);
  CHECK(e.cause() == primary.dns.endpoint() +
                         " answered REFUSED: the server takes no unsigned updates for "
                         "_acme-challenge.example.test from this host");
  CHECK(e.hint() ==
        "set key_name and secret_file to a TSIG key the server lets change TXT at "
        "_acme-challenge.example.test");
}

TEST_CASE("rfc2136: NOTAUTH for a zone the server does not serve names the zone",
          "[provider][rfc2136]") {
  SECTION("the server knows the name's real zone") {
    Primary primary;
    auto set = load_for(primary, {{"zone", std::string("test")}});
    const Error e = add_error(set);
    CHECK(e.cause() == primary.dns.endpoint() +
                           " answered NOTAUTH (unsigned): the zone of "
                           "_acme-challenge.example.test is example.test, not test");
    CHECK(e.hint() ==
          "set zone = \"example.test\" in [providers.internal], or remove zone to let dns01 ask "
          "the server");
  }
  SECTION("the server serves nothing that holds the name") {
    UpdatableZone other("other.test");
    FakeDnsServer dns(other.handler());
    auto set = rfc2136_test::load(rfc2136_test::table(
        {{"server", dns.endpoint()}, {"zone", std::string("example.test")}}));
    const Error e = add_error(set);
    CHECK(e.cause() == dns.endpoint() + " answered NOTAUTH: it does not serve the zone example.test");
    CHECK(e.hint() ==
          "point server at the primary of the zone holding _acme-challenge.example.test, or set "
          "zone in [providers.internal]");
  }
}

TEST_CASE("rfc2136: NOTIMP and SERVFAIL are the server's", "[provider][rfc2136]") {
  Primary primary;
  SECTION("NOTIMP") {
    primary.on_update([](const DnsQuery&) { return DnsAction{.rcode = 4}; });
    auto set = load_for(primary);
    const Error e = add_error(set);
    CHECK(e.cause() == primary.dns.endpoint() +
                           " answered NOTIMP (unsigned): it does not take updates for zone "
                           "example.test");
    CHECK(e.hint() ==
          "send updates to the zone's primary server (a secondary, or a server with updates "
          "turned off, answers NOTIMP)");
  }
  SECTION("SERVFAIL") {
    primary.on_update([](const DnsQuery&) { return DnsAction{.rcode = 2, .sign = true}; });
    auto set = load_for(primary);
    const Error e = add_error(set);
    CHECK(e.cause() == primary.dns.endpoint() +
                           " answered SERVFAIL: it could not apply the update to zone example.test");
    CHECK(e.hint() == "look at the server's log (zone not loaded, journal not writable)");
  }
}

TEST_CASE("rfc2136: a NOERROR that is not signed by the key is refused (security check)",
          "[provider][rfc2136]") {
  Primary primary;
  const std::string hint =
      "check key name and secret; the reply may come from something impersonating the server: "
      "check the network path to it";
  SECTION("unsigned") {
    primary.on_update([](const DnsQuery&) { return DnsAction{.rcode = 0}; });
    auto set = load_for(primary);
    const Error e = add_error(set);
    CHECK(e.category() == ErrorCategory::provider);
    CHECK(e.cause() == primary.dns.endpoint() +
                           " answered NOERROR but its reply is not signed, so nothing proves the "
                           "server applied the update");
    CHECK(e.hint() == hint);
  }
  SECTION("signed with another secret") {
    primary.dns.set_tsig_key({kKey, "hmac-sha256", kOtherSecret});
    primary.on_update([](const DnsQuery&) { return DnsAction{.rcode = 0, .sign = true}; });
    auto set = load_for(primary);
    CHECK(add_error(set).cause() ==
          primary.dns.endpoint() +
              " answered NOERROR but its reply has a TSIG signature that does not verify, so "
              "nothing proves the server applied the update");
  }
  SECTION("without a key, an unsigned NOERROR is the normal answer") {
    UpdatableZone open("example.test");
    FakeDnsServer dns(open.handler());
    auto set = rfc2136_test::load(rfc2136_test::table({{"server", dns.endpoint()}}));
    set.at(0).add(record());
    CHECK(open.txt(kName) == std::vector<std::string>{"token"});
  }
}

TEST_CASE("rfc2136: a truncated UDP reply is asked again over TCP", "[provider][rfc2136]") {
  Primary primary;
  primary.on_update([&](const DnsQuery& q) {
    return q.tcp ? primary.zone(q) : DnsAction{.tc = true};
  });
  auto set = load_for(primary);
  set.at(0).add(record());
  CHECK(primary.updates(false) == 1);
  CHECK(primary.updates(true) == 1);
  CHECK(primary.zone.txt(kName) == std::vector<std::string>{"token"});
}

TEST_CASE("rfc2136: a reply with another ID is not taken as the answer", "[provider][rfc2136]") {
  Primary primary;
  primary.on_update([](const DnsQuery&) { return DnsAction{.rcode = 0, .wrong_id = true}; });
  auto set = load_for(primary);
  const Error e = add_error(set);
  CHECK(e.category() == ErrorCategory::provider);
  CHECK(e.step() == "send UPDATE for zone example.test to " + primary.dns.endpoint());
  CHECK(e.cause() == "the reply does not answer our message (ID mismatch)");
  CHECK(e.hint() ==
        "something between this host and the server answers in its place; try tcp = true");
}

TEST_CASE("rfc2136: NOERROR without the record served fails fast (PowerDNS Lua policy)",
          "[provider][rfc2136]") {
  Primary primary;
  primary.zone.drop_updates(true);
  auto set = load_for(primary);
  const Error e = add_error(set);
  CHECK(e.category() == ErrorCategory::provider);
  CHECK(e.cause() == "the server accepted the update but does not serve the record: " +
                         primary.dns.endpoint() +
                         " answered NOERROR, then 4 TXT queries over 1.5 s did not find the value "
                         "at _acme-challenge.example.test");
  CHECK(e.hint() ==
        "the server dropped the change after accepting it: PowerDNS with a Lua update policy "
        "(lua-dnsupdate-policy-script) does this for changes the script refuses; let it accept "
        "TXT at _acme-challenge names, or look at the server's log");
  CHECK(primary.dns.count(kName, kTypeTxt) == 4);
}

TEST_CASE("rfc2136: a primary that refuses queries does not fail the add", "[provider][rfc2136]") {
  // A hidden primary may answer UPDATEs but refuse queries from this host: the confirmation is
  // then left to the host's propagation check.
  Primary primary;
  primary.dns.set_handler([&](const DnsQuery& q) {
    return q.opcode == kOpcodeUpdate ? primary.zone(q) : DnsAction{.rcode = 5, .aa = false};
  });
  auto set = load_for(primary, {{"zone", std::string("example.test")}});
  set.at(0).add(record());
  CHECK(primary.zone.txt(kName) == std::vector<std::string>{"token"});
  CHECK(primary.dns.count(kName, kTypeTxt) == 1);
}
