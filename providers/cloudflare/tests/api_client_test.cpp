// The API client against the kit's FakeHost: the exact requests each endpoint method sends,
// paging, the envelope read into codes, and each error envelope turned into the error a user sees.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "api_client.hpp"
#include "fake_host.hpp"
#include "settings.hpp"
#include "settings_support.hpp"

using namespace cloudflare;
using namespace cloudflare::test;
using Catch::Matchers::Contains;
using dns01::kit::test::FakeHost;
using dns01::provider::Failure;
using dns01::provider::HttpCall;
using dns01::provider::StatusCode;
using json = nlohmann::json;

namespace {

const std::string kBase = "https://api.cloudflare.com/client/v4";
const std::string kZone = "023e105f4ecef8ad9ca31a8372d0c353";

std::string ok_body(json result, json info = nullptr) {
  json body = {{"success", true}, {"errors", json::array()}, {"messages", json::array()},
               {"result", result}};
  if (!info.is_null()) body["result_info"] = info;
  return body.dump();
}

std::string error_body(int code, const std::string& message, json chain = nullptr) {
  json error = {{"code", code}, {"message", message}};
  if (!chain.is_null()) error["error_chain"] = chain;
  return json{{"success", false}, {"errors", json::array({error})}, {"messages", json::array()},
              {"result", nullptr}}
      .dump();
}

std::string header_of(const HttpCall& call, const std::string& name) {
  for (const auto& [k, v] : call.headers)
    if (k == name) return v;
  return {};
}

dns01::provider::Status failure_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Failure& f) {
    return f.status();
  }
  FAIL("no Failure was thrown");
  return {};
}

}  // namespace

TEST_CASE("cloudflare api: list_zones asks for the exact name with the zone credentials") {
  auto t = token_table("dns-token");
  t.values["zone_api_token"] = text("zone-token", true);
  FakeHost host;
  Api api(host, parse_settings(t));
  host.replies.push_back(FakeHost::reply(
      200, ok_body(json::array({{{"id", kZone}, {"name", "example.com"}}}),
                   {{"page", 1}, {"per_page", 50}, {"count", 1}, {"total_count", 1},
                    {"total_pages", 1}})));
  auto zones = api.list_zones("example.com");
  REQUIRE(zones.size() == 1);
  CHECK(zones[0].id == kZone);
  REQUIRE(host.calls.size() == 1);
  CHECK(host.calls[0].method == "GET");
  CHECK(host.calls[0].url == kBase + "/zones?name=example.com&page=1&per_page=50");
  CHECK(header_of(host.calls[0], "Authorization") == "Bearer zone-token");
  CHECK(host.calls[0].idempotent == false);  // our loop retries 429; the host only reconnects
}

TEST_CASE("cloudflare api: list_txt_records follows every page with the DNS credentials") {
  auto t = token_table("dns-token");
  t.values["zone_api_token"] = text("zone-token", true);
  FakeHost host;
  Api api(host, parse_settings(t));
  auto page = [](int n, const std::string& id) {
    return FakeHost::reply(200, ok_body(json::array({{{"id", id},
                                                      {"name", "_acme-challenge.example.com"},
                                                      {"type", "TXT"},
                                                      {"content", "\"v" + id + "\""}}}),
                                        {{"page", n}, {"per_page", 100}, {"count", 1},
                                         {"total_count", 2}, {"total_pages", 2}}));
  };
  host.replies.push_back(page(1, "a"));
  host.replies.push_back(page(2, "b"));
  auto records = api.list_txt_records(kZone, "_acme-challenge.example.com");
  REQUIRE(records.size() == 2);
  CHECK(records[1].content == "\"vb\"");
  REQUIRE(host.calls.size() == 2);
  CHECK(host.calls[0].url == kBase + "/zones/" + kZone +
                                 "/dns_records?type=TXT&name=_acme-challenge.example.com&page=1"
                                 "&per_page=100");
  CHECK_THAT(host.calls[1].url, Contains("&page=2&"));
  CHECK(header_of(host.calls[1], "Authorization") == "Bearer dns-token");
}

