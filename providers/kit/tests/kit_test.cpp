// The provider kit: JSON paths, the request builder and reply retries over a fake Host, DNS-name
// helpers, settings binding, credential files and time stamps.
#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "dns01/kit/files.hpp"
#include "dns01/kit/http.hpp"
#include "dns01/kit/json.hpp"
#include "dns01/kit/names.hpp"
#include "dns01/kit/settings.hpp"
#include "dns01/kit/time.hpp"
#include "fake_host.hpp"

using namespace dns01;
using namespace dns01::kit;
using Catch::Matchers::Contains;
using provider::Failure;
using provider::StatusCode;

namespace {

template <typename Fn>
provider::Status failure_of(Fn&& fn) {
  try {
    fn();
  } catch (const Failure& f) {
    return f.status();
  }
  FAIL("no Failure thrown");
  return {};
}

struct TempFile {
  std::string path;
  explicit TempFile(const std::string& text, mode_t mode = 0600) {
    char name[] = "/tmp/dns01-kit-XXXXXX";
    const int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    ::close(fd);
    path = name;
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
  }
  ~TempFile() { ::unlink(path.c_str()); }
};

}  // namespace

TEST_CASE("json paths read nested values and name what is missing", "[kit][json]") {
  const Json doc = parse_json(R"({"result":[{"id":"abc","ttl":60,"proxied":false}]})", "list");
  CHECK(json_string(doc, "result.0.id", "list") == "abc");
  CHECK(json_integer(doc, "result.0.ttl", "list") == 60);
  CHECK_FALSE(json_boolean(doc, "result.0.proxied", "list"));
  CHECK(json_find(doc, "result.1.id") == nullptr);
  auto missing = failure_of([&] { json_string(doc, "result.0.name", "list records"); });
  CHECK(missing.code == StatusCode::server);
  CHECK(missing.step == "list records");
  CHECK(missing.message == "the API reply has no 'result.0.name'");
  auto mistyped = failure_of([&] { json_string(doc, "result.0.ttl", "list"); });
  CHECK(mistyped.message == "'result.0.ttl' in the API reply is not a string");
  auto invalid = failure_of([] { parse_json("<html>secret</html>", "list"); });
  CHECK_THAT(invalid.message, Contains("invalid JSON"));
  CHECK_THAT(invalid.message, !Contains("secret"));
}

TEST_CASE("requests encode queries and bodies", "[kit][http]") {
  Request r("GET", "https://api.test/zones");
  r.query("name", "_acme-challenge.example.com").query("content", "\"a b+c/=\"");
  CHECK(r.url() ==
        "https://api.test/zones?name=_acme-challenge.example.com&content=%22a%20b%2Bc%2F%3D%22");
  Request post("POST", "https://api.test/x?a=1");
  post.header("Content-Type", "text/plain").json({{"k", "v"}}).attempts(1);
  CHECK(post.call().body == R"({"k":"v"})");
  CHECK(post.call().max_attempts == 1);
  REQUIRE(post.call().headers.size() == 1);
  CHECK(post.call().headers[0] == std::pair<std::string, std::string>{"Content-Type",
                                                                      "application/json"});
  CHECK(form_encode({{"grant_type", "client_credentials"}, {"scope", "https://m.azure.com/.default"}}) ==
        "grant_type=client_credentials&scope=https%3A%2F%2Fm.azure.com%2F.default");
  CHECK(url_encode("AZaz09-._~ é") == "AZaz09-._~%20%C3%A9");
}

TEST_CASE("send_with_retry waits out 429s through Host::sleep, honouring Retry-After",
          "[kit][http]") {
  test::FakeHost host;
  host.replies = {test::FakeHost::reply(429, "", {{"retry-after", "3"}}),
                  test::FakeHost::reply(503), test::FakeHost::reply(200, "ok")};
  RetryPolicy policy;
  policy.base_delay = std::chrono::milliseconds(100);
  auto reply = send_with_retry(host, Request("POST", "https://api.test/r"), "add TXT", policy);
  CHECK(reply.code == 200);
  CHECK(host.calls.size() == 3);
  REQUIRE(host.slept.size() == 2);
  CHECK(host.slept[0] == std::chrono::seconds(3));
  // The second back-off is base × 2, half of it fixed and half jitter.
  CHECK(host.slept[1] >= std::chrono::milliseconds(100));
  CHECK(host.slept[1] <= std::chrono::milliseconds(200));
}

TEST_CASE("send_with_retry gives up after max_attempts and returns the last reply", "[kit][http]") {
  test::FakeHost host;
  for (int i = 0; i < 3; ++i) host.replies.push_back(test::FakeHost::reply(500));
  RetryPolicy policy;
  policy.max_attempts = 3;
  CHECK(send_with_retry(host, Request("GET", "https://api.test/"), "get", policy).code == 500);
  CHECK(host.calls.size() == 3);
  host.replies = {test::FakeHost::reply(400, "Throttling"), test::FakeHost::reply(200)};
  policy.retryable = [](const provider::HttpReply& r) { return r.body == "Throttling"; };
  CHECK(send_with_retry(host, Request("GET", "https://api.test/"), "get", policy).code == 200);
}

TEST_CASE("a stop request ends a retry wait with a Failure", "[kit][http]") {
  test::FakeHost host;
  host.replies = {test::FakeHost::reply(429), test::FakeHost::reply(200)};
  host.stop_after_sleeps = 1;
  auto status = failure_of([&] { send_with_retry(host, Request("GET", "https://api.test/"), "get"); });
  CHECK(status.message == "interrupted while waiting to retry");
  CHECK(host.calls.size() == 1);
  auto before = failure_of([&] { send(host, Request("GET", "https://api.test/"), "get"); });
  CHECK(before.message == "interrupted");
}

