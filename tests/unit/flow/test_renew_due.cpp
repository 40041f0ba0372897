#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include "dns01/flow/renew.hpp"
#include "temp_dir.hpp"
#include "test_certs.hpp"

using namespace dns01;
using namespace dns01::flow;
using Clock = std::chrono::system_clock;
using std::chrono::hours;

namespace {

constexpr hours kDay{24};

CertInfo cert_valid_for(hours lifetime, Clock::time_point not_before) {
  CertInfo c;
  c.not_before = not_before;
  c.not_after = not_before + lifetime;
  c.ari_cert_id = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE";
  return c;
}

const Clock::time_point kT0 = Clock::from_time_t(1767225600);  // 2026-01-01T00:00:00Z

}  // namespace

TEST_CASE("without ARI a certificate is due with less than a third of its lifetime left", "[flow]") {
  const CertInfo c = cert_valid_for(90 * kDay, kT0);
  auto d = renewal_due(c, std::nullopt, kT0 + 59 * kDay);
  CHECK_FALSE(d.due);
  CHECK(d.reason == "31 of 90 days left");
  CHECK_FALSE(d.ari);
  d = renewal_due(c, std::nullopt, kT0 + 61 * kDay);
  CHECK(d.due);
  CHECK(d.reason == "29 of 90 days left");
  d = renewal_due(c, std::nullopt, kT0 + 93 * kDay);
  CHECK(d.due);
  CHECK(d.reason == "expired 3 days ago");
}

TEST_CASE("short-lived certificates renew at half their lifetime", "[flow]") {
  const CertInfo c = cert_valid_for(6 * kDay, kT0);
  CHECK_FALSE(renewal_due(c, std::nullopt, kT0 + 2 * kDay).due);
  CHECK(renewal_due(c, std::nullopt, kT0 + 3 * kDay + hours(1)).due);
}

TEST_CASE("with ARI the CA's window decides", "[flow]") {
  const CertInfo c = cert_valid_for(90 * kDay, kT0);
  acme::RenewalInfo ari;
  ari.window_start = kT0 + 60 * kDay;
  ari.window_end = kT0 + 62 * kDay;
  // Before the window: not due, even though the lifetime rule would not care either way.
  auto d = renewal_due(c, ari, kT0 + 10 * kDay, 0.5);
  CHECK_FALSE(d.due);
  CHECK(d.ari);
  CHECK(d.reason == "ARI window starts 2026-03-02T00:00:00Z");
  REQUIRE(d.renewal_time);
  CHECK(*d.renewal_time == kT0 + 61 * kDay);
  // Inside the window: due once the chosen point is reached.
  CHECK_FALSE(renewal_due(c, ari, kT0 + 60 * kDay + hours(12), 0.5).due);
  CHECK(renewal_due(c, ari, kT0 + 61 * kDay + hours(1), 0.5).due);
  CHECK(renewal_due(c, ari, kT0 + 60 * kDay, 0.0).due);
  // The CA moved the window early (e.g. a mass revocation): due although 85 days are left.
  ari.window_start = kT0;
  ari.window_end = kT0 + kDay;
  d = renewal_due(c, ari, kT0 + 5 * kDay);
  CHECK(d.due);
  CHECK(d.reason == "ARI window opened 2026-01-01T00:00:00Z");
}

// --- renew() with fake CA services ------------------------------------------------------------

namespace {

struct Lineage {
  std::string name;
  hours age;       // since notBefore
  hours lifetime;
};

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void store_lineage(const CertStore& store, const Lineage& l, const std::string& eab_kid = "") {
  test::TestCertSpec spec;
  spec.names = {l.name, "*." + l.name};
  spec.not_before = Clock::now() - l.age;
  spec.not_after = spec.not_before + l.lifetime;
  const auto cert = test::make_test_cert(spec);
  CertStore(store).save(l.name, {cert.pem, "", cert.pem, cert.key_pem});
  RenewalConfig r;
  r.cert_name = l.name;
  r.domains = spec.names;
  r.server = "https://127.0.0.1:14000/dir";
  r.key_type = "ec384";
  r.eab_kid = eab_kid;
  r.deploy_hooks = {"echo stored"};
  save_renewal(store, r);
}

struct Fake {
  std::vector<IssueOptions> issued;
  std::set<std::string> failing;
  bool ari = false;
  RenewServices services() {
    RenewServices s;
    s.issue = [this](const Config&, const IssueOptions& o) {
      issued.push_back(o);
      if (failing.count(o.cert_name))
        throw PropagationError("wait for propagation", "ns2.example.test did not serve the value");
      IssueResult r;
      r.cert_name = o.cert_name;
      r.domains = o.domains;
      r.dry_run = o.dry_run;
      return r;
    };
    s.renewal_info = [this](const RenewalConfig&, const CertInfo& c) -> std::optional<acme::RenewalInfo> {
      if (!ari) return std::nullopt;
      acme::RenewalInfo info;  // due now: the window is over
      info.window_start = c.not_before;
      info.window_end = c.not_before + hours(1);
      return info;
    };
    s.sleep = [](std::chrono::milliseconds) {};
    return s;
  }
};

}  // namespace

