#include <catch2/catch.hpp>

#include "dns01/acme/documents.hpp"

using namespace dns01;
using namespace dns01::acme;

TEST_CASE("directory with meta, profiles and ARI", "[acme]") {
  const Directory d = parse_directory(R"({
    "newNonce": "https://ca.test/nonce", "newAccount": "https://ca.test/acct",
    "newOrder": "https://ca.test/order", "revokeCert": "https://ca.test/revoke",
    "keyChange": "https://ca.test/key-change", "renewalInfo": "https://ca.test/ari",
    "meta": {"termsOfService": "https://ca.test/tos", "externalAccountRequired": true,
             "caaIdentities": ["ca.test"], "profiles": {"classic": "90 days", "shortlived": "6 days"}},
    "unknownField": 1})");
  CHECK(d.new_nonce == "https://ca.test/nonce");
  CHECK(d.renewal_info == "https://ca.test/ari");
  CHECK(d.new_authz.empty());
  CHECK(d.meta.terms_of_service == "https://ca.test/tos");
  CHECK(d.meta.external_account_required);
  CHECK(d.meta.caa_identities == std::vector<std::string>{"ca.test"});
  CHECK(d.meta.profiles.size() == 2);
  CHECK(d.meta.profiles.at("shortlived") == "6 days");
}

TEST_CASE("malformed directories give clear acme errors", "[acme]") {
  auto message = [](std::string_view body) {
    try {
      parse_directory(body);
    } catch (const AcmeError& e) {
      CHECK(e.step() == "parse directory");
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(message("<html>nope</html>"), Catch::Contains("not valid JSON"));
  CHECK_THAT(message("[1,2]"), Catch::Contains("not an object"));
  CHECK_THAT(message(R"({"newNonce": "a", "newAccount": "b"})"), Catch::Contains("newOrder"));
  CHECK_THAT(message(R"({"newNonce": 5, "newAccount": "b", "newOrder": "c"})"), Catch::Contains("newNonce"));
  CHECK_THAT(message(R"({"newNonce": "a", "newAccount": "b", "newOrder": "c", "meta": []})"), Catch::Contains("meta"));
  CHECK_THAT(message(std::string(2u << 20, ' ')), Catch::Contains("larger than"));
}

TEST_CASE("problem documents with identifier and subproblems", "[acme]") {
  const AcmeProblem p = parse_problem(R"({
    "type": "urn:ietf:params:acme:error:malformed",
    "detail": "Some of the identifiers requested were rejected",
    "subproblems": [
      {"type": "urn:ietf:params:acme:error:malformed", "detail": "Invalid underscore in DNS name \"_example.org\"",
       "identifier": {"type": "dns", "value": "_example.org"}},
      {"type": "urn:ietf:params:acme:error:rejectedIdentifier", "detail": "This CA will not issue for \"example.net\"",
       "identifier": {"type": "dns", "value": "example.net"}}
    ]})", 400);
  CHECK(p.short_type() == "malformed");
  CHECK(p.status == 400);
  REQUIRE(p.subproblems.size() == 2);
  CHECK(p.subproblems[1].short_type() == "rejectedIdentifier");
  CHECK(p.subproblems[1].identifier == "example.net");
  const AcmeError e("create order", p, std::chrono::seconds(30));
  const std::string what = e.what();
  CHECK_THAT(what, Catch::Contains("acme: create order:"));
  CHECK_THAT(what, Catch::Contains("example.net"));
  CHECK(e.retry_after() == std::chrono::seconds(30));
  CHECK(e.category() == ErrorCategory::acme);
}

TEST_CASE("non-problem error bodies are described, never crash", "[acme]") {
  for (std::string_view body : {"", "<html>502 Bad Gateway</html>", "{\"foo\": 1}", "[]", "{\"type\": 5}"}) {
    const AcmeProblem p = parse_problem(body, 502);
    CHECK(p.status == 502);
    CHECK_FALSE(p.detail.empty());
  }
  CHECK(parse_problem(R"({"type":"urn:ietf:params:acme:error:badNonce","status":400})", 0).status == 400);
}

TEST_CASE("orders, authorizations and challenges parse", "[acme]") {
  const Order o = parse_order(R"({
    "status": "pending", "expires": "2026-01-01T00:00:00Z",
    "identifiers": [{"type": "dns", "value": "example.test"}, {"type": "dns", "value": "*.example.test"}],
    "authorizations": ["https://ca.test/authz/1", "https://ca.test/authz/2"],
    "finalize": "https://ca.test/finalize/1", "profile": "shortlived", "replaces": "aYhb.AIdl"})");
  CHECK(o.status == OrderStatus::pending);
  CHECK(o.identifiers.size() == 2);
  CHECK(o.identifiers[1].value == "*.example.test");
  CHECK(o.authorizations.size() == 2);
  CHECK(o.profile == "shortlived");
  CHECK(o.replaces == "aYhb.AIdl");
  REQUIRE(o.expires);
  CHECK(format_rfc3339(*o.expires) == "2026-01-01T00:00:00Z");

  const Authorization a = parse_authorization(R"({
    "identifier": {"type": "dns", "value": "example.test"}, "status": "invalid", "wildcard": true,
    "challenges": [{"type": "http-01", "url": "https://ca.test/chall/1", "status": "pending", "token": "t1"},
                   {"type": "dns-01", "url": "https://ca.test/chall/2", "status": "invalid", "token": "t2",
                    "error": {"type": "urn:ietf:params:acme:error:unauthorized", "detail": "no TXT"}}]})");
  CHECK(a.wildcard);
  CHECK(a.status == AuthorizationStatus::invalid);
  REQUIRE(a.find_challenge("dns-01"));
  CHECK(a.find_challenge("dns-01")->status == ChallengeStatus::invalid);
  CHECK(a.find_challenge("http-01")->status == ChallengeStatus::pending);
  CHECK(a.find_challenge("dns-01")->token == "t2");
  REQUIRE(a.find_challenge("dns-01")->error);
  CHECK(a.find_challenge("dns-01")->error->short_type() == "unauthorized");
  CHECK(a.find_challenge("tls-alpn-01") == nullptr);
}

