// The provider through its factory (dns01_provider_create, as the loader calls it) against the
// kit's FakeHost: zone lookups, batches per zone, removal by (name, value), and the fallbacks
// when Cloudflare refuses a batch as a whole.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "fake_host.hpp"
#include "settings_support.hpp"

extern "C" dns01::provider::CreateResult dns01_provider_create(
    const dns01::provider::Settings& settings, dns01::provider::Host& host);

using namespace cloudflare::test;
using Catch::Matchers::Contains;
using dns01::kit::test::FakeHost;
using dns01::provider::StatusCode;
using dns01::provider::TxtRecord;
using json = nlohmann::json;

namespace {

const std::string kZone = "023e105f4ecef8ad9ca31a8372d0c353";
const std::string kName = "_acme-challenge.example.com";

dns01::provider::HttpReply ok(json result) {
  return FakeHost::reply(200, json{{"success", true}, {"errors", json::array()},
                                   {"messages", json::array()}, {"result", result},
                                   {"result_info", {{"page", 1}, {"total_pages", 1}}}}
                                  .dump());
}

dns01::provider::HttpReply error(long http, int code, const std::string& message) {
  return FakeHost::reply(http, json{{"success", false},
                                    {"errors", json::array({{{"code", code}, {"message", message}}})},
                                    {"messages", json::array()}, {"result", nullptr}}
                                   .dump());
}

dns01::provider::HttpReply zone_found() {
  return ok(json::array({{{"id", kZone}, {"name", "example.com"}}}));
}

json record(const std::string& id, const std::string& name, const std::string& content) {
  return {{"id", id}, {"name", name}, {"type", "TXT"}, {"content", content}};
}

// The provider made with `table`, its construction's zone lookup answered.
std::unique_ptr<dns01::provider::Provider> make(FakeHost& host,
                                                const dns01::provider::Settings& t = token_table()) {
  host.replies.push_back(zone_found());
  auto created = dns01_provider_create(t, host);
  REQUIRE(created.status.ok());
  REQUIRE(created.provider);
  REQUIRE(host.calls.size() == 1);
  CHECK_THAT(host.calls[0].url, Contains("/zones?name=ends_with%3Aexample.com&"));
  host.calls.clear();
  return std::move(created.provider);
}

TxtRecord txt(std::string name, std::string value) {
  return TxtRecord{std::move(name), std::move(value), "example.com", 0};
}

}  // namespace

TEST_CASE("cloudflare provider: bad credentials fail at creation, before any record") {
  FakeHost host;
  host.replies.push_back(error(403, 9109, "Invalid access token"));
  auto created = dns01_provider_create(token_table("tok-SECRET-123"), host);
  CHECK_FALSE(created.provider);
  CHECK(created.status.code == StatusCode::auth);
  CHECK_THAT(created.status.message, !Contains("tok-SECRET-123"));
}

TEST_CASE("cloudflare provider: a zone Cloudflare does not have fails at creation") {
  FakeHost host;
  host.replies.push_back(ok(json::array()));
  auto created = dns01_provider_create(token_table(), host);
  CHECK(created.status.code == StatusCode::zone);
  CHECK_THAT(created.status.message, Contains("looked up example.com, the zones below it"));
  CHECK(host.calls.size() == 1);  // example.com has no parent below the TLD to ask
  CHECK_THAT(created.status.hint, Contains("zone_id"));
}

TEST_CASE("cloudflare provider: hints: the batch endpoint's limit, the configured TTL") {
  FakeHost host;
  auto p = make(host);
  CHECK(p->hints().max_batch == 200);
  CHECK(p->hints().default_ttl == std::chrono::seconds(60));
}

TEST_CASE("cloudflare provider: add posts one quoted record in the zone found") {
  FakeHost host;
  auto p = make(host);
  host.replies.push_back(ok(record("r1", kName, "\"v\"")));
  REQUIRE(p->add(txt(kName, "v")).ok());
  REQUIRE(host.calls.size() == 1);  // the zone id was cached at creation
  CHECK(host.calls[0].url == "https://api.cloudflare.com/client/v4/zones/" + kZone + "/dns_records");
  CHECK(json::parse(host.calls[0].body)["content"] == "\"v\"");
  CHECK(json::parse(host.calls[0].body)["ttl"] == 60);
}

