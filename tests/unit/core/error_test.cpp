#include <catch2/catch.hpp>

#include "dns01/error.hpp"

using namespace dns01;

TEST_CASE("errors read component: step: cause", "[error]") {
  ProviderError e("rfc2136", "add TXT _acme-challenge.example.test", "server answered REFUSED",
                  "allow updates for this key");
  CHECK(std::string(e.what()) == "rfc2136: add TXT _acme-challenge.example.test: server answered REFUSED");
  CHECK(e.hint() == "allow updates for this key");
  CHECK(e.category() == ErrorCategory::provider);
}

TEST_CASE("every category has a distinct documented exit code", "[error]") {
  CHECK(exit_code(ErrorCategory::internal) == 1);
  CHECK(exit_code(ErrorCategory::usage) == 2);
  CHECK(exit_code(ErrorCategory::config) == 3);
  CHECK(exit_code(ErrorCategory::network) == 4);
  CHECK(exit_code(ErrorCategory::acme) == 5);
  CHECK(exit_code(ErrorCategory::provider) == 6);
  CHECK(exit_code(ErrorCategory::propagation) == 7);
  CHECK(exit_code(ErrorCategory::storage) == 8);
  CHECK(exit_code(ErrorCategory::interrupted) == 130);
  CHECK(std::string(category_name(ErrorCategory::propagation)) == "propagation");
}

TEST_CASE("config errors list every issue with file:line:column", "[error]") {
  ConfigError e({{"dns01.toml", 3, 1, "unknown key 'sever' in [acme] (did you mean 'server'?)"},
                 {"dns01.toml", 7, 11, "'timeout' must be a duration"}});
  std::string what = e.what();
  CHECK(what.find("dns01.toml:3:1: unknown key 'sever'") != std::string::npos);
  CHECK(what.find("dns01.toml:7:11: 'timeout' must be a duration") != std::string::npos);
  CHECK(e.issues().size() == 2);
}

TEST_CASE("ACME problems carry type, identifier, subproblems and Retry-After", "[error]") {
  AcmeProblem p{"urn:ietf:params:acme:error:rejectedIdentifier", "some names were rejected", 400, "",
                {{"urn:ietf:params:acme:error:caa", "CAA forbids", 0, "*.example.test", {}}}};
  AcmeError e("new order", p, std::chrono::seconds(30));
  std::string what = e.what();
  CHECK(what.find("acme: new order: HTTP 400 rejectedIdentifier: some names were rejected") == 0);
  CHECK(what.find("caa for *.example.test: CAA forbids") != std::string::npos);
  CHECK(e.retry_after() == std::chrono::seconds(30));
  CHECK(e.problem().short_type() == "rejectedIdentifier");
}