TEST_CASE("malformed orders and authorizations give clear errors", "[acme]") {
  CHECK_THROWS_WITH(parse_order(R"({"status": "pending"})"), Catch::Contains("parse order") && Catch::Contains("identifiers"));
  CHECK_THROWS_WITH(parse_order(R"({"status":"valid","identifiers":[5],"authorizations":[],"finalize":"f"})"),
                    Catch::Contains("identifier"));
  CHECK_THROWS_WITH(parse_order(R"({"status":"valid","identifiers":[],"authorizations":["a"],"finalize":"f","expires":"yesterday"})"),
                    Catch::Contains("RFC 3339"));
  CHECK_THROWS_WITH(parse_authorization(R"({"identifier":{"type":"dns","value":"x"},"status":"pending","challenges":[{"type":"dns-01"}]})"),
                    Catch::Contains("parse authorization") && Catch::Contains("url"));
  CHECK_THROWS_AS(parse_account("null"), AcmeError);
  CHECK(parse_account(R"({"status":"valid","contact":["mailto:a@example.test"]})").contact.size() == 1);
}

TEST_CASE("RFC 3339 timestamps", "[acme]") {
  const auto a = parse_rfc3339("2025-01-02T04:00:00Z");
  const auto b = parse_rfc3339("2025-01-02T05:30:00.5+01:30");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*b - *a == std::chrono::milliseconds(500));
  for (const char* bad : {"", "2025-01-02", "2025-13-02T00:00:00Z", "2025-01-02T00:00:00", "2025-01-02T00:00:00Zjunk"})
    CHECK_FALSE(parse_rfc3339(bad));
}

TEST_CASE("CA shortcuts resolve to directory URLs", "[acme]") {
  CHECK(resolve_directory_url("letsencrypt") == "https://acme-v02.api.letsencrypt.org/directory");
  CHECK(resolve_directory_url("letsencrypt-staging") == "https://acme-staging-v02.api.letsencrypt.org/directory");
  CHECK(resolve_directory_url("https://127.0.0.1:14000/dir") == "https://127.0.0.1:14000/dir");
  for (const char* name : {"zerossl", "google", "google-staging", "buypass", "buypass-staging", "actalis", "sslcom"})
    CHECK(resolve_directory_url(name).starts_with("https://"));
  try {
    resolve_directory_url("letsencrpyt");
    FAIL("no error");
  } catch (const UsageError& e) {
    CHECK_THAT(e.what(), Catch::Contains("letsencrpyt"));
    CHECK_THAT(e.hint(), Catch::Contains("letsencrypt-staging"));
  }
}