TEST_CASE("cloudflare provider: names go to the longest zone found below their entry") {
  FakeHost host;
  const std::string sub = "0123456789abcdef0123456789abcdef";
  // one scan: the entry, a zone below it, and a look-alike the filter also matches
  host.replies.push_back(ok(json::array({{{"id", kZone}, {"name", "example.com"}},
                                         {{"id", sub}, {"name", "sub.example.com"}},
                                         {{"id", "f" + sub.substr(1)}, {"name", "badexample.com"}}})));
  auto created = dns01_provider_create(token_table(), host);
  REQUIRE(created.status.ok());
  host.replies.push_back(ok(record("r1", "_acme-challenge.www.example.com", "\"a\"")));
  host.replies.push_back(ok(record("r2", "_acme-challenge.a.sub.example.com", "\"b\"")));
  REQUIRE(created.provider->add(txt("_acme-challenge.www.example.com", "a")).ok());
  REQUIRE(created.provider->add(txt("_acme-challenge.a.sub.example.com", "b")).ok());
  REQUIRE(host.calls.size() == 3);  // no more lookups
  CHECK_THAT(host.calls[1].url, Contains("/zones/" + kZone + "/dns_records"));
  CHECK_THAT(host.calls[2].url, Contains("/zones/" + sub + "/dns_records"));
}

TEST_CASE("cloudflare provider: an entry below the Cloudflare zone finds it among its parents") {
  FakeHost host;
  auto t = token_table();
  t.zones = {"lab.example.com"};
  host.replies.push_back(ok(json::array()));  // nothing at or below lab.example.com
  host.replies.push_back(zone_found());       // example.com
  auto created = dns01_provider_create(t, host);
  REQUIRE(created.status.ok());
  REQUIRE(host.calls.size() == 2);
  CHECK_THAT(host.calls[1].url, Contains("/zones?name=example.com&"));
  host.replies.push_back(ok(record("r1", "_acme-challenge.lab.example.com", "\"v\"")));
  TxtRecord r{"_acme-challenge.lab.example.com", "v", "lab.example.com", 0};
  REQUIRE(created.provider->add(r).ok());
  CHECK_THAT(host.calls[2].url, Contains("/zones/" + kZone + "/dns_records"));
}

TEST_CASE("cloudflare provider: add_all sends the values of a zone in one batch") {
  FakeHost host;
  auto p = make(host);
  host.replies.push_back(ok({{"posts", json::array()}}));
  REQUIRE(p->add_all({txt(kName, "apex"), txt(kName, "wild")}).ok());
  REQUIRE(host.calls.size() == 1);
  CHECK_THAT(host.calls[0].url, Contains("/dns_records/batch"));
  auto body = json::parse(host.calls[0].body);
  CHECK(body["posts"].size() == 2);
  CHECK(body["posts"][1]["content"] == "\"wild\"");
  CHECK_FALSE(body.contains("deletes"));
}

TEST_CASE("cloudflare provider: a batch refused for a duplicate is added one by one") {
  FakeHost host;
  auto p = make(host);
  host.replies.push_back(error(400, 81058, "An identical record already exists."));
  host.replies.push_back(error(400, 81058, "An identical record already exists."));
  host.replies.push_back(ok(record("r2", kName, "\"wild\"")));
  REQUIRE(p->add_all({txt(kName, "apex"), txt(kName, "wild")}).ok());
  REQUIRE(host.calls.size() == 3);
  CHECK_THAT(host.calls[1].url, !Contains("batch"));
  CHECK(json::parse(host.calls[2].body)["content"] == "\"wild\"");
}

TEST_CASE("cloudflare provider: remove finds the record by name and content, quoted or not") {
  FakeHost host;
  auto p = make(host);
  SECTION("quoted") {
    host.replies.push_back(ok(json::array({record("keep", kName, "\"user-owned\""),
                                           record("mine", kName, "\"v\"")})));
  }
  SECTION("unquoted (certbot, the dashboard)") {
    host.replies.push_back(ok(json::array({record("keep", kName, "user-owned"),
                                           record("mine", kName, "v")})));
  }
  host.replies.push_back(ok({{"id", "mine"}}));
  REQUIRE(p->remove(txt(kName, "v")).ok());
  REQUIRE(host.calls.size() == 2);
  CHECK_THAT(host.calls[0].url, Contains("dns_records?type=TXT&name=_acme-challenge.example.com&"));
  CHECK(host.calls[1].method == "DELETE");
  CHECK_THAT(host.calls[1].url, Contains("/dns_records/mine"));
}

