// issue 18: the ARI renewal time is drawn once per window and kept in the renewal file;
// `renew --days N`; which lineage `issue` writes to (issue_lineage.hpp).
#include <catch2/catch.hpp>

#include "dns01/error.hpp"
#include "dns01/flow/issue_lineage.hpp"
#include "dns01/flow/renew.hpp"
#include "temp_dir.hpp"
#include "test_certs.hpp"

using namespace dns01;
using namespace dns01::flow;
using Clock = std::chrono::system_clock;
using std::chrono::hours;

namespace {

constexpr hours kDay{24};

void store_lineage(const CertStore& store, const std::string& name, std::vector<std::string> names,
                   hours age = kDay, hours lifetime = 90 * kDay) {
  test::TestCertSpec spec;
  spec.names = names;
  spec.not_before = Clock::now() - age;
  spec.not_after = spec.not_before + lifetime;
  const auto cert = test::make_test_cert(spec);
  CertStore(store).save(name, {cert.pem, "", cert.pem, cert.key_pem});
  RenewalConfig r;
  r.cert_name = name;
  r.domains = names;
  r.server = "https://127.0.0.1:14000/dir";
  save_renewal(store, r);
}

// A CA whose suggested window is [start, end] and a clock that stands at `now`.
struct Ca {
  Clock::time_point start, end, now;
  int issued = 0;
  RenewServices services() {
    RenewServices s;
    s.issue = [this](const Config&, const IssueOptions& o) {
      ++issued;
      IssueResult r;
      r.cert_name = o.cert_name;
      return r;
    };
    s.renewal_info = [this](const RenewalConfig&, const CertInfo&) -> std::optional<acme::RenewalInfo> {
      acme::RenewalInfo info;
      info.window_start = start;
      info.window_end = end;
      return info;
    };
    s.now = [this] { return now; };
    s.sleep = [](std::chrono::milliseconds) {};
    return s;
  }
};

}  // namespace

TEST_CASE("the ARI renewal time is drawn once per window and kept in the renewal file", "[flow]") {
  test::TempDir dir;
  Config config;
  config.storage.dir = dir.path();
  CertStore store(dir.path());
  store_lineage(store, "ari.test", {"ari.test"});
  const auto t0 = std::chrono::floor<std::chrono::seconds>(Clock::now());
  // A long window that opened an hour ago: the first run draws a time in it.
  Ca ca{t0 - hours(1), t0 + 400 * kDay, t0};
  const RenewSummary first = renew(config, RenewOptions{}, ca.services());
  REQUIRE(first.certificates.size() == 1);
  REQUIRE(first.certificates[0].renewal_time);
  const auto planned = *first.certificates[0].renewal_time;
  RenewalConfig saved = load_renewal(store, "ari.test");
  REQUIRE(saved.ari_renewal_time);
  CHECK(acme::format_rfc3339(*saved.ari_renewal_time) == acme::format_rfc3339(planned));
  CHECK(acme::format_rfc3339(*saved.ari_window_start) == acme::format_rfc3339(ca.start));
  CHECK(acme::format_rfc3339(*saved.ari_window_end) == acme::format_rfc3339(ca.end));

  // Twelve runs later (a twice-daily timer for six days): always the same plan, not a new draw,
  // and due exactly once the planned time has passed.
  for (int i = 1; i <= 12; ++i) {
    ca.now = t0 + i * hours(12);
    const RenewSummary again = renew(config, RenewOptions{}, ca.services());
    REQUIRE(again.certificates[0].renewal_time);
    CHECK(acme::format_rfc3339(*again.certificates[0].renewal_time) == acme::format_rfc3339(planned));
    CHECK(again.certificates[0].status == (ca.now >= planned ? RenewStatus::renewed : RenewStatus::not_due));
  }

  // The window moved: a new draw inside the new window, saved in place of the old one.
  ca.start = t0 + 500 * kDay;
  ca.end = t0 + 501 * kDay;
  ca.now = t0;
  const RenewSummary moved = renew(config, RenewOptions{}, ca.services());
  REQUIRE(moved.certificates[0].renewal_time);
  CHECK(*moved.certificates[0].renewal_time >= ca.start);
  CHECK(*moved.certificates[0].renewal_time <= ca.end);
  saved = load_renewal(store, "ari.test");
  CHECK(acme::format_rfc3339(*saved.ari_window_start) == acme::format_rfc3339(ca.start));
}

