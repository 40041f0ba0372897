// HttpClient against the loopback FakeHttpServer: basics, retries, limits, redirects, reuse.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "dns01/error.hpp"
#include "dns01/version.hpp"
#include "http/fake_http_server.hpp"
#include "http_test_util.hpp"

using namespace dns01;
using namespace dns01::test;
using namespace std::chrono_literals;

namespace {
std::string error_text(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const NetworkError& e) {
    return e.what();
  }
  FAIL("no NetworkError thrown");
  return {};
}
}  // namespace

TEST_CASE("GET and POST: status, headers, body, User-Agent and request body", "[http]") {
  FakeHttpServer server([](const FakeRequest& r) {
    FakeResponse resp = FakeResponse::json(r.method == "POST" ? 201 : 200, R"({"ok":true})");
    resp.headers.emplace_back("Replay-Nonce", "nonce-1");
    resp.headers.emplace_back("Location", "/acme/acct/7");
    return resp;
  });
  RecordedSleeps sleeps;
  HttpClient client(fast_options(sleeps));

  const HttpResponse got = client.get(server.url("/dir"), {{"Accept", "application/json"}});
  CHECK(got.status == 200);
  CHECK(got.body == R"({"ok":true})");
  CHECK(got.header("replay-nonce") == "nonce-1");
  CHECK(got.effective_url == server.url("/dir"));

  const HttpResponse posted =
      client.post(server.url("/new-acct"), R"({"payload":"x"})",
                  {{"Content-Type", "application/jose+json"}});
  CHECK(posted.status == 201);

  const auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].method == "GET");
  CHECK(requests[0].header("User-Agent") == std::string("dns01/") + kVersion);
  CHECK(requests[0].header("Accept") == "application/json");
  CHECK(requests[1].method == "POST");
  CHECK(requests[1].body == R"({"payload":"x"})");
  CHECK(requests[1].header("Content-Type") == "application/jose+json");
  CHECK_FALSE(requests[1].header("Expect"));
  CHECK(sleeps.delays->empty());
}

TEST_CASE("sequential requests reuse one TCP connection", "[http]") {
  FakeHttpServer server([](const FakeRequest&) { return FakeResponse::text(200, "hi"); });
  RecordedSleeps sleeps;
  HttpClient client(fast_options(sleeps));
  for (int i = 0; i < 5; ++i) CHECK(client.get(server.url("/n")).status == 200);
  CHECK(client.post(server.url("/p"), "x").status == 200);
  CHECK(server.request_count() == 6);
  CHECK(server.connections() == 1);
}

TEST_CASE("429 with Retry-After waits exactly that long, then succeeds", "[http]") {
  std::atomic<int> calls{0};
  FakeHttpServer server([&](const FakeRequest&) {
    if (calls++ == 0) {
      FakeResponse r = FakeResponse::text(429, "slow down");
      r.headers.emplace_back("Retry-After", "3");
      return r;
    }
    return FakeResponse::text(200, "fine");
  });
  RecordedSleeps sleeps;
  HttpClient client(fast_options(sleeps));
  const HttpResponse r = client.get(server.url("/limited"));
  CHECK(r.status == 200);
  CHECK(r.body == "fine");
  CHECK(server.request_count() == 2);
  CHECK(*sleeps.delays == std::vector<std::chrono::milliseconds>{3000ms});
}

TEST_CASE("5xx on GET is retried until attempts run out; the last response is returned",
          "[http]") {
  std::atomic<int> calls{0};
  FakeHttpServer server([&](const FakeRequest&) {
    return FakeResponse::text(503, "down " + std::to_string(++calls));
  });
  RecordedSleeps sleeps;
  HttpOptions options = fast_options(sleeps, 4);
  options.retry.max_delay = 40ms;
  HttpClient client(options);
  const HttpResponse r = client.get(server.url("/flaky"));
  CHECK(r.status == 503);
  CHECK(r.body == "down 4");
  CHECK(server.request_count() == 4);
  REQUIRE(sleeps.delays->size() == 3);
  for (auto d : *sleeps.delays) {
    CHECK(d >= 0ms);
    CHECK(d <= 40ms);
  }
}

TEST_CASE("POST is not retried on 5xx unless marked idempotent", "[http]") {
  FakeHttpServer server([](const FakeRequest&) { return FakeResponse::text(500, "boom"); });
  RecordedSleeps sleeps;
  HttpClient client(fast_options(sleeps, 3));
  CHECK(client.post(server.url("/new-order"), "{}").status == 500);
  CHECK(server.request_count() == 1);
  CHECK(sleeps.delays->empty());

  HttpRequest request;
  request.method = "POST";
  request.url = server.url("/records");
  request.idempotent = true;
  CHECK(client.send(request).status == 500);
  CHECK(server.request_count() == 4);
}

