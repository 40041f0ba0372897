// Status files, the Prometheus textfile and the failure hook's environment (issue 19, monitoring).
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

#include "dns01/error.hpp"
#include "dns01/flow/failure_hook.hpp"
#include "dns01/flow/issue.hpp"
#include "dns01/flow/metrics.hpp"
#include "dns01/flow/run_status.hpp"
#include "dns01/log.hpp"
#include "temp_dir.hpp"
#include "test_certs.hpp"

using namespace dns01;
using namespace dns01::flow;
using Clock = std::chrono::system_clock;

namespace {

Clock::time_point at(long long unix_seconds) { return Clock::time_point(std::chrono::seconds(unix_seconds)); }

void store_cert(const CertStore& store, const std::string& name, Clock::time_point not_before,
                Clock::time_point not_after) {
  test::TestCertSpec spec;
  spec.names = {name + ".example.test"};
  spec.not_before = not_before;
  spec.not_after = not_after;
  const auto cert = test::make_test_cert(spec);
  CertStore(store).save(name, {cert.pem, "", cert.pem, cert.key_pem});
}

LineageAttempt attempt(const std::string& name, bool ok, long long finished) {
  LineageAttempt a;
  a.name = name;
  a.started = at(finished - 3);
  a.finished = at(finished);
  a.ok = ok;
  if (!ok) {
    a.error_category = "acme";
    a.error = "acme: new order: rateLimited";
  }
  a.phases = {{"order", 812}, {"propagation", 2125}};
  a.propagation_seconds = 2.125;
  return a;
}

// The sample lines of one metric family ("name{labels} value"), in file order.
std::vector<std::string> samples(const std::string& text, const std::string& family) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(family + "{", 0) == 0 || line.rfind(family + " ", 0) == 0) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("label values are escaped as the exposition format requires", "[flow][metrics]") {
  CHECK(escape_label_value("web") == "web");
  CHECK(escape_label_value("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
}

TEST_CASE("status files keep the last success across failed attempts", "[flow][metrics]") {
  test::TempDir dir;
  const CertStore store(dir.path());
  record_attempt(store, attempt("web", true, 1'800'000'000));
  record_attempt(store, attempt("web", false, 1'800'003'600));
  const auto s = read_status(store, "web");
  REQUIRE(s);
  CHECK_FALSE(s->last_attempt.ok);
  CHECK(s->last_attempt.error_category == "acme");
  CHECK(s->last_attempt.finished == at(1'800'003'600));
  REQUIRE(s->last_success);
  CHECK(*s->last_success == at(1'800'000'000));
  CHECK(s->pid == static_cast<long>(::getpid()));
  REQUIRE(s->last_attempt.phases.size() == 2);
  struct stat st {};
  REQUIRE(::stat(status_file(store, "web").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  // A damaged file is no status (and the next attempt replaces it)
  test::TempDir other;
  const CertStore broken(other.path());
  std::filesystem::create_directories(other.path() / "status");
  other.write("status/web.json", "{\"last_attempt\": ");
  CHECK_FALSE(read_status(broken, "web"));
  record_attempt(broken, attempt("web", false, 1'800'000'000));
  CHECK_FALSE(read_status(broken, "web")->last_success);
}

TEST_CASE("a stored error message is redacted", "[flow][metrics]") {
  test::TempDir dir;
  const CertStore store(dir.path());
  Redactor::global().add_secret("s3cr3t-token-value");
  auto a = attempt("web", false, 1'800'000'000);
  a.error = "provider: add record: token s3cr3t-token-value refused";
  record_attempt(store, a);
  CHECK(read_status(store, "web")->last_attempt.error.find("s3cr3t") == std::string::npos);
  Redactor::global().clear();
}

TEST_CASE("phase_durations lists the phases that ran, in flow order", "[flow][metrics]") {
  PhaseTimings t;
  t.order = 5;
  t.propagation = 2000;
  t.total = 9999;
  const auto phases = phase_durations(t);
  REQUIRE(phases.size() == 2);
  CHECK(phases[0].phase == "order");
  CHECK(phases[1].phase == "propagation");
  CHECK(phases[1].ms == 2000);
}

TEST_CASE("the metrics file has every family once, with the lineages' values", "[flow][metrics]") {
  test::TempDir dir;
  const CertStore store(dir.path());
  store_cert(store, "web", at(1'790'000'000), at(1'797'776'000));
  store_cert(store, "db", at(1'790'000'000), at(1'797'776'000));
  // db's certificate becomes unreadable (a damaged archive file behind the live link)
  {
    std::ofstream damaged(std::filesystem::canonical(dir.path() / "live" / "db" / "cert.pem"), std::ios::trunc);
    damaged << "-----BEGIN CERTIFICATE-----\ngarbage\n";
  }
  record_attempt(store, attempt("web", true, 1'790'000'100));
  record_attempt(store, attempt("web", false, 1'790'003'700));
  record_attempt(store, attempt("newhost", false, 1'790'000'200));  // first issuance keeps failing
  record_attempt(store, attempt("deleted", true, 1'780'000'000));   // lineage gone since

  const std::string text = render_metrics(store, at(1'790'005'000));
  CHECK(samples(text, "dns01_certificate_readable") ==
        std::vector<std::string>{"dns01_certificate_readable{cert_name=\"db\"} 0",
                                 "dns01_certificate_readable{cert_name=\"web\"} 1"});
  CHECK(samples(text, "dns01_certificate_not_after_timestamp_seconds") ==
        std::vector<std::string>{"dns01_certificate_not_after_timestamp_seconds{cert_name=\"web\"} 1797776000"});
  CHECK(samples(text, "dns01_certificate_not_before_timestamp_seconds") ==
        std::vector<std::string>{"dns01_certificate_not_before_timestamp_seconds{cert_name=\"web\"} 1790000000"});
  CHECK(samples(text, "dns01_last_result") ==
        std::vector<std::string>{"dns01_last_result{cert_name=\"newhost\"} 0", "dns01_last_result{cert_name=\"web\"} 0"});
  CHECK(samples(text, "dns01_last_attempt_timestamp_seconds") ==
        std::vector<std::string>{"dns01_last_attempt_timestamp_seconds{cert_name=\"newhost\"} 1790000200",
                                 "dns01_last_attempt_timestamp_seconds{cert_name=\"web\"} 1790003700"});
  CHECK(samples(text, "dns01_last_success_timestamp_seconds") ==
        std::vector<std::string>{"dns01_last_success_timestamp_seconds{cert_name=\"web\"} 1790000100"});
  CHECK(samples(text, "dns01_last_phase_duration_seconds") ==
        std::vector<std::string>{
            "dns01_last_phase_duration_seconds{cert_name=\"newhost\",phase=\"order\"} 0.812",
            "dns01_last_phase_duration_seconds{cert_name=\"newhost\",phase=\"propagation\"} 2.125",
            "dns01_last_phase_duration_seconds{cert_name=\"web\",phase=\"order\"} 0.812",
            "dns01_last_phase_duration_seconds{cert_name=\"web\",phase=\"propagation\"} 2.125"});
  CHECK(samples(text, "dns01_last_propagation_seconds").size() == 2);
  CHECK(samples(text, "dns01_metrics_generated_timestamp_seconds") ==
        std::vector<std::string>{"dns01_metrics_generated_timestamp_seconds 1790005000"});
  CHECK(text.find("deleted") == std::string::npos);
  // HELP and TYPE exactly once per family, before its samples
  for (const char* family : {"dns01_certificate_readable", "dns01_certificate_not_after_timestamp_seconds",
                             "dns01_last_result", "dns01_last_phase_duration_seconds",
                             "dns01_metrics_generated_timestamp_seconds"}) {
    const std::string help = std::string("# HELP ") + family + " ";
    const std::string type = std::string("# TYPE ") + family + " gauge\n";
    INFO(family);
    REQUIRE(text.find(help) != std::string::npos);
    CHECK(text.find(help) == text.rfind(help));
    CHECK(text.find(type) > text.find(help));
    CHECK(text.find("\n" + std::string(family), text.find(type)) != std::string::npos);
  }
}

TEST_CASE("write_metrics_file replaces the file atomically with mode 0644", "[flow][metrics]") {
  test::TempDir dir, out;
  const CertStore store(dir.path());
  const auto path = out / "dns01.prom";
  out.write("dns01.prom", "old", 0600);
  write_metrics_file(store, path);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
  CHECK(std::distance(std::filesystem::directory_iterator(out.path()), std::filesystem::directory_iterator()) == 1);
  CHECK_THROWS_AS(write_metrics_file(store, out / "missing-dir" / "dns01.prom"), StorageError);
}

TEST_CASE("failed lineages are this process's failed attempts since the run began", "[flow][metrics]") {
  test::TempDir dir;
  const CertStore store(dir.path());
  const auto run_start = at(1'800'000'000);
  record_attempt(store, attempt("before", false, 1'799'999'000));  // an earlier run
  record_attempt(store, attempt("web", false, 1'800'000'010));
  record_attempt(store, attempt("api", true, 1'800'000'020));
  record_attempt(store, attempt("db", false, 1'800'000'030));
  CHECK(failed_lineages(store, run_start) == std::vector<std::string>{"db", "web"});

  Redactor::global().add_secret("hunter2-secret-value");
  FailedRun run{"renew", 5, "acme", "acme: finalize: hunter2-secret-value\nsecond line", run_start};
  const auto env = failure_hook_env(run, &store);
  CHECK(env.at("DNS01_COMMAND") == "renew");
  CHECK(env.at("DNS01_EXIT_CODE") == "5");
  CHECK(env.at("DNS01_ERROR_CATEGORY") == "acme");
  CHECK(env.at("DNS01_FAILED_LINEAGES") == "db web");
  CHECK(env.at("DNS01_ERROR").find("hunter2") == std::string::npos);
  CHECK(env.at("DNS01_ERROR").find('\n') == std::string::npos);
  CHECK(failure_hook_env(run, nullptr).at("DNS01_FAILED_LINEAGES").empty());
  Redactor::global().clear();
}