TEST_CASE("cloudflare provider: removing an absent value asks once and succeeds") {
  FakeHost host;
  auto p = make(host);
  host.replies.push_back(ok(json::array({record("keep", kName, "\"user-owned\"")})));
  REQUIRE(p->remove(txt(kName, "never-added")).ok());
  CHECK(host.calls.size() == 1);
}

TEST_CASE("cloudflare provider: remove_all lists each name once and deletes in one batch") {
  FakeHost host;
  auto p = make(host);
  host.replies.push_back(ok(json::array({record("a", kName, "\"apex\""),
                                         record("w", kName, "\"wild\""),
                                         record("u", kName, "\"user\"")})));
  host.replies.push_back(ok({{"deletes", json::array()}}));
  REQUIRE(p->remove_all({txt(kName, "apex"), txt(kName, "wild")}).ok());
  REQUIRE(host.calls.size() == 2);
  CHECK(json::parse(host.calls[1].body) ==
        json{{"deletes", json::array({{{"id", "a"}}, {{"id", "w"}}})}});
}

TEST_CASE("cloudflare provider: several challenge names are listed in one request per zone") {
  FakeHost host;
  auto p = make(host);
  const std::string www = "_acme-challenge.www.example.com";
  host.replies.push_back(ok(json::array({record("a", kName, "\"apex\""),
                                         record("w", www, "\"www\""),
                                         record("x", www, "\"apex\"")})));  // other name
  host.replies.push_back(ok({{"deletes", json::array()}}));
  REQUIRE(p->remove_all({txt(kName, "apex"), txt(www, "www")}).ok());
  REQUIRE(host.calls.size() == 2);
  CHECK_THAT(host.calls[0].url, Contains("type=TXT&name.startswith=_acme-challenge.&page=1"));
  CHECK(json::parse(host.calls[1].body) ==
        json{{"deletes", json::array({{{"id", "a"}}, {{"id", "w"}}})}});
}

TEST_CASE("cloudflare provider: a batch delete refused for a vanished record goes one by one") {
  FakeHost host;
  auto p = make(host);
  host.replies.push_back(ok(json::array({record("a", kName, "\"apex\""),
                                         record("w", kName, "\"wild\"")})));
  host.replies.push_back(error(404, 81044, "Record does not exist."));
  host.replies.push_back(error(404, 81044, "Record does not exist."));
  host.replies.push_back(ok({{"id", "w"}}));
  REQUIRE(p->remove_all({txt(kName, "apex"), txt(kName, "wild")}).ok());
  CHECK(host.calls.size() == 4);
  CHECK(host.calls[3].method == "DELETE");
}

TEST_CASE("cloudflare provider: a pinned zone_id skips lookups; creation checks DNS access") {
  FakeHost host;
  auto t = token_table();
  t.values["zone_id"] = text(kZone);
  host.replies.push_back(ok(json::array()));
  auto created = dns01_provider_create(t, host);
  REQUIRE(created.status.ok());
  REQUIRE(host.calls.size() == 1);
  CHECK_THAT(host.calls[0].url, Contains("/zones/" + kZone + "/dns_records?type=TXT"));
  host.replies.push_back(ok(record("r1", "_acme-challenge.other.org", "\"v\"")));
  REQUIRE(created.provider->add(txt("_acme-challenge.other.org", "v")).ok());
  CHECK_THAT(host.calls[1].url, Contains("/zones/" + kZone + "/dns_records"));
}

TEST_CASE("cloudflare provider: a token without DNS:Edit is denied, naming the permission") {
  FakeHost host;
  auto p = make(host);
  host.replies.push_back(error(403, 10000, "Authentication error"));
  auto status = p->add(txt(kName, "v"));
  CHECK(status.code == StatusCode::denied);
  CHECK_THAT(status.message, Contains("DNS → Edit"));
}
