// Pre-flight against a scripted primary (tests/support/dns UpdatableZone, TSIG like BIND) with the
// real provider-rfc2136.so: a canary is written, seen at the update source and removed whatever
// happens; a refused key, an update that never shows and an unreachable nameserver each stop
// exactly the names that need them.
#include <catch2/catch.hpp>

#include <csignal>
#include <optional>

#include "dns/fake_dns_server.hpp"
#include "dns/fake_update_zone.hpp"
#include "dns01/flow/preflight.hpp"
#include "dns01/log.hpp"
#include "dns01/signals.hpp"

using namespace dns01;
using namespace dns01::flow;
using namespace std::chrono_literals;
using dns01::test::DnsQuery;
using dns01::test::FakeDnsServer;
using dns01::test::UpdatableZone;

namespace {

constexpr const char* kKey = "dns01-preflight";
constexpr const char* kSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I=";
constexpr const char* kWrongSecret = "b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItb3Q=";
constexpr int kOpcodeUpdate = 5;

bool under(const std::string& name, const std::string& zone) {
  return name == zone || name.ends_with("." + zone);
}

// One primary serving two zones, alpha.test and beta.test, each requiring the TSIG key.
struct Primary {
  UpdatableZone alpha{"alpha.test"}, beta{"beta.test"};
  FakeDnsServer dns{[this](const DnsQuery& q) { return under(q.name, "beta.test") ? beta(q) : alpha(q); }};
  Primary() {
    dns.set_tsig_key({kKey, "hmac-sha256", kSecret});
    alpha.require_key(kKey, "hmac-sha256");
    beta.require_key(kKey, "hmac-sha256");
  }
};

ProviderInstanceConfig instance(const std::string& name, const std::string& zone, const Primary& primary,
                                const std::string& secret = kSecret) {
  ProviderInstanceConfig c;
  c.name = name;
  c.type = "rfc2136";
  c.zones = {zone};
  c.where = SourceLocation{"dns01.toml", 3, 1};
  const SourceLocation at{"dns01.toml", 4, 1};
  c.settings["server"] = ProviderValue{std::string(primary.dns.endpoint()), at, false};
  c.settings["key_name"] = ProviderValue{std::string(kKey), at, false};
  c.settings["secret"] = ProviderValue{secret, at, true};
  c.settings["timeout"] = ProviderValue{std::string("2s"), at, false};
  Redactor::global().add_secret(secret);
  return c;
}

PropagationSettings settings_for(const std::vector<std::uint16_t>& ports) {
  PropagationSettings s;
  for (auto port : ports) s.nameservers.push_back(Endpoint{"127.0.0.1", port});
  s.timeout = 5s;
  return s;
}

PreflightOptions options_for(const PropagationSettings& s, std::chrono::milliseconds canary = 2s) {
  PreflightOptions o;
  o.propagation = s;
  o.canary_timeout = canary;
  return o;
}

// A loopback port nothing listens on: a server bound to it and gone again.
std::uint16_t closed_port() {
  FakeDnsServer gone([](const DnsQuery&) { return dns01::test::DnsAction{}; });
  return gone.port();
}

const std::vector<std::string> kAlphaNames = {"_acme-challenge.web.alpha.test", "_acme-challenge.alpha.test"};
const std::vector<std::string> kBetaNames = {"_acme-challenge.db.beta.test"};

}  // namespace

TEST_CASE("pre-flight writes a canary, sees it at the primary and removes it", "[flow][preflight]") {
  Primary primary;
  auto providers = plugins::ProviderSet::load({instance("internal", "alpha.test", primary)});
  const auto s = settings_for({primary.dns.port()});
  propagation::Checker checker(s);
  auto result = preflight(providers, checker, kAlphaNames, options_for(s));
  INFO(result.to_json().dump(2));
  CHECK(result.ok());
  REQUIRE(result.instances.size() == 1);  // one canary per instance, however many names
  CHECK(result.instances[0].name == "internal");
  CHECK(result.instances[0].zone == "alpha.test");
  CHECK(result.instances[0].source == primary.dns.endpoint());
  REQUIRE(result.servers.size() == 1);
  CHECK(result.servers[0].ok);
  CHECK(result.instance_ok("internal"));
  CHECK_FALSE(result.instance_ok("other"));
  CHECK_FALSE(result.failure_for(kAlphaNames).has_value());
  CHECK(primary.alpha.applied() == 2);  // added, then removed
  CHECK(primary.alpha.txt("_acme-challenge.alpha.test").empty());
  // The canary was asked for at the primary until it was there.
  CHECK(primary.dns.count("_acme-challenge.alpha.test", 16) >= 1);
  auto j = result.to_json();
  CHECK(j["ok"] == true);
  CHECK(j["instances"][0]["name"] == "internal");
  CHECK(j["milliseconds"].get<long long>() >= 0);
}

