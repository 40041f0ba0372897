// The `dns01 apply` file: what a [[certificate]] table becomes, and every way it can be wrong
// reported at once with file:line.
#include <catch2/catch.hpp>

#include <algorithm>

#include "dns01/error.hpp"
#include "dns01/log.hpp"
#include "dns01/flow/certificate_set.hpp"
#include "temp_dir.hpp"

using namespace dns01;
using namespace dns01::flow;
using dns01::test::TempDir;

namespace {

Config sample_config() {
  LoadOptions o;
  o.env = Environment{};
  return parse_config(R"(
[acme]
server = "https://127.0.0.1:14000/dir"
key_type = "ec256"
eab_kid = "main-kid"
eab_hmac_key = "main-hmac-secret-value"
email = "ops@example.test"

[providers.internal]
type = "rfc2136"
zones = ["internal.test"]
server = "127.0.0.1:5300"

[providers.lab]
type = "rfc2136"
zones = ["lab.test"]
server = "127.0.0.1:5300"
)",
                      "/etc/dns01/dns01.toml", o);
}

// Every message of the ConfigError `text` produces, one per line.
std::string errors_of(const Config& config, const std::string& text, const std::string& file = "/srv/fleet.toml") {
  try {
    parse_certificate_set(config, text, file);
  } catch (const ConfigError& e) {
    std::string all;
    for (const auto& issue : e.issues()) all += issue.str() + "\n";
    return all;
  }
  FAIL("no ConfigError for:\n" << text);
  return {};
}

}  // namespace

TEST_CASE("a certificate set takes [acme], then [defaults], then each table", "[flow][apply]") {
  const Config config = sample_config();
  auto set = parse_certificate_set(config, R"(
[defaults]
key_type = "ec384"

[[certificate]]
name = "web"
domains = ["Web.Internal.Test.", "*.web.internal.test"]

[[certificate]]
name = "lab-db"
domains = ["db.lab.test"]
key_type = "rsa2048"
provider = "lab"
reuse_key = true
deploy_hooks = ["systemctl reload postgresql", "touch /run/db-cert"]
profile = "shortlived"
preferred_chain = "Root X2"
)",
                                   "/srv/fleet.toml");
  REQUIRE(set.certificates.size() == 2);
  const auto& web = set.certificates[0];
  CHECK(web.name == "web");
  CHECK(web.domains == std::vector<std::string>{"web.internal.test", "*.web.internal.test"});
  CHECK(web.options.domains == web.domains);
  CHECK(web.options.cert_name == "web");
  CHECK(web.options.key_type == "ec384");  // [defaults] over [acme]
  CHECK(web.options.server == "https://127.0.0.1:14000/dir");
  CHECK(web.options.eab_kid == "main-kid");  // same CA as [acme]: its EAB applies
  CHECK(web.options.email == "ops@example.test");
  CHECK(web.options.provider.empty());
  CHECK(web.source == "fleet.toml:5");

  const auto& db = set.certificates[1];
  CHECK(db.options.key_type == "rsa2048");
  CHECK(db.options.provider == "lab");
  CHECK(db.options.reuse_key);
  CHECK(db.options.deploy_hooks == std::vector<std::string>{"systemctl reload postgresql", "touch /run/db-cert"});
  CHECK(db.options.profile == "shortlived");
  CHECK(db.options.preferred_chain == "Root X2");
  CHECK(db.source == "fleet.toml:9");
}