TEST_CASE("cloudflare api: create_record posts one quoted TXT; identical records count") {
  FakeHost host;
  Api api(host, parse_settings(token_table()));
  host.replies.push_back(FakeHost::reply(200, ok_body({{"id", "r1"}})));
  api.create_record(kZone, {"_acme-challenge.example.com", "\"token\"", 60});
  REQUIRE(host.calls.size() == 1);
  CHECK(host.calls[0].method == "POST");
  CHECK(host.calls[0].url == kBase + "/zones/" + kZone + "/dns_records");
  CHECK(header_of(host.calls[0], "Content-Type") == "application/json");
  CHECK(json::parse(host.calls[0].body) == json{{"type", "TXT"},
                                                {"name", "_acme-challenge.example.com"},
                                                {"content", "\"token\""},
                                                {"ttl", 60}});
  host.replies.push_back(FakeHost::reply(400, error_body(81058, "An identical record already exists.")));
  host.replies.push_back(FakeHost::reply(400, error_body(81057, "The record already exists.")));
  api.create_record(kZone, {"_acme-challenge.example.com", "\"token\"", 60});
  api.create_record(kZone, {"_acme-challenge.example.com", "\"token\"", 60});
  CHECK(host.replies.empty());
}

TEST_CASE("cloudflare api: delete_record treats a record already gone as done") {
  FakeHost host;
  Api api(host, parse_settings(token_table()));
  host.replies.push_back(FakeHost::reply(200, ok_body({{"id", "r1"}})));
  host.replies.push_back(FakeHost::reply(404, error_body(81044, "Record does not exist.")));
  api.delete_record(kZone, "r1");
  api.delete_record(kZone, "r1");
  CHECK(host.calls[0].method == "DELETE");
  CHECK(host.calls[0].url == kBase + "/zones/" + kZone + "/dns_records/r1");
}

TEST_CASE("cloudflare api: batch sends deletes and posts, reports repairable refusals") {
  FakeHost host;
  Api api(host, parse_settings(token_table()));
  host.replies.push_back(FakeHost::reply(200, ok_body({{"posts", json::array()}})));
  host.replies.push_back(FakeHost::reply(400, error_body(81058, "An identical record already exists.")));
  host.replies.push_back(FakeHost::reply(404, error_body(81044, "Record does not exist.")));
  CHECK(api.batch(kZone, {"d1"}, {{"_acme-challenge.example.com", "\"a\"", 60}}) ==
        BatchOutcome::applied);
  CHECK(json::parse(host.calls[0].body) ==
        json{{"deletes", json::array({{{"id", "d1"}}})},
             {"posts", json::array({{{"type", "TXT"},
                                     {"name", "_acme-challenge.example.com"},
                                     {"content", "\"a\""},
                                     {"ttl", 60}}})}});
  CHECK(host.calls[0].url == kBase + "/zones/" + kZone + "/dns_records/batch");
  CHECK(api.batch(kZone, {}, {{"n", "\"a\"", 60}}) == BatchOutcome::duplicate);
  CHECK(api.batch(kZone, {"gone"}, {}) == BatchOutcome::missing);
}

TEST_CASE("cloudflare api: the global key is sent as X-Auth-Email + X-Auth-Key") {
  auto t = table();
  t.values["api_key"] = text("KEY", true);
  t.values["email"] = text("me@example.com");
  FakeHost host;
  Api api(host, parse_settings(t));
  host.replies.push_back(FakeHost::reply(200, ok_body(json::array())));
  CHECK(api.list_zones("example.com").empty());
  CHECK(header_of(host.calls[0], "X-Auth-Email") == "me@example.com");
  CHECK(header_of(host.calls[0], "X-Auth-Key") == "KEY");
  CHECK(header_of(host.calls[0], "Authorization").empty());
}

TEST_CASE("cloudflare api: the envelope's codes, error chains included") {
  dns01::provider::HttpReply reply = FakeHost::reply(
      400, error_body(6003, "Invalid request headers",
                      json::array({{{"code", 6111}, {"message", "Invalid format for Authorization header"}}})));
  auto e = read_envelope(reply);
  CHECK_FALSE(e.success);
  CHECK(e.has(6003));
  CHECK(e.has(6111));
  CHECK_THAT(e.message, Contains("6003 Invalid request headers") &&
                            Contains("6111 Invalid format for Authorization header"));
  auto html = read_envelope(FakeHost::reply(502, "<html>bad gateway</html>"));
  CHECK_FALSE(html.success);
  CHECK(html.message == "HTTP 502");
  CHECK(html.document.is_null());
  // success:true with an error status is still a failure
  CHECK_FALSE(read_envelope(FakeHost::reply(500, ok_body(nullptr))).success);
}

