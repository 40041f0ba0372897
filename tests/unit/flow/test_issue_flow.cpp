// issue() and run_engine() through their seams (IssueServices): in-process providers writing a
// zone a loopback FakeDnsServer serves, a scripted CA, the real publisher, journal, checker and
// store. Run once under ThreadSanitizer too (docs/development.md).
#include <catch2/catch.hpp>

#include <condition_variable>

#include "dns01/flow/issue.hpp"
#include "temp_dir.hpp"
#include "test_engine_fakes.hpp"

using namespace dns01;
using namespace dns01::flow;
using namespace std::chrono_literals;
using dns01::test::FakeCa;
using dns01::test::FakeDnsServer;
using dns01::test::ProviderLog;
using dns01::test::TxtZones;

namespace {

struct World {
  TxtZones zones{{"a.test", "b.test"}};
  FakeDnsServer dns{[this](const dns01::test::DnsQuery& q) { return zones(q); }};
  ProviderLog log_a, log_b;
  FakeCa ca;
  dns01::test::TempDir dir;
  Config config;

  World() {
    config.storage.dir = dir.path() / "storage";
    config.propagation.nameservers.push_back(Endpoint{"127.0.0.1", dns.port()});
    config.propagation.timeout = 5s;
  }
  IssueServices services() {
    IssueServices s;
    s.providers = [this](const Config&) {
      std::vector<plugins::InProcessProvider> list;
      list.push_back(dns01::test::fake_instance("a", {"a.test"}, zones, log_a));
      list.push_back(dns01::test::fake_instance("b", {"b.test"}, zones, log_b));
      return plugins::ProviderSet::from_providers(std::move(list));
    };
    s.ca = [this](const Config&, const CaRequest&) { return std::make_unique<dns01::test::FakeAccount>(ca); };
    return s;
  }
  static IssueOptions request(std::vector<std::string> domains) {
    IssueOptions o;
    o.domains = std::move(domains);
    o.server = "https://ca.test/directory";
    o.agree_tos = true;
    return o;
  }
};

}  // namespace

TEST_CASE("issue(): records presented, checked, removed; the certificate stored", "[flow][issue]") {
  World w;
  const IssueResult r = issue(w.config, World::request({"a.test", "*.a.test"}), EngineOptions{}, w.services());
  CHECK(r.status == IssueStatus::issued);
  CHECK(r.cert_name == "a.test");
  CHECK(r.records.size() == 2);
  CHECK(r.version == 1);
  CHECK(std::filesystem::exists(r.paths.fullchain));
  CHECK(w.zones.count() == 0);
  CHECK(w.log_a.add_batches == std::vector<std::size_t>{2});  // one batch for both values
  CHECK(r.cleanup_errors.empty());
  // Same names again: not due, nothing ordered.
  const IssueResult again = issue(w.config, World::request({"a.test", "*.a.test"}), EngineOptions{}, w.services());
  CHECK(again.status == IssueStatus::not_due);
  CHECK(w.ca.orders == 1);
}

TEST_CASE("issue(): a failed finalize throws only after the record removal finished", "[flow][issue]") {
  World w;
  w.ca.fail_finalize.insert("a.test");
  // The removal runs concurrently with finalize: hold it until finalize has started, so it is
  // still running when finalize fails. issue() must wait for it before it throws.
  std::mutex m;
  std::condition_variable cv;
  bool finalize_started = false;
  w.ca.during_finalize = [&] {
    const std::lock_guard lock(m);
    finalize_started = true;
    cv.notify_all();
  };
  w.log_a.on_remove_all = [&] {
    std::unique_lock lock(m);
    cv.wait_for(lock, 5s, [&] { return finalize_started; });
  };
  CHECK_THROWS_AS(issue(w.config, World::request({"a.test"}), EngineOptions{}, w.services()), AcmeError);
  CHECK(finalize_started);
  CHECK(w.zones.count() == 0);
  {
    const std::lock_guard lock(w.log_a.mutex);
    CHECK(w.log_a.removed.size() == 1);
  }
  CHECK_FALSE(std::filesystem::exists(w.config.storage.dir / "live" / "a.test"));
}

TEST_CASE("run_engine: one refusing provider fails its lineage, the others are issued", "[flow][engine]") {
  World w;
  w.log_b.on_add_all = [](const std::vector<provider::TxtRecord>&) {
    return provider::Status::failure(provider::StatusCode::denied, "add", "the server answered REFUSED");
  };
  EngineOptions options;
  options.concurrency = 4;
  const std::vector<IssueOptions> requests = {World::request({"a.test", "*.a.test"}), World::request({"x.b.test"}),
                                              World::request({"y.a.test"}), World::request({"z.a.test"})};
  EngineRun run = run_engine(w.config, requests, options, w.services());
  REQUIRE(run.lineages.size() == 4);
  CHECK(run.lineages[0].ok());
  CHECK_FALSE(run.lineages[1].ok());
  CHECK(run.lineages[1].error_category == ErrorCategory::provider);
  CHECK(run.lineages[1].cert_name == "x.b.test");
  CHECK(run.lineages[2].ok());
  CHECK(run.lineages[3].ok());
  CHECK_FALSE(run.ok());
  CHECK(run.exit_code() == exit_code(ErrorCategory::provider));
  CHECK(w.ca.accounts == 1);  // one account for the CA, however many lineages
  CHECK(w.ca.orders == 4);
  CHECK(w.ca.finalizes == 3);
  CHECK(w.log_a.add_batches == std::vector<std::size_t>{4});  // every record of instance a in one batch
  CHECK(w.zones.count() == 0);
  // A second run places no order for the issued lineages.
  w.log_b.on_add_all = nullptr;
  EngineRun again = run_engine(w.config, requests, options, w.services());
  CHECK(again.ok());
  CHECK(again.orders == 1);  // only x.b.test
  CHECK(again.lineages[0].result->status == IssueStatus::not_due);
  CHECK(again.lineages[1].result->status == IssueStatus::issued);
}

TEST_CASE("run_engine: a name outside a pinned provider fails before any order", "[flow][engine]") {
  World w;
  IssueOptions pinned = World::request({"x.a.test"});
  pinned.provider = "b";
  IssueOptions good = World::request({"y.a.test"});
  good.provider = "a";
  EngineRun run = run_engine(w.config, {pinned, good}, EngineOptions{}, w.services());
  CHECK_FALSE(run.lineages[0].ok());
  CHECK(run.lineages[0].error_category == ErrorCategory::config);
  CHECK(run.lineages[1].ok());
  CHECK(w.ca.orders == 1);
}
