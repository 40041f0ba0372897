// Hook modes (flow/hookmodes/): record files, the certbot batch and lego's argument forms. The
// httpreq server has its own file (test_httpreq_server.cpp). The DNS side (present/wait/remove through real providers) is proven end to end in
// tests/e2e/test_hooks_*.py against BIND with the real clients.
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>

#include "dns01/acme/jws.hpp"
#include "dns01/error.hpp"
#include "dns01/flow/hookmodes/records.hpp"
#include "temp_dir.hpp"

using namespace dns01;
using namespace std::chrono_literals;
using dns01::test::TempDir;

namespace {

flow::HookRecord sample(const std::string& name, const std::string& value) {
  flow::HookRecord r;
  r.client = flow::HookClient::certbot;
  r.domain = name;
  r.record_name = "_acme-challenge." + name;
  r.effective_name = r.record_name;
  r.zone = "example.test";
  r.provider = "internal";
  r.value = value;
  r.owner_pid = 4242;
  return r;
}

}  // namespace

TEST_CASE("hook records round-trip through their files, oldest first", "[hooks]") {
  TempDir tmp("dns01-hooks");
  flow::HookRecordStore store(flow::hook_records_dir(tmp.path() / "journal"));
  CHECK(store.list().empty());  // no directory yet: nothing, no error

  auto older = sample("example.test", "apex-value");
  older.created = std::chrono::system_clock::now() - 10s;
  auto newer = sample("example.test", "wildcard-value");
  store.save(newer);
  store.save(older);
  CHECK(!newer.id.empty());
  CHECK(newer.id != older.id);
  CHECK(std::filesystem::exists(tmp.path() / "journal" / "hooks" / (newer.id + ".json")));
  CHECK((std::filesystem::status(store.dir()).permissions() & std::filesystem::perms::others_all) ==
        std::filesystem::perms::none);

  auto all = store.list();
  REQUIRE(all.size() == 2);
  CHECK(all[0].value == "apex-value");
  CHECK(all[1].value == "wildcard-value");
  CHECK(all[1].owner_pid == 4242);
  CHECK(all[1].provider == "internal");
  CHECK(std::chrono::abs(all[1].created - newer.created) < 1ms);

  store.erase(older);
  store.erase(older);  // absent: fine
  all = store.list();
  REQUIRE(all.size() == 1);
  CHECK(all[0].id == newer.id);
}

TEST_CASE("hook record listing skips foreign and malformed files", "[hooks]") {
  TempDir tmp("dns01-hooks");
  flow::HookRecordStore store(tmp.path() / "hooks");
  auto r = sample("example.test", "v1");
  store.save(r);
  std::ofstream(store.dir() / "garbage.json") << "{not json";
  std::ofstream(store.dir() / "partial.json") << R"({"id":"x","value":"v"})";
  std::ofstream(store.dir() / ".tmp.json.123.tmp") << "{}";
  std::ofstream(store.dir() / "notes.txt") << "hello";
  auto all = store.list();
  REQUIRE(all.size() == 1);
  CHECK(all[0].id == r.id);
}

TEST_CASE("old hook records are swept; young ones stay; unroutable ones are reported", "[hooks]") {
  TempDir tmp("dns01-hooks");
  flow::HookRecordStore store(tmp.path() / "hooks");
  auto young = sample("example.test", "young");
  store.save(young);
  auto old = sample("example.test", "old");
  old.created = std::chrono::system_clock::now() - 3h;
  old.provider = "gone";
  store.save(old);
  auto providers = plugins::ProviderSet::load({});  // no instance serves anything
  auto sweep = flow::sweep_hook_records(store, providers, 2h);
  CHECK(sweep.found == 1);
  CHECK(sweep.removed.empty());
  REQUIRE(sweep.errors.size() == 1);
  CHECK_THAT(sweep.errors[0], Catch::Contains("_acme-challenge.example.test"));
  CHECK(store.list().size() == 2);  // kept for the next sweep
  // With a max age of zero both count as old; still nothing can route them.
  CHECK(flow::sweep_hook_records(store, providers, 0ms).found == 2);
}

TEST_CASE("challenge record names from identifiers", "[hooks]") {
  CHECK(flow::challenge_record_name("example.test") == "_acme-challenge.example.test");
  CHECK(flow::challenge_record_name("*.Example.Test.") == "_acme-challenge.example.test");
  CHECK_THROWS_AS(flow::challenge_record_name(""), UsageError);
  CHECK_THROWS_AS(flow::challenge_record_name("*."), UsageError);
  CHECK_THROWS_AS(flow::challenge_record_name("bad name.test"), UsageError);
}