TEST_CASE("cloudflare api: each refusal becomes the error that says what to fix") {
  auto settings = parse_settings(token_table("tok-SECRET-123"));
  FakeHost host;
  Api api(host, settings);
  SECTION("an invalid token is an auth error") {
    host.replies.push_back(FakeHost::reply(403, error_body(9109, "Invalid access token")));
    auto status = failure_of([&] { api.list_zones("example.com"); });
    CHECK(status.code == StatusCode::auth);
    CHECK(status.step == "find zone example.com");
    CHECK_THAT(status.message, Contains("9109 Invalid access token"));
    CHECK_THAT(status.hint, Contains("api_token"));
  }
  SECTION("missing headers are an auth error") {
    host.replies.push_back(FakeHost::reply(400, error_body(9106, "Missing X-Auth-Key, X-Auth-Email or Authorization headers")));
    CHECK(failure_of([&] { api.list_zones("example.com"); }).code == StatusCode::auth);
  }
  SECTION("a token without the zone permission names Zone:Read") {
    host.replies.push_back(FakeHost::reply(403, error_body(10000, "Authentication error")));
    auto status = failure_of([&] { api.list_zones("example.com"); });
    CHECK(status.code == StatusCode::denied);
    CHECK_THAT(status.message, Contains("Zone → Zone → Read"));
    CHECK_THAT(status.hint, Contains("zone_id"));
  }
  SECTION("a token without DNS edit names DNS:Edit") {
    host.replies.push_back(FakeHost::reply(403, error_body(10000, "Authentication error")));
    auto status = failure_of([&] { api.create_record(kZone, {"n", "\"v\"", 60}); });
    CHECK(status.code == StatusCode::denied);
    CHECK_THAT(status.message, Contains("Zone → DNS → Edit"));
  }
  SECTION("an unknown zone id is a zone error") {
    host.replies.push_back(FakeHost::reply(400, error_body(7003, "Could not route to /zones/x/dns_records, perhaps your object identifier is invalid?",
                                                           json::array({{{"code", 7000}, {"message", "No route for that URI"}}}))));
    auto status = failure_of([&] { api.list_txt_records(kZone, "n"); });
    CHECK(status.code == StatusCode::zone);
    CHECK_THAT(status.hint, Contains("zone_id"));
  }
  SECTION("anything else is a server error with Cloudflare's words") {
    host.replies.push_back(FakeHost::reply(400, error_body(9021, "Invalid TTL.")));
    auto status = failure_of([&] { api.create_record(kZone, {"n", "\"v\"", 5}); });
    CHECK(status.code == StatusCode::server);
    CHECK_THAT(status.message, Contains("9021 Invalid TTL."));
  }
  for (const auto& line : host.logs) CHECK_THAT(line, !Contains("tok-SECRET-123"));
}

TEST_CASE("cloudflare api: 429 is waited out as Retry-After says, through Host::sleep") {
  FakeHost host;
  Api api(host, parse_settings(token_table()));
  const auto limited = FakeHost::reply(429, error_body(971, "Please wait and consider throttling your request speed"),
                                       {{"Retry-After", "7"}});
  host.replies.push_back(limited);
  host.replies.push_back(limited);
  host.replies.push_back(FakeHost::reply(200, ok_body({{"id", "r1"}})));
  api.create_record(kZone, {"_acme-challenge.example.com", "\"v\"", 60});
  CHECK(host.calls.size() == 3);
  CHECK(host.slept == std::vector<std::chrono::milliseconds>{std::chrono::seconds(7),
                                                             std::chrono::seconds(7)});
}

TEST_CASE("cloudflare api: a rate limit that never ends is a server error, a stop ends the wait") {
  FakeHost host;
  Api api(host, parse_settings(token_table()));
  const auto limited = FakeHost::reply(429, error_body(971, "Please wait"), {{"Retry-After", "1"}});
  SECTION("attempts spent") {
    for (int i = 0; i < Api::retry_policy().max_attempts; ++i) host.replies.push_back(limited);
    auto status = failure_of([&] { api.list_zones("example.com"); });
    CHECK(status.code == StatusCode::server);
    CHECK_THAT(status.message, Contains("rate limited"));
    CHECK(host.replies.empty());
  }
  SECTION("Ctrl-C during the wait") {
    for (int i = 0; i < 3; ++i) host.replies.push_back(limited);
    host.stop_after_sleeps = 1;
    auto status = failure_of([&] { api.list_zones("example.com"); });
    CHECK(status.code == StatusCode::network);
    CHECK(host.calls.size() == 1);
  }
}
