// ArmClient against the kit's FakeHost: request shapes (paths with raw '@' and dots, api
// versions, property spellings, If-Match / If-None-Match), both error shapes, the 401 retry and
// the Failure each reply becomes.
#include <catch2/catch.hpp>

#include "arm_client.hpp"
#include "fake_host.hpp"
#include "settings_support.hpp"

using dns01::kit::test::FakeHost;
using dns01::provider::Failure;
using dns01::provider::HttpCall;
using dns01::provider::StatusCode;

namespace {

const char* kToken = R"({"token_type":"Bearer","expires_in":3599,"access_token":"tok-1"})";

std::string header(const HttpCall& call, const std::string& name) {
  for (const auto& [k, v] : call.headers)
    if (k == name) return v;
  return "(none)";
}

struct Fixture {
  explicit Fixture(dns01::provider::Settings table = azure_test::secret_table(
                       {{"arm_endpoint", azure_test::text("https://arm.test")},
                        {"authority_host", azure_test::text("https://login.test")}}))
      : s(azure::parse_settings(table)), tokens(s, host), arm(s, host, tokens) {
    host.replies.push_back(FakeHost::reply(200, kToken));
  }
  FakeHost host;
  azure::AzureSettings s;
  azure::TokenSource tokens;
  azure::ArmClient arm;
  azure::ZoneRef zone{"sub-1", "rg-dns", "example.com"};
};

Failure failure_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Failure& f) {
    return f;
  }
  FAIL("no Failure thrown");
  return Failure(StatusCode::internal, "", "");
}

}  // namespace

TEST_CASE("GET of the apex set: raw '@', api-version, bearer; both spellings parse") {
  Fixture f;
  f.host.replies.push_back(FakeHost::reply(200, R"({"etag":"e-1","properties":{"TTL":300,
      "TXTRecords":[{"value":["a"]},{"value":["b","c"]}],"metadata":{"owner":"me"}}})"));
  auto set = f.arm.get_txt(f.zone, "@");
  REQUIRE(f.host.calls.size() == 2);
  const auto& get = f.host.calls[1];
  CHECK(get.method == "GET");
  CHECK(get.url == "https://arm.test/subscriptions/sub-1/resourceGroups/rg-dns/providers/"
                   "Microsoft.Network/dnsZones/example.com/TXT/@?api-version=2018-05-01");
  CHECK(header(get, "Authorization") == "Bearer tok-1");
  CHECK(set.exists);
  CHECK(set.etag == "e-1");
  CHECK(set.ttl == 300);
  REQUIRE(set.records.size() == 2);
  CHECK(set.records[1] == std::vector<std::string>{"b", "c"});
  CHECK(set.metadata["owner"] == "me");
  CHECK(f.host.secrets == std::vector<std::string>{"tok-1"});

  auto priv = azure::parse_record_set(dns01::kit::Json::parse(
      R"({"etag":"e-2","properties":{"ttl":60,"txtRecords":[{"value":["p"]}]}})"), "t");
  CHECK(priv.ttl == 60);
  CHECK(priv.records == std::vector<std::vector<std::string>>{{"p"}});
}

TEST_CASE("a missing set is absent; a missing zone is a zone failure") {
  Fixture f;
  f.host.replies.push_back(FakeHost::reply(404, R"({"code":"NotFound",
      "message":"The resource record '_acme-challenge.www' does not exist."})"));
  CHECK_FALSE(f.arm.get_txt(f.zone, "_acme-challenge.www").exists);
  CHECK(f.host.calls[1].url.find("/TXT/_acme-challenge.www?") != std::string::npos);
  f.host.replies.push_back(FakeHost::reply(404, R"({"error":{"code":"ParentResourceNotFound",
      "message":"Failed to perform 'read' on resource(s) of type 'dnszones/TXT'"}})"));
  auto failure = failure_of([&] { f.arm.get_txt(f.zone, "_acme-challenge"); });
  CHECK(failure.status().code == StatusCode::zone);
  CHECK(failure.status().message.find("ParentResourceNotFound") != std::string::npos);
  CHECK(failure.status().hint.find("zone_type") != std::string::npos);
}

TEST_CASE("PUT: If-None-Match when creating, If-Match when replacing, 412 is a conflict") {
  Fixture f;
  azure::RecordSet fresh;
  fresh.ttl = 60;
  fresh.records = {{"tok"}};
  f.host.replies.push_back(FakeHost::reply(201, "{}"));
  CHECK(f.arm.put_txt(f.zone, "_acme-challenge", fresh) == azure::Write::done);
  const auto& put = f.host.calls[1];
  CHECK(put.method == "PUT");
  CHECK(header(put, "If-None-Match") == "*");
  CHECK(header(put, "If-Match") == "(none)");
  CHECK(header(put, "Content-Type") == "application/json");
  CHECK(dns01::kit::Json::parse(put.body) ==
        dns01::kit::Json::parse(R"({"properties":{"TTL":60,"TXTRecords":[{"value":["tok"]}]}})"));

  azure::RecordSet existing = fresh;
  existing.exists = true;
  existing.etag = "etag-7";
  f.host.replies.push_back(FakeHost::reply(412, R"({"error":{"code":"PreconditionFailed"}})"));
  CHECK(f.arm.put_txt(f.zone, "_acme-challenge", existing) == azure::Write::conflict);
  CHECK(header(f.host.calls[2], "If-Match") == "etag-7");
  CHECK(header(f.host.calls[2], "If-None-Match") == "(none)");
}

