// Request logging: one debug line per request, headers at trace, secrets never written.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "http/fake_http_server.hpp"
#include "http_test_util.hpp"

using namespace dns01;
using namespace dns01::test;

namespace {
struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

// Runs fn with a Logger writing to a temporary file, returns what was written.
std::string capture(LogLevel level, const std::function<void(HttpOptions&)>& fn) {
  std::unique_ptr<std::FILE, FileCloser> file{std::tmpfile()};
  REQUIRE(file);
  Logger logger(level, LogFormat::text, file.get());
  RecordedSleeps sleeps;
  HttpOptions options = fast_options(sleeps);
  options.logger = &logger;
  fn(options);
  std::fflush(file.get());
  std::rewind(file.get());
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, file.get())) out.append(buf, n);
  return out;
}
}  // namespace

TEST_CASE("trace logging redacts Authorization, X-Auth-* and ?token= but keeps the rest",
          "[http]") {
  FakeHttpServer server([](const FakeRequest&) {
    FakeResponse r = FakeResponse::json(200, R"({"status":"valid"})");
    r.headers.emplace_back("Set-Cookie", "session=cookie-secret-42");
    r.headers.emplace_back("Replay-Nonce", "visible-nonce");
    return r;
  });
  const std::string log = capture(LogLevel::trace, [&](HttpOptions& options) {
    HttpClient client(options);
    client.get(server.url("/zones?token=tok-secret-99&page=2"),
               {{"Authorization", "Bearer auth-secret-77"}, {"X-Auth-Key", "key-secret-55"}});
  });
  for (const char* secret :
       {"tok-secret-99", "auth-secret-77", "key-secret-55", "cookie-secret-42"})
    CHECK_THAT(log, !Catch::Contains(secret));
  CHECK_THAT(log, Catch::Contains("Authorization: [REDACTED]"));
  CHECK_THAT(log, Catch::Contains("X-Auth-Key: [REDACTED]"));
  CHECK_THAT(log, Catch::Contains("token=[REDACTED]&page=2"));
  CHECK_THAT(log, Catch::Contains("Replay-Nonce: visible-nonce"));
  CHECK_THAT(log, Catch::Contains("-> 200 ("));
  // The server did receive the real credentials: only the log is redacted.
  CHECK(server.requests().at(0).header("Authorization") == "Bearer auth-secret-77");
}

TEST_CASE("debug logging is one line per request, without headers or bodies", "[http]") {
  FakeHttpServer server([](const FakeRequest&) {
    return FakeResponse::json(201, R"({"body-marker":1})");
  });
  const std::string log = capture(LogLevel::debug, [&](HttpOptions& options) {
    HttpClient client(options);
    client.post(server.url("/new-order?sig=abc-signature-1"), R"({"request-marker":1})",
                {{"Authorization", "Bearer auth-secret-78"}});
  });
  CHECK_THAT(log, Catch::Contains("POST " + server.url("/new-order?sig=[REDACTED]") +
                                  " -> 201 ("));
  CHECK(std::count(log.begin(), log.end(), '\n') == 1);
  for (const char* hidden : {"abc-signature-1", "auth-secret-78", "body-marker", "request-marker"})
    CHECK_THAT(log, !Catch::Contains(hidden));
}
