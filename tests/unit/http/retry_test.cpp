// retry_delay and Retry-After parsing.
#include <catch2/catch.hpp>

#include <ctime>

#include "dns01/http.hpp"

using namespace dns01;
using namespace std::chrono_literals;

namespace {
std::string http_date(std::time_t when) {
  std::tm tm{};
  gmtime_r(&when, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

HttpResponse with_retry_after(std::string value) {
  HttpResponse r;
  r.status = 503;
  r.headers = {{"Content-Type", "text/plain"}, {"retry-after", std::move(value)}};
  return r;
}
}  // namespace

TEST_CASE("retry_delay: full jitter stays within [0, min(max_delay, base * 2^(n-1))]", "[http]") {
  RetryPolicy policy;
  policy.base_delay = 100ms;
  policy.max_delay = 1000ms;
  for (int attempt = 1; attempt <= 8; ++attempt) {
    const auto cap = std::min<long long>(1000, 100LL << (attempt - 1));
    long long largest = 0;
    for (int i = 0; i < 500; ++i) {
      const auto d = retry_delay(policy, attempt, std::nullopt);
      REQUIRE(d.count() >= 0);
      REQUIRE(d.count() <= cap);
      largest = std::max<long long>(largest, d.count());
    }
    CHECK(largest > cap / 2);  // it is jitter over the whole range, not a constant 0
  }
}

TEST_CASE("retry_delay: huge attempt numbers and zero delays do not overflow", "[http]") {
  RetryPolicy policy;
  policy.base_delay = 250ms;
  policy.max_delay = 30'000ms;
  CHECK(retry_delay(policy, 10'000, std::nullopt) <= 30'000ms);
  policy.base_delay = 0ms;
  CHECK(retry_delay(policy, 3, std::nullopt) == 0ms);
}

TEST_CASE("retry_delay: Retry-After is used as is, capped at max_delay", "[http]") {
  RetryPolicy policy;
  policy.max_delay = 30'000ms;
  CHECK(retry_delay(policy, 1, 2s) == 2000ms);
  CHECK(retry_delay(policy, 3, 0s) == 0ms);
  CHECK(retry_delay(policy, 1, 30s) == 30'000ms);
  CHECK(retry_delay(policy, 1, 3600s) == 30'000ms);
  CHECK(retry_delay(policy, 1, std::chrono::seconds{1LL << 40}) == 30'000ms);
}

TEST_CASE("Retry-After: delta-seconds", "[http]") {
  CHECK(with_retry_after("120").retry_after() == 120s);
  CHECK(with_retry_after(" 0 ").retry_after() == 0s);
  CHECK(with_retry_after("99999999999999999999999").retry_after() > 3600s);  // clamped, no UB
}

TEST_CASE("Retry-After: HTTP-date relative to now", "[http]") {
  const std::time_t now = std::time(nullptr);
  const auto ahead = with_retry_after(http_date(now + 120)).retry_after();
  REQUIRE(ahead);
  CHECK(*ahead >= 115s);
  CHECK(*ahead <= 120s);
  CHECK(with_retry_after(http_date(now - 3600)).retry_after() == 0s);  // past: retry now
}

TEST_CASE("Retry-After: absent or garbage gives nullopt", "[http]") {
  CHECK_FALSE(HttpResponse{}.retry_after());
  CHECK_FALSE(with_retry_after("").retry_after());
  CHECK_FALSE(with_retry_after("soon").retry_after());
  CHECK_FALSE(with_retry_after("-5").retry_after());
}