#include "dns01/acme/client.hpp"

TEST_CASE("preferred chain selection by issuer CN", "[acme]") {
  const std::vector<CertificateChain> chains = {
      {"https://ca.test/cert/1", "", "ISRG Root X2", {"E1", "ISRG Root X2"}},
      {"https://ca.test/cert/1/1", "", "ISRG Root X1", {"E1", "ISRG Root X2", "ISRG Root X1"}},
      {"https://ca.test/cert/1/2", "", "DST Root CA X3", {"R3", "ISRG Root X1", "DST Root CA X3"}},
  };
  CHECK(select_chain(chains, "").url == "https://ca.test/cert/1");
  CHECK(select_chain(chains, "ISRG Root X1").url == "https://ca.test/cert/1/1");  // top issuer wins
  CHECK(select_chain(chains, "DST Root CA X3").url == "https://ca.test/cert/1/2");
  CHECK(select_chain(chains, "R3").url == "https://ca.test/cert/1/2");  // any issuer in the chain
  CHECK(select_chain(chains, "Nobody").url == "https://ca.test/cert/1");  // no match: default
  CHECK(select_chain(chains, "E1").url == "https://ca.test/cert/1");  // first chain containing it
  CHECK_THROWS_AS(select_chain({}, "x"), Error);
}

TEST_CASE("statuses parse once into enums; unknown strings become unknown", "[acme]") {
  for (auto s : {OrderStatus::pending, OrderStatus::ready, OrderStatus::processing, OrderStatus::valid,
                 OrderStatus::invalid})
    CHECK(parse_order_status(to_string(s)) == s);
  for (auto s : {AuthorizationStatus::pending, AuthorizationStatus::valid, AuthorizationStatus::invalid,
                 AuthorizationStatus::deactivated, AuthorizationStatus::expired, AuthorizationStatus::revoked})
    CHECK(parse_authorization_status(to_string(s)) == s);
  for (auto s : {ChallengeStatus::pending, ChallengeStatus::processing, ChallengeStatus::valid, ChallengeStatus::invalid})
    CHECK(parse_challenge_status(to_string(s)) == s);
  CHECK(to_string(OrderStatus::processing) == "processing");
  CHECK(parse_order_status("Pending") == OrderStatus::unknown);  // the wire is case-sensitive
  CHECK(parse_authorization_status("ready") == AuthorizationStatus::unknown);
  const Order o = parse_order(R"({"status":"frozen","identifiers":[],"authorizations":[],"finalize":"f"})");
  CHECK(o.status == OrderStatus::unknown);
  CHECK(to_string(o.status) == "unknown");
}

TEST_CASE("staging twins come from the shortcut table", "[acme]") {
  const std::string le = "https://acme-v02.api.letsencrypt.org/directory";
  const std::string le_staging = "https://acme-staging-v02.api.letsencrypt.org/directory";
  CHECK(staging_directory_for("letsencrypt") == le_staging);
  CHECK(staging_directory_for(le) == le_staging);
  CHECK(staging_directory_for("google") == resolve_directory_url("google-staging"));
  CHECK(staging_directory_for("buypass") == resolve_directory_url("buypass-staging"));
  CHECK_FALSE(staging_directory_for("letsencrypt-staging"));
  CHECK_FALSE(staging_directory_for("zerossl"));
  CHECK_FALSE(staging_directory_for("https://127.0.0.1:14000/dir"));
  CHECK(is_staging_directory(le_staging));
  CHECK(is_staging_directory(resolve_directory_url("buypass-staging")));
  CHECK_FALSE(is_staging_directory(le));
  CHECK_FALSE(is_staging_directory("https://127.0.0.1:14000/dir"));
  CHECK(ca_shortcut_name(le) == "letsencrypt");
  CHECK_FALSE(ca_shortcut_name("https://127.0.0.1:14000/dir"));
  // Every twin named in the table is itself a shortcut.
  for (const auto& ca : ca_shortcuts())
    if (ca.staging) CHECK(is_staging_directory(resolve_directory_url(ca.staging)));
}