TEST_CASE("pre-flight: a refused provider key stops only the names of that instance", "[flow][preflight]") {
  Primary primary;
  auto providers = plugins::ProviderSet::load(
      {instance("good", "alpha.test", primary), instance("refused", "beta.test", primary, kWrongSecret)});
  const auto s = settings_for({primary.dns.port()});
  propagation::Checker checker(s);
  std::vector<std::string> names = kAlphaNames;
  names.insert(names.end(), kBetaNames.begin(), kBetaNames.end());
  auto result = preflight(providers, checker, names, options_for(s));
  INFO(result.to_json().dump(2));
  CHECK_FALSE(result.ok());
  CHECK(result.instance_ok("good"));
  CHECK_FALSE(result.instance_ok("refused"));
  CHECK_FALSE(result.failure_for(kAlphaNames).has_value());
  auto why = result.failure_for(kBetaNames);
  REQUIRE(why.has_value());
  CHECK(why->find("provider instance 'refused'") != std::string::npos);
  CHECK(why->find("rfc2136[refused]") != std::string::npos);
  CHECK(why->find(kWrongSecret) == std::string::npos);
  CHECK(result.to_json().dump().find(kWrongSecret) == std::string::npos);
  CHECK(primary.beta.applied() == 0);
  CHECK(primary.alpha.txt("_acme-challenge.alpha.test").empty());
  CHECK(primary.beta.txt("_acme-challenge.beta.test").empty());
}

TEST_CASE("pre-flight: an update the primary accepts but never serves fails after the canary timeout",
          "[flow][preflight]") {
  Primary primary;
  primary.alpha.drop_updates(true);  // NOERROR without applying, like a refusing update policy
  auto providers = plugins::ProviderSet::load({instance("internal", "alpha.test", primary)});
  const auto s = settings_for({primary.dns.port()});
  propagation::Checker checker(s);
  auto result = preflight(providers, checker, kAlphaNames, options_for(s, 300ms));
  INFO(result.to_json().dump(2));
  REQUIRE(result.instances.size() == 1);
  CHECK_FALSE(result.instances[0].ok);
  // provider-rfc2136 asks its server itself after an UPDATE, so its own words come first;
  // providers that do not (cloud APIs) meet preflight's canary poll at the update source.
  CHECK(result.instances[0].error.find("rfc2136[internal]: add TXT _acme-challenge.alpha.test: the server "
                                       "accepted the update but does not serve the record") != std::string::npos);
  CHECK(result.instances[0].milliseconds >= 300);
  auto why = result.failure_for({"_acme-challenge.web.alpha.test"});
  REQUIRE(why.has_value());
  CHECK(why->find("'internal'") != std::string::npos);
}

TEST_CASE("pre-flight: an unreachable nameserver is named and stops the names of its zone", "[flow][preflight]") {
  Primary primary;
  auto providers = plugins::ProviderSet::load({instance("internal", "alpha.test", primary)});
  const std::uint16_t dead = closed_port();
  const auto s = settings_for({primary.dns.port(), dead});
  propagation::Checker checker(s);
  auto result = preflight(providers, checker, kAlphaNames, options_for(s));
  INFO(result.to_json().dump(2));
  CHECK_FALSE(result.ok());
  CHECK(result.instance_ok("internal"));  // the canary still went through the primary
  REQUIRE(result.servers.size() == 2);
  const std::string dead_label = "127.0.0.1:" + std::to_string(dead);
  for (const auto& server : result.servers) CHECK(server.ok == (server.server != dead_label));
  auto why = result.failure_for(kAlphaNames);
  REQUIRE(why.has_value());
  CHECK(why->find("nameserver " + dead_label + " of zone alpha.test") != std::string::npos);
  CHECK(primary.alpha.txt("_acme-challenge.alpha.test").empty());
}

TEST_CASE("pre-flight: a name no provider serves is reported, not thrown", "[flow][preflight]") {
  Primary primary;
  auto providers = plugins::ProviderSet::load({instance("internal", "alpha.test", primary)});
  const auto s = settings_for({primary.dns.port()});
  propagation::Checker checker(s);
  auto result = preflight(providers, checker, {"_acme-challenge.web.alpha.test", "_acme-challenge.db.beta.test"},
                          options_for(s));
  INFO(result.to_json().dump(2));
  REQUIRE(result.unplaced.size() == 1);
  CHECK(result.unplaced[0].record_name == "_acme-challenge.db.beta.test");
  CHECK_FALSE(result.failure_for({"_acme-challenge.web.alpha.test"}).has_value());
  auto why = result.failure_for({"_acme-challenge.DB.beta.test."});  // compared canonically
  REQUIRE(why.has_value());
  CHECK(why->find("_acme-challenge.db.beta.test") != std::string::npos);
  CHECK(result.instance_ok("internal"));
}

TEST_CASE("pre-flight: a stop request while the canary is out removes it, then interrupts", "[flow][preflight]") {
  Primary primary;
  // SIGTERM arrives the moment the primary receives the canary's UPDATE.
  primary.dns.set_handler([&primary](const DnsQuery& q) {
    if (q.opcode == kOpcodeUpdate && !q.update.empty() && q.update[0].rclass == 1) std::raise(SIGTERM);
    return primary.alpha(q);
  });
  auto providers = plugins::ProviderSet::load({instance("internal", "alpha.test", primary)});
  const auto s = settings_for({primary.dns.port()});
  propagation::Checker checker(s);
  StopOnSignals stop;
  CHECK_THROWS_AS(preflight(providers, checker, kAlphaNames, options_for(s)), InterruptedError);
  CHECK(stop_requested());
  CHECK(primary.alpha.applied() == 2);  // the canary went in and came out again
  CHECK(primary.alpha.txt("_acme-challenge.alpha.test").empty());
}
