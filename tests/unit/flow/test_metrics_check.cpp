// `dns01 certificates --check`: monitoring-plugin verdicts (issue 19, monitoring).
#include <catch2/catch.hpp>

#include "dns01/error.hpp"
#include "dns01/flow/expiry_check.hpp"

using namespace dns01;
using namespace dns01::flow;
using Clock = std::chrono::system_clock;

namespace {

const Clock::time_point kNow = Clock::time_point(std::chrono::seconds(1'800'000'000));

CertExpiry cert(const std::string& name, double days_left) {
  return {name, kNow + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(days_left * 86400))};
}

ExpiryCheck run(const std::vector<CertExpiry>& certs, const std::vector<UnreadableCert>& unreadable = {}) {
  return check_expiry(certs, unreadable, ExpiryThresholds{}, kNow, "/var/lib/dns01");
}

}  // namespace

TEST_CASE("thresholds read days, hours and combinations, and need a unit", "[flow][metrics]") {
  using std::chrono::hours;
  CHECK(parse_threshold("21d", "--warning") == hours(21 * 24));
  CHECK(parse_threshold("36h", "--warning") == hours(36));
  CHECK(parse_threshold("1d12h", "--warning") == hours(36));
  CHECK(parse_threshold("90m", "--warning") == std::chrono::minutes(90));
  CHECK_THROWS_AS(parse_threshold("21", "--warning"), UsageError);
  CHECK_THROWS_AS(parse_threshold("", "--warning"), UsageError);
  CHECK_THROWS_AS(parse_threshold("3w", "--critical"), UsageError);
  CHECK_THROWS_WITH(parse_threshold("21", "--critical"), Catch::Contains("--critical") && Catch::Contains("unit"));
}

TEST_CASE("all certificates far from expiry are OK, naming the next expiry", "[flow][metrics]") {
  const auto c = run({cert("web", 54.5), cert("api", 80)});
  CHECK(c.state == CheckState::ok);
  CHECK(check_exit_code(c.state) == 0);
  CHECK(c.status_line == "DNS01 OK - 2 certificates, next expiry web (54 d) | certificates=2 unreadable=0 "
                         "min_days_left=54;21:;7:");
}

TEST_CASE("a certificate within --warning is WARNING, within --critical or expired CRITICAL", "[flow][metrics]") {
  auto c = run({cert("web", 10.2), cert("api", 80)});
  CHECK(c.state == CheckState::warning);
  CHECK(check_exit_code(c.state) == 1);
  CHECK(c.status_line.starts_with("DNS01 WARNING - 1 of 2 certificates expires within 21 d: web (10 d) |"));
  CHECK(c.certs[0].state == CheckState::warning);
  CHECK(c.certs[1].state == CheckState::ok);

  c = run({cert("web", 10.2), cert("api", 0.25), cert("old", -2)});
  CHECK(c.state == CheckState::critical);
  CHECK(check_exit_code(c.state) == 2);
  CHECK(c.status_line.find("2 of 3 certificates expire within 7 d: api (6 h), old (expired)") != std::string::npos);
  CHECK(c.status_line.find("web (10 d)") != std::string::npos);
}

TEST_CASE("an unreadable certificate or none at all is UNKNOWN; CRITICAL outranks it", "[flow][metrics]") {
  auto c = run({cert("web", 10)}, {{"db", "storage: read certificate: damaged"}});
  CHECK(c.state == CheckState::unknown);
  CHECK(check_exit_code(c.state) == 3);
  CHECK(c.status_line.find("1 of 2 certificates cannot be read: db (storage: read certificate: damaged)") !=
        std::string::npos);

  c = run({cert("web", 1)}, {{"db", "damaged"}});
  CHECK(c.state == CheckState::critical);

  c = run({});
  CHECK(c.state == CheckState::unknown);
  CHECK(c.status_line == "DNS01 UNKNOWN - no certificates in /var/lib/dns01 | certificates=0 unreadable=0");
}

TEST_CASE("custom thresholds move the boundaries", "[flow][metrics]") {
  ExpiryThresholds t;
  t.warning = std::chrono::hours(24 * 100);
  t.critical = std::chrono::hours(24 * 60);
  CHECK(check_expiry({cert("web", 89)}, {}, t, kNow, "s").state == CheckState::warning);
  CHECK(check_expiry({cert("web", 59)}, {}, t, kNow, "s").state == CheckState::critical);
  CHECK(check_expiry({cert("web", 101)}, {}, t, kNow, "s").state == CheckState::ok);
  CHECK(unknown_status_line("config: line 1\nbad") == "DNS01 UNKNOWN - config: line 1 bad");
}