TEST_CASE("renew renews what is due, skips the rest, runs pre/post hooks once", "[flow]") {
  test::TempDir dir;
  Config config;
  config.storage.dir = dir.path();
  config.acme.eab_kid = "kid-1";
  config.acme.eab_hmac_key = "c2VjcmV0LW1hYy1rZXktZm9yLXRlc3Rz";
  CertStore store(dir.path());
  store_lineage(store, {"due.test", 70 * kDay, 90 * kDay}, "kid-1");
  store_lineage(store, {"fresh.test", 1 * kDay, 90 * kDay});
  store_lineage(store, {"late.test", 80 * kDay, 90 * kDay});
  Fake fake;
  RenewOptions options;
  options.deploy_hooks = {"echo stored", "echo extra"};
  options.pre_hooks = {"echo pre >> " + (dir / "pre.txt").string()};
  options.post_hooks = {"printf '%s|%s\\n' \"$RENEWED_DOMAINS\" \"$FAILED_DOMAINS\" >> " + (dir / "post.txt").string()};
  fake.failing = {"late.test"};

  const RenewSummary s = renew(config, options, fake.services());
  REQUIRE(s.certificates.size() == 3);
  CHECK(s.certificates[0].cert_name == "due.test");
  CHECK(s.certificates[0].status == RenewStatus::renewed);
  CHECK(s.certificates[0].reason == "19 of 90 days left");
  CHECK(s.certificates[1].status == RenewStatus::not_due);
  CHECK(s.certificates[1].reason == "88 of 90 days left");
  CHECK(s.certificates[2].status == RenewStatus::failed);
  CHECK(s.certificates[2].error_category == ErrorCategory::propagation);
  CHECK(s.exit_code() == 7);
  CHECK_FALSE(s.ok());
  CHECK(s.renewed_domains == std::vector<std::string>{"due.test", "*.due.test"});
  CHECK(s.failed_domains == std::vector<std::string>{"late.test", "*.late.test"});

  REQUIRE(fake.issued.size() == 2);
  const IssueOptions& o = fake.issued[0];
  CHECK(o.cert_name == "due.test");
  CHECK(o.domains == std::vector<std::string>{"due.test", "*.due.test"});
  CHECK(o.server == "https://127.0.0.1:14000/dir");
  CHECK(o.key_type == "ec384");
  CHECK(o.agree_tos);
  CHECK(o.eab_hmac_key == config.acme.eab_hmac_key);
  CHECK(o.deploy_hooks == std::vector<std::string>{"echo stored", "echo extra"});
  CHECK(o.replaces.empty());  // no ARI at this CA
  CHECK(fake.issued[1].eab_hmac_key.empty());  // its renewal file names no EAB key id

  CHECK(slurp(dir / "pre.txt") == "pre\n");
  CHECK(slurp(dir / "post.txt") == "due.test *.due.test|late.test *.late.test\n");

  const auto j = s.to_json();
  CHECK(j["ok"] == false);
  CHECK(j["certificates"].size() == 3);
  CHECK(j["certificates"][0]["result"]["cert_name"] == "due.test");
  CHECK(j["certificates"][1]["result"].is_null());
  CHECK(j["certificates"][2]["error"]["category"] == "propagation");
  CHECK(j["error"]["exit_code"] == 7);
  CHECK(j["certificates"][1]["days_left"] == 88);
}

TEST_CASE("renew with nothing due runs no hooks and exits 0", "[flow]") {
  test::TempDir dir;
  Config config;
  config.storage.dir = dir.path();
  CertStore store(dir.path());
  store_lineage(store, {"fresh.test", 1 * kDay, 90 * kDay});
  Fake fake;
  RenewOptions options;
  options.pre_hooks = {"touch " + (dir / "pre").string()};
  options.post_hooks = {"touch " + (dir / "post").string()};
  const RenewSummary s = renew(config, options, fake.services());
  CHECK(s.exit_code() == 0);
  CHECK(fake.issued.empty());
  CHECK_FALSE(std::filesystem::exists(dir / "pre"));
  CHECK_FALSE(std::filesystem::exists(dir / "post"));
}

