#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>

#include "dns01/error.hpp"
#include "dns01/flow/renewal.hpp"
#include "temp_dir.hpp"

using namespace dns01;
using namespace dns01::flow;

namespace {

RenewalConfig sample() {
  RenewalConfig r;
  r.cert_name = "example.test";
  r.domains = {"example.test", "*.example.test"};
  r.server = "https://127.0.0.1:14000/dir";
  r.ca_bundle = "/etc/dns01/ca \"quoted\" \\ path.pem";
  r.key_type = "rsa3072";
  r.reuse_key = true;
  r.email = "admin@example.test";
  r.profile = "shortlived";
  r.preferred_chain = "Root X2";
  r.eab_kid = "kid-1";
  r.deploy_hooks = {"systemctl reload nginx", "echo \"$RENEWED_DOMAINS\"\tdone"};
  r.config = "/etc/dns01/dns01.toml";
  return r;
}

void write(const CertStore& store, const std::string& name, const std::string& text) {
  std::filesystem::create_directories(store.renewal_file(name).parent_path());
  std::ofstream(store.renewal_file(name)) << text;
}

}  // namespace

TEST_CASE("renewal files round-trip every field, 0600", "[flow]") {
  test::TempDir dir;
  CertStore store(dir.path());
  const RenewalConfig r = sample();
  save_renewal(store, r);
  struct stat st {};
  REQUIRE(::stat(store.renewal_file("example.test").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const RenewalConfig back = load_renewal(store, "example.test");
  CHECK(back.cert_name == r.cert_name);
  CHECK(back.domains == r.domains);
  CHECK(back.server == r.server);
  CHECK(back.ca_bundle == r.ca_bundle);
  CHECK(back.key_type == r.key_type);
  CHECK(back.reuse_key == r.reuse_key);
  CHECK(back.email == r.email);
  CHECK(back.profile == r.profile);
  CHECK(back.preferred_chain == r.preferred_chain);
  CHECK(back.eab_kid == r.eab_kid);
  CHECK(back.deploy_hooks == r.deploy_hooks);
  CHECK(back.config == r.config);
  // Saving again replaces the file.
  RenewalConfig changed = r;
  changed.deploy_hooks.clear();
  save_renewal(store, changed);
  CHECK(load_renewal(store, "example.test").deploy_hooks.empty());
}

TEST_CASE("a missing renewal file says to issue first", "[flow]") {
  test::TempDir dir;
  CertStore store(dir.path());
  try {
    load_renewal(store, "nothing.test");
    FAIL("no exception");
  } catch (const StorageError& e) {
    CHECK(std::string(e.what()).find("nothing.test.toml") != std::string::npos);
    CHECK(e.hint().find("dns01 issue") != std::string::npos);
  }
}

TEST_CASE("unknown keys and wrong types are located with a suggestion", "[flow]") {
  test::TempDir dir;
  CertStore store(dir.path());
  write(store, "bad.test",
        "version = 1\n"
        "domains = [\"bad.test\"]\n"
        "sever = \"https://ca.test/dir\"\n"
        "server = \"https://ca.test/dir\"\n"
        "reuse_key = \"yes\"\n");
  try {
    load_renewal(store, "bad.test");
    FAIL("no exception");
  } catch (const ConfigError& e) {
    REQUIRE(e.issues().size() == 2);
    CHECK(e.issues()[0].line == 3);
    CHECK(e.issues()[0].column == 1);
    CHECK(e.issues()[0].message.find("did you mean 'server'") != std::string::npos);
    CHECK(e.issues()[0].file.find("bad.test.toml") != std::string::npos);
    CHECK(e.issues()[1].line == 5);
    CHECK(e.issues()[1].message.find("reuse_key") != std::string::npos);
  }
}

TEST_CASE("renewal files need domains and a server, and valid TOML", "[flow]") {
  test::TempDir dir;
  CertStore store(dir.path());
  write(store, "empty.test", "version = 1\n");
  CHECK_THROWS_AS(load_renewal(store, "empty.test"), ConfigError);
  write(store, "syntax.test", "domains = [\"a.test\"\nserver = 1\n");
  try {
    load_renewal(store, "syntax.test");
    FAIL("no exception");
  } catch (const ConfigError& e) {
    REQUIRE(e.issues().size() == 1);
    CHECK(e.issues()[0].line >= 1);
    CHECK(e.issues()[0].message.find("TOML syntax error") != std::string::npos);
  }
  write(store, "future.test", "version = 2\ndomains = [\"a.test\"]\nserver = \"https://ca.test/dir\"\n");
  CHECK_THROWS_AS(load_renewal(store, "future.test"), ConfigError);
  CHECK_THROWS_AS(load_renewal(store, "../etc"), UsageError);
}