TEST_CASE("connection refused is retried, then NetworkError names the attempts", "[http]") {
  RefusingPort port;
  RecordedSleeps sleeps;
  HttpClient client(fast_options(sleeps, 3));
  // Even a POST: the request never reached a server.
  const std::string text =
      error_text([&] { client.post(port.url("/x?token=s3cr3t-value"), "{}"); });
  CHECK_THAT(text, Catch::Contains("http: POST http://127.0.0.1:"));
  CHECK_THAT(text, Catch::Contains("after 3 attempts"));
  CHECK_THAT(text, !Catch::Contains("s3cr3t-value"));
  CHECK(sleeps.delays->size() == 2);
  try {
    client.get(port.url("/"));
    FAIL("a GET to a refusing port did not throw");
  } catch (const NetworkError& e) {
    CHECK(e.category() == ErrorCategory::network);
    CHECK_FALSE(e.hint().empty());
  }
}

TEST_CASE("a read timeout throws NetworkError; a timed-out POST is not repeated", "[http]") {
  FakeHttpServer server([](const FakeRequest&) {
    FakeResponse r = FakeResponse::text(200, "late");
    r.delay = 3s;  // interrupted when the server is destroyed
    return r;
  });
  RecordedSleeps sleeps;
  HttpOptions options = fast_options(sleeps, 2);
  options.timeout = 150ms;
  HttpClient client(options);

  const std::string post = error_text([&] { client.post(server.url("/slow"), "{}"); });
  CHECK_THAT(post, Catch::Contains("after 1 attempt"));
  CHECK(server.request_count() == 1);

  HttpRequest get;
  get.url = server.url("/slow");
  get.timeout = 100ms;
  const std::string text = error_text([&] { client.send(get); });
  CHECK_THAT(text, Catch::Contains("timed out") || Catch::Contains("Timeout"));
  CHECK_THAT(text, Catch::Contains("after 2 attempts"));  // GET is idempotent: retried once
  CHECK(server.request_count() == 3);
}

TEST_CASE("a connection closed without reply: GET retried, POST not", "[http]") {
  std::atomic<int> calls{0};
  FakeHttpServer server([&](const FakeRequest&) {
    if (calls++ % 2 == 0) return FakeResponse::abort_connection();
    return FakeResponse::text(200, "second time lucky");
  });
  RecordedSleeps sleeps;
  HttpClient client(fast_options(sleeps, 3));
  CHECK(client.get(server.url("/a")).body == "second time lucky");
  // A fresh client, so the POST opens a new connection: on a reused one libcurl itself resends
  // a request whose connection died before any byte came back (a stale keep-alive).
  HttpClient fresh(fast_options(sleeps, 3));
  const std::string text = error_text([&] { fresh.post(server.url("/b"), "{}"); });
  CHECK_THAT(text, Catch::Contains("after 1 attempt"));
  CHECK(server.request_count() == 3);
}

TEST_CASE("responses over max_body throw NetworkError naming the limit", "[http]") {
  FakeHttpServer server([](const FakeRequest& r) {
    FakeResponse resp = FakeResponse::text(200, std::string(5000, 'a'));
    resp.chunked = r.path == "/chunked";  // no Content-Length: caught while receiving
    if (r.path == "/huge") resp.stream_body_size = 64u << 20;
    if (r.path == "/huge") resp.chunked = true;
    return resp;
  });
  RecordedSleeps sleeps;
  HttpClient client(fast_options(sleeps));
  for (const char* path : {"/sized", "/chunked"}) {
    HttpRequest request;
    request.url = server.url(path);
    request.max_body = 4096;
    const std::string text = error_text([&] { client.send(request); });
    CHECK_THAT(text, Catch::Contains("4096"));
  }
  const std::string huge = error_text([&] { client.get(server.url("/huge")); });
  CHECK_THAT(huge, Catch::Contains(std::to_string(8u << 20)));
  CHECK(server.request_count() == 3);  // never retried
  HttpRequest fits;
  fits.url = server.url("/chunked");
  fits.max_body = 5000;
  CHECK(client.send(fits).body.size() == 5000);
}

TEST_CASE("redirects are followed only when asked, up to 5, and loops are refused", "[http]") {
  FakeHttpServer server([](const FakeRequest& r) {
    if (r.path == "/old") return FakeResponse::redirect(301, "/new");
    if (r.path == "/new") return FakeResponse::text(200, "moved here");
    if (r.path == "/ping") return FakeResponse::redirect(302, "/pong");
    if (r.path == "/pong") return FakeResponse::redirect(302, "/ping");
    if (r.path.rfind("/chain/", 0) == 0) {
      const int n = std::stoi(r.path.substr(7));
      return FakeResponse::redirect(307, "/chain/" + std::to_string(n + 1));
    }
    return FakeResponse::text(404);
  });
  RecordedSleeps sleeps;
  HttpClient client(fast_options(sleeps));

  CHECK(client.get(server.url("/old")).status == 301);  // not followed by default

  HttpRequest request;
  request.url = server.url("/old");
  request.follow_redirects = true;
  const HttpResponse moved = client.send(request);
  CHECK(moved.status == 200);
  CHECK(moved.body == "moved here");
  CHECK(moved.effective_url == server.url("/new"));

  request.url = server.url("/ping");
  CHECK_THAT(error_text([&] { client.send(request); }), Catch::Contains("redirect loop"));

  request.url = server.url("/chain/0");
  CHECK_THAT(error_text([&] { client.send(request); }), Catch::Contains("too many redirects"));
  CHECK(sleeps.delays->empty());
}