TEST_CASE("private zones: their resource type, api-version and lower-case properties") {
  Fixture f(azure_test::secret_table({{"zone_type", azure_test::text("private")},
                                      {"arm_endpoint", azure_test::text("https://arm.test")}}));
  azure::RecordSet set;
  set.ttl = 60;
  set.records = {{"v"}};
  f.host.replies.push_back(FakeHost::reply(200, "{}"));
  f.arm.put_txt(f.zone, "_acme-challenge", set);
  CHECK(f.host.calls[1].url.find("/providers/Microsoft.Network/privateDnsZones/example.com/TXT/"
                                 "_acme-challenge?api-version=2020-06-01") != std::string::npos);
  CHECK(dns01::kit::Json::parse(f.host.calls[1].body) ==
        dns01::kit::Json::parse(R"({"properties":{"ttl":60,"txtRecords":[{"value":["v"]}]}})"));
}

TEST_CASE("DELETE under If-Match; 204 (already gone) is done") {
  Fixture f;
  f.host.replies.push_back(FakeHost::reply(204));
  CHECK(f.arm.delete_txt(f.zone, "_acme-challenge", "etag-1") == azure::Write::done);
  CHECK(f.host.calls[1].method == "DELETE");
  CHECK(header(f.host.calls[1], "If-Match") == "etag-1");
  f.host.replies.push_back(FakeHost::reply(412, "{}"));
  CHECK(f.arm.delete_txt(f.zone, "_acme-challenge", "etag-1") == azure::Write::conflict);
}

TEST_CASE("AuthorizationFailed names the role to assign and where") {
  Fixture f;
  f.host.replies.push_back(FakeHost::reply(403, R"({"error":{"code":"AuthorizationFailed",
      "message":"The client 'app-1' does not have authorization to perform action 'x/write'"}})"));
  auto failure = failure_of([&] { f.arm.put_txt(f.zone, "x", azure::RecordSet{}); });
  CHECK(failure.status().code == StatusCode::denied);
  CHECK(failure.status().step == "write TXT x in example.com");
  CHECK(failure.status().message.rfind("HTTP 403 AuthorizationFailed: The client 'app-1'", 0) == 0);
  CHECK(failure.status().hint.find("'DNS Zone Contributor'") != std::string::npos);
  CHECK(failure.status().hint.find("/resourceGroups/rg-dns/providers/Microsoft.Network/dnsZones/"
                                   "example.com") != std::string::npos);
}

TEST_CASE("a 401 gets one fresh token, then it is an auth failure") {
  Fixture f;
  const char* expired = R"({"error":{"code":"ExpiredAuthenticationToken","message":"expired"}})";
  f.host.replies.push_back(FakeHost::reply(401, expired));
  f.host.replies.push_back(FakeHost::reply(200, R"({"access_token":"tok-2","expires_in":3599})"));
  f.host.replies.push_back(FakeHost::reply(401, expired));
  auto failure = failure_of([&] { f.arm.get_txt(f.zone, "x"); });
  CHECK(failure.status().code == StatusCode::auth);
  CHECK(failure.status().message.find("ExpiredAuthenticationToken") != std::string::npos);
  REQUIRE(f.host.calls.size() == 4);
  CHECK(header(f.host.calls[3], "Authorization") == "Bearer tok-2");
}

TEST_CASE("zones are listed through nextLink, never off the ARM endpoint") {
  Fixture f;
  f.host.replies.push_back(FakeHost::reply(200, R"({"value":[{"name":"example.com",
      "id":"/subscriptions/sub-1/resourceGroups/rg-a/providers/Microsoft.Network/dnszones/example.com"}],
      "nextLink":"https://arm.test/subscriptions/sub-1/providers/Microsoft.Network/dnszones?api-version=2018-05-01&$skipToken=1"})"));
  f.host.replies.push_back(FakeHost::reply(200, R"({"value":[{"name":"Lab.Example.com",
      "id":"/subscriptions/sub-1/resourcegroups/rg-b/providers/Microsoft.Network/dnszones/lab.example.com"}]})"));
  auto zones = f.arm.list_zones("sub-1", "");
  REQUIRE(zones.size() == 2);
  CHECK(zones[0].resource_group == "rg-a");
  CHECK(zones[1].name == "lab.example.com");
  CHECK(zones[1].resource_group == "rg-b");
  CHECK(f.host.calls[1].url == "https://arm.test/subscriptions/sub-1/providers/Microsoft.Network/"
                               "dnsZones?api-version=2018-05-01");
  CHECK(f.host.calls[2].url.find("$skipToken=1") != std::string::npos);

  f.host.replies.push_back(FakeHost::reply(200, R"({"value":[],
      "nextLink":"https://elsewhere.test/steal"})"));
  auto failure = failure_of([&] { f.arm.list_zones("sub-1", "rg-a"); });
  CHECK(failure.status().message.find("nextLink leaves") != std::string::npos);
  CHECK(f.host.calls.back().url.find("/resourceGroups/rg-a/providers/") != std::string::npos);
}

TEST_CASE("both ARM error shapes") {
  auto nested = azure::parse_arm_error(R"({"error":{"code":"BadRequest","message":"m"}})");
  CHECK(nested.code == "BadRequest");
  CHECK(nested.message == "m");
  auto flat = azure::parse_arm_error(R"({"code":"NotFound","message":"gone"})");
  CHECK(flat.code == "NotFound");
  CHECK(flat.message == "gone");
  CHECK(azure::parse_arm_error("<html>").code.empty());
}