TEST_CASE("a network failure from the host becomes a Failure with the step", "[kit][http]") {
  test::FakeHost host;  // no scripted reply: the fake answers with a network failure
  auto status = failure_of([&] { send(host, Request("GET", "https://api.test/"), "find zone"); });
  CHECK(status.code == StatusCode::network);
  CHECK_THAT(status.step, Contains("find zone"));
  CHECK(status_code_for(401) == StatusCode::auth);
  CHECK(status_code_for(403) == StatusCode::denied);
  CHECK(status_code_for(404) == StatusCode::zone);
  CHECK(status_code_for(500) == StatusCode::server);
}

TEST_CASE("DNS names: normalise, zone membership, relative names, candidates", "[kit][names]") {
  CHECK(normalize_name("_ACME-Challenge.Example.COM.") == "_acme-challenge.example.com");
  CHECK(in_zone("a.example.com", "example.com"));
  CHECK(in_zone("example.com.", "Example.com"));
  CHECK_FALSE(in_zone("badexample.com", "example.com"));
  CHECK(relative_name("_acme-challenge.www.example.com", "example.com") == "_acme-challenge.www");
  CHECK(relative_name("example.com", "example.com") == "@");
  CHECK_THROWS_AS(relative_name("example.org", "example.com"), std::invalid_argument);
  CHECK(zone_candidates("_acme-challenge.a.example.com") ==
        std::vector<std::string>{"_acme-challenge.a.example.com", "a.example.com", "example.com"});
  CHECK(quote_txt("abc") == "\"abc\"");
  CHECK(quote_txt("a\"b\\") == "\"a\\\"b\\\\\"");
  CHECK(unquote_txt("\"a\\\"b\\\\\"") == "a\"b\\");
  CHECK(unquote_txt("\"ab\" \"cd\"") == "abcd");
  CHECK(unquote_txt("plain") == "plain");
}

TEST_CASE("settings bind into a struct and report every problem at once", "[kit][settings]") {
  provider::Settings s;
  s.instance = "cf";
  s.code = "cloudy";
  s.values["ttl"] = provider::Value{provider::ValueKind::integer, "120", 120, false, {}, false};
  s.values["zone"] = provider::Value{provider::ValueKind::string, "example.com", 0, false, {}, false};
  SettingsReader in(s);
  std::int64_t ttl = 0;
  std::optional<std::string> zone, absent;
  std::string token;
  in.optional("ttl", ttl);
  in.optional("zone", zone);
  in.optional("nothing", absent);
  in.required("api_token", token, "give api_token, or credentials = a certbot file");
  in.problem("zone_id is not 32 hex digits");
  CHECK(ttl == 120);
  CHECK(zone == "example.com");
  CHECK_FALSE(absent);
  auto status = failure_of([&] { in.finish(); });
  CHECK(status.code == StatusCode::config);
  CHECK(status.step == "check [providers.cf]");
  CHECK(status.message ==
        "give api_token, or credentials = a certbot file; zone_id is not 32 hex digits");
  auto mismatch = failure_of([&] { in.optional("zone", ttl); });
  CHECK(mismatch.code == StatusCode::internal);
}

TEST_CASE("credential files: strict modes, regular files only, INI parsing", "[kit][files]") {
  TempFile good("# certbot\ndns_cloudflare_api_token = \"0123abc\"\n[profile ci]\nregion: eu-west-1\n");
  const IniFile ini = parse_ini(read_secret_text_file(good.path, "the credentials file"));
  CHECK(ini.at("").at("dns_cloudflare_api_token") == "0123abc");
  CHECK(ini.at("profile ci").at("region") == "eu-west-1");

  TempFile loose("k = v\n", 0644);
  CHECK(read_text_file(loose.path, "the config file") == "k = v\n");
  auto open_mode = failure_of([&] { read_secret_text_file(loose.path, "the credentials file"); });
  CHECK(open_mode.code == StatusCode::config);
  CHECK_THAT(open_mode.message, Contains("(mode 644)"));
  CHECK_THAT(open_mode.hint, Contains("chmod 600"));

  const std::string fifo = good.path + ".fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto not_regular = failure_of([&] { read_text_file(fifo, "the token file"); });
  ::unlink(fifo.c_str());
  CHECK_THAT(not_regular.message, Contains("is not a regular file"));
  auto missing = failure_of([] { read_text_file("/nonexistent/dns01", "the token file"); });
  CHECK(missing.message == "/nonexistent/dns01: does not exist");
}

TEST_CASE("time stamps in the formats cloud APIs use", "[kit][time]") {
  using namespace std::chrono;
  const SystemTime t = sys_days{year{2026} / 12 / 1} + hours{15} + minutes{30} + seconds{5};
  CHECK(iso8601_basic(t) == "20261201T153005Z");
  CHECK(rfc3339(t) == "2026-12-01T15:30:05Z");
  CHECK(parse_rfc3339("2026-12-01T15:30:05Z") == t);
  CHECK(parse_rfc3339("2026-12-01T15:30:05.250Z") == t);
  CHECK(parse_rfc3339("2026-12-01T16:30:05+01:00") == t);
  CHECK_FALSE(parse_rfc3339("2026-02-31T00:00:00Z"));
  CHECK_FALSE(parse_rfc3339("yesterday"));
}