TEST_CASE("each enterprise CA keeps its own EAB; [acme]'s is not sent to another CA", "[flow][apply]") {
  TempDir tmp("dns01-apply");
  tmp.write("eab-b", "customer-b-hmac-secret\n", 0600);
  const Config config = sample_config();
  auto set = parse_certificate_set(config, R"(
[[certificate]]
name = "a"
domains = ["a.internal.test"]
server = "https://ca.example/acme/customer-a/directory"
eab_kid = "kid-a"
eab_hmac_key = "customer-a-hmac-secret"

[[certificate]]
name = "b"
domains = ["b.internal.test"]
server = "https://ca.example/acme/customer-b/directory"
eab_kid = "kid-b"
eab_hmac_key_file = "eab-b"

[[certificate]]
name = "c"
domains = ["c.internal.test"]
server = "https://ca.example/acme/no-eab/directory"
)",
                                   (tmp.path() / "fleet.toml").string());
  REQUIRE(set.certificates.size() == 3);
  CHECK(set.certificates[0].options.eab_kid == "kid-a");
  CHECK(set.certificates[0].options.eab_hmac_key == "customer-a-hmac-secret");
  CHECK(set.certificates[1].options.eab_kid == "kid-b");
  CHECK(set.certificates[1].options.eab_hmac_key == "customer-b-hmac-secret");  // relative to the file
  CHECK(set.certificates[2].options.eab_kid.empty());
  CHECK(set.certificates[2].options.eab_hmac_key.empty());
  // Secrets are registered as soon as they are read.
  CHECK(Redactor::global().apply("x customer-a-hmac-secret y").find("customer-a") == std::string::npos);
  CHECK(Redactor::global().apply("x customer-b-hmac-secret y").find("customer-b") == std::string::npos);
}

TEST_CASE("every problem of a certificate set is reported at once, located", "[flow][apply]") {
  const Config config = sample_config();
  const std::string errors = errors_of(config, R"(
[[certificate]]
name = "web"
domains = ["web.internal.test"]
key_tpye = "ec256"

[[certificate]]
name = "web"
domains = ["www.*.internal.test"]

[[certificate]]
domains = ["nameless.internal.test"]
key_type = "dsa1024"

[[certificate]]
name = "x"
server = "http://plain.example/dir"
provider = "internl"
reuse_key = "yes"

[[certificate]]
name = "../etc"
domains = "one.internal.test"
)");
  INFO(errors);
  CHECK(errors.find("/srv/fleet.toml:5:1: unknown key 'key_tpye' in [[certificate]] (did you mean 'key_type'?)") !=
        std::string::npos);
  CHECK(errors.find("/srv/fleet.toml:8:8: duplicate name 'web' (first at fleet.toml:2)") != std::string::npos);
  CHECK(errors.find("/srv/fleet.toml:9:") != std::string::npos);  // the wildcard in the middle
  CHECK(errors.find("/srv/fleet.toml:11:1: [[certificate]] without 'name'") != std::string::npos);
  CHECK(errors.find("/srv/fleet.toml:13:") != std::string::npos);  // dsa1024
  CHECK(errors.find("dsa1024") != std::string::npos);
  CHECK(errors.find("/srv/fleet.toml:15:1: [[certificate]] without 'domains'") != std::string::npos);
  CHECK(errors.find("/srv/fleet.toml:17:") != std::string::npos);  // http:// server
  CHECK(errors.find("provider 'internl' is not a [providers.<name>] table") != std::string::npos);
  CHECK(errors.find("did you mean 'internal'?") != std::string::npos);
  CHECK(errors.find("configured: internal, lab") != std::string::npos);
  CHECK(errors.find("/srv/fleet.toml:19:13: 'reuse_key' must be true or false") != std::string::npos);
  CHECK(errors.find("/srv/fleet.toml:22:") != std::string::npos);  // "../etc"
  CHECK(errors.find("/srv/fleet.toml:23:11: 'domains' must be an array of strings") != std::string::npos);
}

TEST_CASE("a certificate set without certificates, with TOML errors or stray tables is refused", "[flow][apply]") {
  const Config config = sample_config();
  CHECK(errors_of(config, "").find("no [[certificate]] table") != std::string::npos);
  CHECK(errors_of(config, "[[certificate]\nname = 1\n").find("/srv/fleet.toml:1:") != std::string::npos);
  CHECK(errors_of(config, "[certificate]\nname = \"a\"\n").find("write each as [[certificate]]") != std::string::npos);
  const std::string stray = errors_of(config, "[acme]\nserver = \"x\"\n[[certificate]]\nname = \"a\"\ndomains = [\"a.lab.test\"]\n");
  INFO(stray);
  CHECK(stray.find("/srv/fleet.toml:1:2: unknown key 'acme' in the certificate set (top level)") != std::string::npos);
  const std::string defaults = errors_of(config, "[defaults]\nname = \"a\"\n[[certificate]]\nname = \"a\"\ndomains = [\"a.lab.test\"]\n");
  CHECK(defaults.find("/srv/fleet.toml:2:1: unknown key 'name' in [defaults]") != std::string::npos);
}