TEST_CASE("renew --days N renews below N days left, whatever ARI says", "[flow]") {
  test::TempDir dir;
  Config config;
  config.storage.dir = dir.path();
  CertStore store(dir.path());
  store_lineage(store, "days.test", {"days.test"}, 50 * kDay, 90 * kDay);  // 40 days left
  const auto now = Clock::now();
  Ca ca{now + 30 * kDay, now + 31 * kDay, now};
  RenewOptions options;
  options.days = 30;
  RenewSummary s = renew(config, options, ca.services());
  CHECK(s.certificates[0].status == RenewStatus::not_due);
  CHECK(s.certificates[0].reason.find("below 30 days (--days)") != std::string::npos);
  options.days = 45;
  s = renew(config, options, ca.services());
  CHECK(s.certificates[0].status == RenewStatus::renewed);
  CHECK(ca.issued == 1);
}

TEST_CASE("issue never silently drops names from a lineage", "[flow]") {
  test::TempDir dir;
  CertStore store(dir.path());
  store_lineage(store, "example.test", {"example.test", "*.example.test"});

  // Same names (any order): that lineage.
  LineageChoice c = choose_lineage(store, {"*.example.test", "example.test"}, "", false, false);
  CHECK(c.cert_name == "example.test");
  CHECK(c.exists);
  CHECK(c.same_names);

  // Fewer names: a new lineage, like certbot's -0001 ...
  c = choose_lineage(store, {"*.example.test"}, "", false, false);
  CHECK(c.cert_name == "example.test-0001");
  CHECK_FALSE(c.exists);
  CHECK(c.note.find("example.test-0001") != std::string::npos);
  // ... or, with --shrink, the same lineage losing the apex.
  c = choose_lineage(store, {"*.example.test"}, "", false, true);
  CHECK(c.cert_name == "example.test");
  CHECK(c.dropped == std::vector<std::string>{"example.test"});

  // More names: refused without --expand.
  CHECK_THROWS_AS(choose_lineage(store, {"example.test", "*.example.test", "www.example.test"}, "", false, false),
                  UsageError);
  c = choose_lineage(store, {"example.test", "*.example.test", "www.example.test"}, "", true, false);
  CHECK(c.cert_name == "example.test");
  CHECK(c.added == std::vector<std::string>{"www.example.test"});

  // An explicit --cert-name: each direction needs its flag.
  CHECK_THROWS_AS(choose_lineage(store, {"example.test"}, "example.test", true, false), UsageError);
  CHECK_THROWS_AS(choose_lineage(store, {"example.test", "*.example.test", "a.example.test"}, "example.test",
                                 false, true),
                  UsageError);
  c = choose_lineage(store, {"example.test"}, "example.test", false, true);
  CHECK(c.dropped == std::vector<std::string>{"*.example.test"});
  c = choose_lineage(store, {"other.test"}, "fresh-name", false, false);
  CHECK(c.cert_name == "fresh-name");
  CHECK_FALSE(c.exists);

  // The -0001 lineage holding exactly the names is found again, and -0002 is next.
  store_lineage(store, "example.test-0001", {"*.example.test"});
  c = choose_lineage(store, {"*.example.test"}, "", false, false);
  CHECK(c.cert_name == "example.test-0001");
  CHECK(c.same_names);
  c = choose_lineage(store, {"example.test", "www.example.test"}, "", false, false);
  CHECK(c.cert_name == "example.test-0002");

  // A damaged lineage elsewhere does not block other names; it does block its own name.
  CertStore(store).save("broken.test", {"not a certificate", "", "not a certificate", "no key"});
  c = choose_lineage(store, {"new.test"}, "", false, false);
  CHECK(c.cert_name == "new.test");
  CHECK_THROWS_AS(choose_lineage(store, {"broken.test"}, "", false, false), StorageError);
}