TEST_CASE("ARI makes a fresh certificate due and sends replaces; dry runs never do", "[flow]") {
  test::TempDir dir;
  Config config;
  config.storage.dir = dir.path();
  CertStore store(dir.path());
  store_lineage(store, {"fresh.test", 1 * kDay, 90 * kDay});
  Fake fake;
  fake.ari = true;
  RenewSummary s = renew(config, RenewOptions{}, fake.services());
  REQUIRE(fake.issued.size() == 1);
  CHECK(s.certificates[0].status == RenewStatus::renewed);
  CHECK(s.certificates[0].ari);
  CHECK(s.certificates[0].reason.rfind("ARI window opened", 0) == 0);
  CHECK(!fake.issued[0].replaces.empty());

  RenewOptions dry;
  dry.dry_run = true;
  s = renew(config, dry, fake.services());
  REQUIRE(fake.issued.size() == 2);
  CHECK(fake.issued[1].dry_run);
  CHECK(fake.issued[1].replaces.empty());
  CHECK(s.certificates[0].status == RenewStatus::dry_run);
}

TEST_CASE("renew --cert-name picks one lineage; --force renews it; unknown names fail", "[flow]") {
  test::TempDir dir;
  Config config;
  config.storage.dir = dir.path();
  CertStore store(dir.path());
  store_lineage(store, {"a.test", 1 * kDay, 90 * kDay});
  store_lineage(store, {"b.test", 1 * kDay, 90 * kDay});
  Fake fake;
  RenewOptions options;
  options.cert_name = "b.test";
  options.force = true;
  const RenewSummary s = renew(config, options, fake.services());
  REQUIRE(s.certificates.size() == 1);
  CHECK(s.certificates[0].status == RenewStatus::renewed);
  CHECK(s.certificates[0].reason == "forced");
  REQUIRE(fake.issued.size() == 1);
  CHECK(fake.issued[0].cert_name == "b.test");
  options.cert_name = "c.test";
  CHECK_THROWS_AS(renew(config, options, fake.services()), StorageError);
}

TEST_CASE("a lineage without renewal file fails alone", "[flow]") {
  test::TempDir dir;
  Config config;
  config.storage.dir = dir.path();
  CertStore store(dir.path());
  store_lineage(store, {"a.test", 80 * kDay, 90 * kDay});
  store_lineage(store, {"b.test", 80 * kDay, 90 * kDay});
  std::filesystem::remove(store.renewal_file("a.test"));
  Fake fake;
  const RenewSummary s = renew(config, RenewOptions{}, fake.services());
  REQUIRE(s.certificates.size() == 2);
  CHECK(s.certificates[0].status == RenewStatus::failed);
  CHECK(s.certificates[0].error["hint"].get<std::string>().find("dns01 issue") != std::string::npos);
  CHECK(s.certificates[1].status == RenewStatus::renewed);
  CHECK(s.exit_code() == 8);
}

TEST_CASE("--random-sleep waits 1..480 s once before contacting the CA, never by default", "[flow]") {
  test::TempDir dir;
  Config config;
  config.storage.dir = dir.path();
  CertStore store(dir.path());
  store_lineage(store, {"a.test", 1 * kDay, 90 * kDay});
  store_lineage(store, {"b.test", 80 * kDay, 90 * kDay});
  Fake fake;
  std::vector<std::chrono::milliseconds> sleeps;
  RenewServices services = fake.services();
  services.sleep = [&](std::chrono::milliseconds d) { sleeps.push_back(d); };
  renew(config, RenewOptions{}, services);
  CHECK(sleeps.empty());
  RenewOptions options;
  options.random_sleep = true;
  const RenewSummary s = renew(config, options, services);
  REQUIRE(sleeps.size() == 1);
  CHECK(sleeps[0] >= std::chrono::seconds(1));
  CHECK(sleeps[0] <= std::chrono::seconds(480));
  CHECK(s.certificates[1].status == RenewStatus::renewed);
}

TEST_CASE("issue options for a renewal: shortcut names back for dry-run staging, EAB key by id", "[flow]") {
  Config config;
  config.acme.eab_kid = "kid-2";
  config.acme.eab_hmac_key = "c2VjcmV0LW1hYy1rZXktZm9yLXRlc3Rz";
  RenewalConfig r;
  r.cert_name = "a.test";
  r.domains = {"a.test"};
  r.server = acme::resolve_directory_url("letsencrypt");
  r.eab_kid = "kid-1";
  IssueOptions o = issue_options_for(config, r);
  CHECK(o.server == "letsencrypt");
  CHECK(o.eab_kid == "kid-1");
  CHECK(o.eab_hmac_key.empty());  // another key id: the config's MAC key does not belong to it
  r.server = "https://127.0.0.1:14000/dir";
  r.eab_kid = "kid-2";
  o = issue_options_for(config, r);
  CHECK(o.server == "https://127.0.0.1:14000/dir");
  CHECK(o.eab_hmac_key == config.acme.eab_hmac_key);
  CHECK(o.agree_tos);
  CHECK(o.cert_name == "a.test");
}