TEST_CASE("EAB comes in pairs and secret files follow the permission rule", "[flow][apply]") {
  TempDir tmp("dns01-apply");
  tmp.write("open-secret", "hmac-in-a-world-readable-file\n", 0644);
  const Config config = sample_config();
  const std::string file = (tmp.path() / "fleet.toml").string();
  const std::string half = errors_of(config, R"(
[[certificate]]
name = "a"
domains = ["a.lab.test"]
server = "https://ca.example/acme/customer-a/directory"
eab_kid = "kid-a"
)", file);
  CHECK(half.find("eab_kid without eab_hmac_key") != std::string::npos);
  const std::string both = errors_of(config, R"(
[[certificate]]
name = "a"
domains = ["a.lab.test"]
eab_hmac_key = "inline-secret-value"
eab_hmac_key_file = "open-secret"
)", file);
  CHECK(both.find("not both") != std::string::npos);
  CHECK(both.find("inline-secret-value") == std::string::npos);  // never quoted
  const std::string open = errors_of(config, R"(
[[certificate]]
name = "a"
domains = ["a.lab.test"]
eab_hmac_key_file = "open-secret"
)", file);
  CHECK(open.find("open-secret") != std::string::npos);  // names the file ...
  CHECK(open.find("hmac-in-a-world-readable-file") == std::string::npos);  // ... not its content
  const std::string missing = errors_of(config, R"(
[[certificate]]
name = "a"
domains = ["a.lab.test"]
ca_bundle = "no-such-bundle.pem"
)", file);
  CHECK(missing.find("ca_bundle: no file at") != std::string::npos);
}

TEST_CASE("load_certificate_set reads the file and names it when it cannot", "[flow][apply]") {
  TempDir tmp("dns01-apply");
  const Config config = sample_config();
  auto path = tmp.write("fleet.toml", "[[certificate]]\nname = \"a\"\ndomains = [\"a.lab.test\"]\n", 0644);
  auto set = load_certificate_set(config, path);
  REQUIRE(set.certificates.size() == 1);
  CHECK(set.file == path);
  try {
    load_certificate_set(config, tmp.path() / "absent.toml");
    FAIL("no error for a missing file");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("absent.toml") != std::string::npos);
  }
}

TEST_CASE("examples/apply/fleet.toml is a valid certificate set", "[flow][apply]") {
  // The example lives in the source tree; this file's path (relative to the build directory,
  // as meson compiles) leads there from the binary's build directory.
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe");
  const std::filesystem::path source_file =
      std::filesystem::weakly_canonical(exe.parent_path().parent_path().parent_path() / __FILE__);
  const std::filesystem::path example =
      source_file.parent_path().parent_path().parent_path().parent_path() / "examples" / "apply" / "fleet.toml";
  REQUIRE(std::filesystem::exists(example));
  TempDir tmp("dns01-apply");
  std::filesystem::copy_file(example, tmp.path() / "fleet.toml");
  std::filesystem::create_directory(tmp.path() / "secrets");
  tmp.write("secrets/eab-customer-a", "example-eab-a-secret\n", 0600);
  tmp.write("secrets/eab-customer-b", "example-eab-b-secret\n", 0600);
  auto set = load_certificate_set(sample_config(), tmp.path() / "fleet.toml");
  REQUIRE(set.certificates.size() == 6);
  CHECK(set.certificates[2].domains == std::vector<std::string>{"apps.int.example.com", "*.apps.int.example.com"});
  CHECK(set.certificates[3].options.provider == "lab");
  CHECK(set.certificates[3].options.deploy_hooks.empty());  // the table's [] wins over [defaults]
  CHECK(set.certificates[0].options.deploy_hooks == std::vector<std::string>{"/etc/dns01/hooks/nginx.sh"});
  CHECK(set.certificates[4].options.eab_hmac_key == "example-eab-a-secret");
  CHECK(set.certificates[5].options.eab_kid == "kid-customer-b");
}
