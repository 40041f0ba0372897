// The parts of `dns01 issue` that need no CA: domain checks, names, account directories.
#include <catch2/catch.hpp>

#include "dns01/flow/accounts.hpp"
#include "dns01/flow/issue_options.hpp"

using namespace dns01;
using namespace dns01::flow;

TEST_CASE("domains are lower-cased, deduplicated and checked", "[flow][issue]") {
  CHECK(normalize_domains({"Example.COM.", "*.example.com", "example.com"}) ==
        std::vector<std::string>{"example.com", "*.example.com"});
  CHECK_THROWS_AS(normalize_domains({}), UsageError);
  CHECK_THROWS_AS(normalize_domains({"exa mple.com"}), UsageError);
  CHECK_THROWS_AS(normalize_domains({"www.*.example.com"}), UsageError);
  CHECK_THROWS_AS(normalize_domains({"*example.com"}), UsageError);
  CHECK_THROWS_AS(normalize_domains({"*.*.example.com"}), UsageError);
  std::vector<std::string> many;
  for (int i = 0; i < 101; ++i) many.push_back("h" + std::to_string(i) + ".example.com");
  CHECK_THROWS_AS(normalize_domains(many), UsageError);
  many.pop_back();
  CHECK(normalize_domains(many).size() == 100);
}

TEST_CASE("the default lineage name is the first domain without its wildcard", "[flow][issue]") {
  CHECK(default_cert_name({"*.example.com", "example.com"}) == "example.com");
  CHECK(default_cert_name({"www.example.org"}) == "www.example.org");
  CHECK(default_cert_name({}).empty());
}

TEST_CASE("account directories are file-name safe and distinct per CA", "[flow][issue]") {
  CHECK(account_dir_name("https://acme-v02.api.letsencrypt.org/directory") ==
        "acme-v02.api.letsencrypt.org_directory");
  CHECK(account_dir_name("https://127.0.0.1:14000/dir") == "127.0.0.1_14000_dir");
  CHECK(account_dir_name("https://acme-staging-v02.api.letsencrypt.org/directory") !=
        account_dir_name("https://acme-v02.api.letsencrypt.org/directory"));
  // Nothing in a hostile URL can climb out of accounts/.
  for (const char* url : {"https://../../etc/x", "https://./", "https://", "https://..%2F..", "https://a/../../b"}) {
    std::string name = account_dir_name(url);
    INFO(url << " -> " << name);
    CHECK_FALSE(name.empty());
    CHECK(name.find('/') == std::string::npos);
    CHECK(name.front() != '.');
  }
}

TEST_CASE("issue options start from [acme]", "[flow][issue]") {
  Config c;
  c.acme.server = "https://ca.internal/acme/directory";
  c.acme.key_type = "rsa3072";
  c.acme.agree_tos = true;
  c.acme.email = "a@example.com";
  IssueOptions o = options_from_config(c);
  CHECK(o.server == c.acme.server);
  CHECK(o.key_type == "rsa3072");
  CHECK(o.agree_tos);
  CHECK(o.email == "a@example.com");
  CHECK_FALSE(o.dry_run);
}
