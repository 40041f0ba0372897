// RecordPublisher with in-process providers (ProviderSet::from_providers) writing into a zone a
// loopback FakeDnsServer serves: a failed batch leaves nothing behind, the journal line comes
// before the add, a stop between instances cleans up, and Hints::max_batch chunks the batches.
#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>
#include <sstream>

#include "dns01/flow/records.hpp"
#include "dns01/signals.hpp"
#include "temp_dir.hpp"
#include "test_engine_fakes.hpp"

using namespace dns01;
using namespace dns01::flow;
using namespace std::chrono_literals;
using dns01::test::FakeDnsServer;
using dns01::test::ProviderLog;
using dns01::test::TxtZones;

namespace {

struct Fixture {
  TxtZones zones{{"a.test", "b.test"}};
  FakeDnsServer dns{[this](const dns01::test::DnsQuery& q) { return zones(q); }};
  ProviderLog log_a, log_b;
  dns01::test::TempDir dir;
  std::optional<plugins::ProviderSet> providers;
  std::optional<propagation::Checker> checker;
  std::optional<RecordJournal> journal;

  explicit Fixture(std::uint32_t max_batch = 0) {
    std::vector<plugins::InProcessProvider> list;
    list.push_back(dns01::test::fake_instance("a", {"a.test"}, zones, log_a, max_batch));
    list.push_back(dns01::test::fake_instance("b", {"b.test"}, zones, log_b, max_batch));
    providers.emplace(plugins::ProviderSet::from_providers(std::move(list)));
    PropagationSettings s;
    s.nameservers.push_back(Endpoint{"127.0.0.1", dns.port()});
    s.timeout = 5s;
    checker.emplace(s);
    journal.emplace(dir.path() / "journal");
  }
  std::string journal_text() const {
    std::ifstream in(journal->path());
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
};

const std::vector<ChallengeRecord> kRecords = {
    {"_acme-challenge.x.a.test", "va1", "x.a.test"},
    {"_acme-challenge.y.a.test", "va2", "y.a.test"},
    {"_acme-challenge.x.b.test", "vb1", "x.b.test"},
};

}  // namespace

TEST_CASE("RecordPublisher: a failed batch still leaves no record behind", "[flow][records]") {
  Fixture f;
  f.log_b.on_add_all = [](const std::vector<provider::TxtRecord>&) {
    return provider::Status::failure(provider::StatusCode::denied, "add", "the server answered REFUSED");
  };
  RecordPublisher publisher(*f.providers, *f.checker, *f.journal);
  CHECK_THROWS_AS(publisher.present(kRecords), Error);
  CHECK(f.zones.count() == 2);  // instance a's records went out before b failed
  const auto errors = publisher.cleanup();
  CHECK(errors.empty());
  CHECK(f.zones.count() == 0);
  CHECK(f.log_a.removed.size() == 2);
  CHECK(f.log_b.removed.size() == 1);  // the failed batch counts as "maybe added"
  CHECK(f.journal->pending().empty());
}

TEST_CASE("RecordPublisher: the journal line is written before add_all", "[flow][records]") {
  Fixture f;
  std::vector<std::string> seen_in_journal;
  f.log_a.on_add_all = [&](const std::vector<provider::TxtRecord>& records) {
    const std::string text = f.journal_text();
    for (const auto& r : records)
      if (text.find(r.value) != std::string::npos) seen_in_journal.push_back(r.value);
    return provider::Status::success();
  };
  RecordPublisher publisher(*f.providers, *f.checker, *f.journal);
  publisher.present(kRecords);
  CHECK(seen_in_journal == std::vector<std::string>{"va1", "va2"});
  CHECK(f.journal->pending().size() == 3);
  auto check = publisher.wait();
  CHECK(check.ok);
  CHECK(publisher.cleanup().empty());
  CHECK(f.journal->pending().empty());
  CHECK(f.zones.count() == 0);
}

TEST_CASE("RecordPublisher: a stop between two instances removes what went out", "[flow][records]") {
  Fixture f;
  StopOnSignals stop;
  f.log_a.on_add_all = [](const std::vector<provider::TxtRecord>&) {
    std::raise(SIGINT);  // the handler only sets the flag
    return provider::Status::success();
  };
  RecordPublisher publisher(*f.providers, *f.checker, *f.journal);
  CHECK_THROWS_AS(publisher.present(kRecords), InterruptedError);
  CHECK(f.log_b.add_batches.empty());  // b was never asked
  CHECK(f.zones.count() == 2);
  CHECK(publisher.cleanup().empty());
  CHECK(f.zones.count() == 0);
  CHECK(f.journal->pending().empty());
}

TEST_CASE("RecordPublisher: Hints::max_batch splits one instance's batch", "[flow][records]") {
  Fixture f(2);
  std::vector<ChallengeRecord> records;
  for (int i = 0; i < 5; ++i)
    records.push_back({"_acme-challenge.h" + std::to_string(i) + ".a.test", "v" + std::to_string(i), ""});
  RecordPublisher publisher(*f.providers, *f.checker, *f.journal);
  publisher.present(records);
  CHECK(f.log_a.add_batches == std::vector<std::size_t>{2, 2, 1});
  CHECK(f.zones.count() == 5);
  CHECK(publisher.cleanup().empty());
  CHECK(f.zones.count() == 0);
}

TEST_CASE("RecordPublisher::present_each: a failed instance fails only its records", "[flow][records]") {
  Fixture f;
  f.log_b.on_add_all = [](const std::vector<provider::TxtRecord>&) {
    return provider::Status::failure(provider::StatusCode::denied, "add", "the server answered REFUSED");
  };
  std::vector<ChallengeRecord> records = kRecords;
  records.push_back({"_acme-challenge.x.nowhere.test", "vn", ""});  // no provider serves it
  RecordPublisher publisher(*f.providers, *f.checker, *f.journal);
  const auto failures = publisher.present_each(records);
  REQUIRE(failures.size() == 4);
  CHECK_FALSE(failures[0]);
  CHECK_FALSE(failures[1]);
  CHECK(failures[2]);
  CHECK(failures[3]);
  CHECK_THROWS_AS(std::rethrow_exception(failures[3]), ConfigError);
  CHECK(f.zones.count() == 2);
  CHECK(publisher.cleanup().empty());
  CHECK(f.zones.count() == 0);
}

TEST_CASE("place_record with a pinned instance", "[flow][records]") {
  Fixture f;
  CHECK(place_record(*f.providers, *f.checker, "_acme-challenge.x.a.test", "a").instance->config().name == "a");
  CHECK_THROWS_AS(place_record(*f.providers, *f.checker, "_acme-challenge.x.a.test", "b"), ConfigError);
  CHECK_THROWS_AS(place_record(*f.providers, *f.checker, "_acme-challenge.x.a.test", "missing"), ConfigError);
}