TEST_CASE("a redirect to another origin drops credentials; 303 turns POST into GET", "[http]") {
  FakeHttpServer other([](const FakeRequest&) { return FakeResponse::text(200, "other"); });
  FakeHttpServer server([&](const FakeRequest&) {
    return FakeResponse::redirect(303, other.url("/landing"));
  });
  RecordedSleeps sleeps;
  HttpClient client(fast_options(sleeps));
  HttpRequest request;
  request.method = "POST";
  request.url = server.url("/submit");
  request.body = "payload";
  request.headers = {{"Authorization", "Bearer abcdef"}, {"Content-Type", "text/plain"}};
  request.follow_redirects = true;
  CHECK(client.send(request).body == "other");
  const auto landed = other.requests();
  REQUIRE(landed.size() == 1);
  CHECK(landed[0].method == "GET");
  CHECK(landed[0].body.empty());
  CHECK_FALSE(landed[0].header("Authorization"));
}

TEST_CASE("header parsing: repeated headers, 1xx responses dropped, Link resolved", "[http]") {
  FakeHttpServer server([](const FakeRequest&) {
    FakeResponse r;
    r.raw = "HTTP/1.1 100 Continue\r\nX-Early: yes\r\n\r\n"
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nLink: <./up>;rel=\"up\"\r\n"
            "link: <https://ca.test/alt>; rel=alternate\r\nX-Empty:\r\n\r\nok";
    return r;
  });
  RecordedSleeps sleeps;
  HttpClient client(fast_options(sleeps));
  const HttpResponse r = client.get(server.url("/acme/cert/1"));
  CHECK(r.status == 200);
  CHECK(r.body == "ok");
  CHECK_FALSE(r.header("X-Early"));
  CHECK(r.header("X-Empty") == "");
  CHECK(r.header_all("LINK").size() == 2);
  CHECK(r.links("up") == std::vector<std::string>{server.url("/acme/cert/up")});
  CHECK(r.links("alternate") == std::vector<std::string>{"https://ca.test/alt"});
}

TEST_CASE("invalid requests are refused before anything is sent", "[http]") {
  RecordedSleeps sleeps;
  HttpClient client(fast_options(sleeps));
  CHECK_THROWS_AS(client.get("http://127.0.0.1:1/\r\nX: y"), NetworkError);
  CHECK_THROWS_AS(client.get("http://127.0.0.1:1/", {{"X-Bad", "a\r\nInjected: 1"}}), NetworkError);
  HttpRequest odd;
  odd.method = "GE T";
  odd.url = "http://127.0.0.1:1/";
  CHECK_THROWS_AS(client.send(odd), NetworkError);
  CHECK_THROWS_AS(client.get("ftp://127.0.0.1:1/file"), NetworkError);
}

TEST_CASE("an unreadable ca_bundle is a ConfigError at construction", "[http]") {
  HttpOptions options;
  options.ca_bundle = "/nonexistent/dns01-test-ca.pem";
  CHECK_THROWS_AS(HttpClient(options), ConfigError);
}

TEST_CASE("one client serves several threads at once", "[http]") {
  FakeHttpServer server([](const FakeRequest& r) { return FakeResponse::text(200, r.path); });
  RecordedSleeps sleeps;
  HttpClient client(fast_options(sleeps));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        const std::string path = "/t" + std::to_string(t) + "/" + std::to_string(i);
        if (client.get(server.url(path)).body == path) ++ok;
      }
    });
  for (auto& th : threads) th.join();
  CHECK(ok == 20);
  CHECK(server.request_count() == 20);
  CHECK(server.connections() <= 4);  // idle connections are picked up again
}

TEST_CASE("a body without Content-Type is not labelled as a form", "[http]") {
  FakeHttpServer server([](const FakeRequest&) { return FakeResponse::text(204); });
  RecordedSleeps sleeps;
  HttpClient client(fast_options(sleeps));
  HttpRequest put;
  put.method = "PUT";
  put.url = server.url("/records/1");
  put.body = "raw";
  CHECK(client.send(put).status == 204);
  const auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "PUT");
  CHECK(requests[0].body == "raw");
  CHECK_FALSE(requests[0].header("Content-Type"));
}