TEST_CASE("lego's exec arguments: default and RAW", "[hooks]") {
  auto plain = flow::lego_request({"_acme-challenge.example.test.", "abc"}, flow::HookClient::lego_exec);
  CHECK(plain.record_name == "_acme-challenge.example.test.");
  CHECK(plain.value == "abc");
  CHECK(plain.domain.empty());

  const std::string key_auth = "token123.thumbprint456";
  auto raw = flow::lego_request({"example.test", "token123", key_auth}, flow::HookClient::lego_exec);
  CHECK(raw.domain == "example.test");
  CHECK(raw.record_name == "_acme-challenge.example.test");
  CHECK(raw.value == acme::dns01_txt_value(key_auth));
  CHECK(raw.value.size() == 43);

  CHECK_THROWS_AS(flow::lego_request({"only-one"}, flow::HookClient::unknown), UsageError);
  CHECK_THROWS_AS(flow::lego_request({"a", "b", "c", "d"}, flow::HookClient::unknown), UsageError);
  CHECK_THROWS_AS(flow::lego_request({"example.test", "token", "other.thumb"}, flow::HookClient::unknown), UsageError);
  CHECK_THROWS_AS(flow::lego_request({"_acme-challenge.example.test.", ""}, flow::HookClient::unknown), UsageError);
}

TEST_CASE("hook clients: enum in memory, the same strings on disk, old files still read", "[hooks]") {
  for (auto c : {flow::HookClient::certbot, flow::HookClient::lego_exec, flow::HookClient::httpreq})
    CHECK(flow::parse_hook_client(flow::to_string(c)) == c);
  CHECK(flow::to_string(flow::HookClient::lego_exec) == "lego-exec");
  CHECK(flow::parse_hook_client("Certbot") == flow::HookClient::unknown);

  TempDir tmp("dns01-hooks");
  flow::HookRecordStore store(tmp.path() / "hooks");
  auto r = sample("example.test", "v1");
  r.client = flow::HookClient::lego_exec;
  store.save(r);
  std::ifstream in(store.dir() / (r.id + ".json"));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK_THAT(text, Catch::Contains(R"("client":"lego-exec")"));
  // A file as an earlier dns01 wrote it (and one from a client this version does not know).
  std::ofstream(store.dir() / "1700000000000-1-00000001.json")
      << R"({"version":1,"id":"1700000000000-1-00000001","client":"httpreq","domain":"",)"
      << R"("record_name":"_acme-challenge.a.test","effective_name":"_acme-challenge.a.test",)"
      << R"("zone":"a.test","provider":"internal","value":"v0","owner_pid":7,"created_ms":1700000000000})";
  std::ofstream(store.dir() / "1700000000001-1-00000002.json")
      << R"({"version":1,"id":"1700000000001-1-00000002","client":"acme.sh","domain":"",)"
      << R"("record_name":"_acme-challenge.b.test","effective_name":"_acme-challenge.b.test",)"
      << R"("zone":"b.test","provider":"internal","value":"v2","created_ms":1700000000001})";
  const auto all = store.list();
  REQUIRE(all.size() == 3);
  CHECK(all[0].client == flow::HookClient::httpreq);
  CHECK(all[0].owner_pid == 7);
  CHECK(all[1].client == flow::HookClient::unknown);
  CHECK(all[2].client == flow::HookClient::lego_exec);
}

TEST_CASE("certbot batch: this run's records for this order's names, newest last", "[hooks]") {
  TempDir tmp("dns01-hooks");
  flow::HookRecordStore store(tmp.path() / "hooks");
  const auto now = std::chrono::system_clock::now();
  auto save = [&](const std::string& domain, const std::string& value, long owner,
                  std::chrono::system_clock::duration age, flow::HookClient client = flow::HookClient::certbot) {
    auto r = sample(domain, value);
    r.owner_pid = owner;
    r.client = client;
    r.created = now - age;
    store.save(r);
    return r;
  };
  const auto apex = save("example.test", "apex", 100, 2s);
  save("example.test", "other-run", 200, 1s);                              // another certbot
  save("www.example.test", "stale", 100, 2h);                              // an earlier run
  save("other.test", "other-name", 100, 1s);                               // not in this order
  save("www.example.test", "lego", 100, 1s, flow::HookClient::lego_exec);  // not certbot
  const auto unknown_owner = save("www.example.test", "no-pid", 0, 1s);    // PID unknown: kept
  const auto last = save("*.example.test", "wild", 100, 0s);

  const std::vector<std::string> domains = {"example.test", "www.example.test", "*.example.test"};
  auto batch = flow::certbot_batch(store, last, domains, 100, now);
  REQUIRE(batch.size() == 3);
  CHECK(batch[0].id == apex.id);
  CHECK(batch[1].id == unknown_owner.id);
  CHECK(batch[2].id == last.id);
  // Without a known owner every certbot record of these names counts.
  CHECK(flow::certbot_batch(store, last, domains, 0, now).size() == 4);
}
