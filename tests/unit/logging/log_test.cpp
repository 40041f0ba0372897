#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <sstream>
#include <thread>
#include <string>
#include <vector>

#include "dns01/error.hpp"
#include "dns01/log.hpp"

using namespace dns01;

namespace {

// A Logger writing into an anonymous temporary file, read back whole.
struct CapturedLog {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file{std::tmpfile(), &std::fclose};
  Logger logger;
  explicit CapturedLog(LogLevel level = LogLevel::trace, LogFormat format = LogFormat::text)
      : logger(level, format, file.get()) {
    REQUIRE(file);
  }
  std::string text() {
    std::fflush(file.get());
    std::rewind(file.get());
    std::string out;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, file.get())) > 0;) out.append(buf, n);
    return out;
  }
  std::vector<std::string> lines() {
    std::vector<std::string> out;
    std::istringstream in(text());
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }
};

}  // namespace

TEST_CASE("text lines carry a UTC timestamp, the level and the component", "[log]") {
  CapturedLog cap;
  cap.logger.info("acme", "order {} is {}", 42, "ready");
  auto lines = cap.lines();
  REQUIRE(lines.size() == 1);
  const std::string& l = lines[0];
  // 2026-11-24T08:30:00.123Z info acme: order 42 is ready
  REQUIRE(l.size() > 25);
  CHECK(l[4] == '-');
  CHECK(l[10] == 'T');
  CHECK(l[19] == '.');
  CHECK(l[23] == 'Z');
  CHECK(l.substr(24) == " info acme: order 42 is ready");
}

TEST_CASE("levels below the threshold are dropped, off drops everything", "[log]") {
  CapturedLog cap(LogLevel::warn);
  cap.logger.debug("x", "no");
  cap.logger.info("x", "no");
  cap.logger.warn("x", "yes-warn");
  cap.logger.error("x", "yes-error");
  auto lines = cap.lines();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find("warn x: yes-warn") != std::string::npos);
  CHECK(lines[1].find("error x: yes-error") != std::string::npos);
  cap.logger.set_level(LogLevel::off);
  cap.logger.error("x", "dropped");
  CHECK(cap.lines().size() == 2);
}

TEST_CASE("multi-line messages cannot forge log records", "[log]") {
  CapturedLog cap;
  cap.logger.info("x", "one\n2026-01-01T00:00:00.000Z error fake: forged\x01");
  auto lines = cap.lines();
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].rfind("    2026", 0) == 0);
  CHECK(lines[1].find("\\x01") != std::string::npos);
}

TEST_CASE("JSON lines have ts, level, component and msg", "[log]") {
  CapturedLog cap(LogLevel::info, LogFormat::json);
  cap.logger.warn("http", "retrying \"{}\"", "GET /x");
  auto lines = cap.lines();
  REQUIRE(lines.size() == 1);
  auto j = nlohmann::json::parse(lines[0]);
  CHECK(j.at("level") == "warn");
  CHECK(j.at("component") == "http");
  CHECK(j.at("msg") == "retrying \"GET /x\"");
  CHECK(j.at("ts").get<std::string>().size() == 24);
}

TEST_CASE("a token in a URL, a header or an error message never reaches the log output",
          "[log][redact]") {
  const std::string token = "tkn-0123456789-abcdefXYZ";
  Redactor::global().add_secret(token);
  for (auto format : {LogFormat::text, LogFormat::json}) {
    CapturedLog cap(LogLevel::trace, format);
    cap.logger.debug("http", "GET https://api.example/zones?api_token={}&page=1", token);
    cap.logger.trace("http", "> Authorization: Bearer {}", token);
    const Error err(ErrorCategory::provider, "cloudflare", "add record",
                    "the API rejected token " + token);
    cap.logger.error("cloudflare", "{}", err.what());
    cap.logger.info("x", R"(reply {{"access_token": "{}"}})", token);
    const std::string out = cap.text();
    CHECK(out.find(token) == std::string::npos);
    CHECK(out.find("[REDACTED]") != std::string::npos);
    CHECK(cap.lines().size() == 4);
  }
}

TEST_CASE("pattern secrets are masked in the log even when not registered", "[log][redact]") {
  CapturedLog cap;
  cap.logger.info("http", "POST https://x/?password=hunter2-unregistered failed");
  cap.logger.info("rfc2136", "key \"k\" {{ secret \"dW5yZWdpc3RlcmVk\"; }};");
  const std::string out = cap.text();
  CHECK(out.find("hunter2-unregistered") == std::string::npos);
  CHECK(out.find("dW5yZWdpc3RlcmVk") == std::string::npos);
}

TEST_CASE("parse_log_level and parse_log_format", "[log]") {
  CHECK(parse_log_level("trace") == LogLevel::trace);
  CHECK(parse_log_level("DEBUG") == LogLevel::debug);
  CHECK(parse_log_level("Info") == LogLevel::info);
  CHECK(parse_log_level("warn") == LogLevel::warn);
  CHECK(parse_log_level("warning") == LogLevel::warn);
  CHECK(parse_log_level("error") == LogLevel::error);
  CHECK(parse_log_level("off") == LogLevel::off);
  CHECK_THROWS_AS(parse_log_level("loud"), ConfigError);
  CHECK_THROWS_AS(parse_log_level(""), ConfigError);
  CHECK(std::string(log_level_name(LogLevel::warn)) == "warn");
  CHECK(parse_log_format("JSON") == LogFormat::json);
  CHECK(parse_log_format("text") == LogFormat::text);
  CHECK_THROWS_AS(parse_log_format("xml"), ConfigError);
}

TEST_CASE("lines written from several threads never interleave", "[log]") {
  CapturedLog cap(LogLevel::info, LogFormat::json);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&cap, t] {
      for (int i = 0; i < 200; ++i) cap.logger.info("t", "thread {} line {} {}", t, i, std::string(100, 'x'));
    });
  for (auto& th : threads) th.join();
  auto lines = cap.lines();
  REQUIRE(lines.size() == 800);
  for (const auto& l : lines) CHECK_NOTHROW(nlohmann::json::parse(l));
}
