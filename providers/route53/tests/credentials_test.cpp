// The credential chain against the kit's FakeHost: each source, its requests, the order, and
// the errors when nothing or half a source is configured.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "credentials.hpp"
#include "fake_host.hpp"
#include "test_values.hpp"

using dns01::kit::test::FakeHost;
using dns01::provider::Failure;
using dns01::provider::StatusCode;
using namespace route53::test;
namespace fs = std::filesystem;

namespace {

const char* kMetadataJson =
    R"({"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIAMETA","SecretAccessKey":"metasecret",)"
    R"("Token":"metatoken","Expiration":"2099-01-01T00:00:00Z"})";

struct Fixture {
  fs::path dir;
  FakeHost host;
  route53::Route53Settings settings;
  explicit Fixture(std::map<std::string, dns01::provider::Value, std::less<>> given = {})
      : settings(route53::parse_settings(table(std::move(given)))) {
    dir = fs::temp_directory_path() / ("route53-creds-" + std::to_string(::getpid()) + "-" +
                                       std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    fs::create_directories(dir);
    host.environment["HOME"] = dir.string();  // never the real ~/.aws
    host.environment["AWS_EC2_METADATA_DISABLED"] = "true";
  }
  ~Fixture() { fs::remove_all(dir); }
  std::string write(const std::string& name, const std::string& text) {
    const auto path = dir / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
    return path.string();
  }
};

bool has_secret(const FakeHost& host, const std::string& value) {
  return std::find(host.secrets.begin(), host.secrets.end(), value) != host.secrets.end();
}

}  // namespace

TEST_CASE("route53 credentials: the table's keys come first", "[route53]") {
  Fixture f({{"access_key_id", text("AKIATABLE")}, {"secret_access_key", text("tablesecret")}});
  f.host.environment["AWS_ACCESS_KEY_ID"] = "AKIAENV";
  f.host.environment["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  route53::CredentialChain chain(f.settings, f.host);
  CHECK(chain.current().access_key_id == "AKIATABLE");
  CHECK(chain.source().find("settings") != std::string::npos);
  CHECK(has_secret(f.host, "tablesecret"));
  CHECK(f.host.calls.empty());
}

TEST_CASE("route53 credentials: environment, with session token", "[route53]") {
  Fixture f;
  f.host.environment["AWS_ACCESS_KEY_ID"] = "ASIAENV";
  f.host.environment["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  f.host.environment["AWS_SESSION_TOKEN"] = "envtoken";
  route53::CredentialChain chain(f.settings, f.host);
  CHECK(chain.current().session_token == "envtoken");
  CHECK(chain.source() == "the environment (AWS_ACCESS_KEY_ID)");
  CHECK(has_secret(f.host, "envtoken"));
  bool logged = false;
  for (const auto& line : f.host.logs) {
    CHECK(line.find("envsecret") == std::string::npos);
    logged = logged || line.find("AWS credentials from the environment") != std::string::npos;
  }
  CHECK(logged);

  Fixture half;
  half.host.environment["AWS_ACCESS_KEY_ID"] = "ASIAENV";
  route53::CredentialChain broken(half.settings, half.host);
  CHECK_THROWS_AS(broken.current(), Failure);
}

TEST_CASE("route53 credentials: shared credentials and config files, by profile", "[route53]") {
  Fixture f;
  f.write(".aws/credentials", "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = d\n"
                              "[dns]\naws_access_key_id=AKIADNS\naws_secret_access_key=dnssecret\n");
  f.write(".aws/config", "[profile cfg]\naws_access_key_id = AKIACFG\naws_secret_access_key = c\n");
  {
    route53::CredentialChain chain(f.settings, f.host);
    CHECK(chain.current().access_key_id == "AKIADEFAULT");
  }
  f.host.environment["AWS_PROFILE"] = "dns";
  {
    route53::CredentialChain chain(f.settings, f.host);
    CHECK(chain.current().access_key_id == "AKIADNS");
    CHECK(chain.source().find("profile 'dns'") != std::string::npos);
  }
  f.host.environment["AWS_PROFILE"] = "cfg";
  {
    route53::CredentialChain chain(f.settings, f.host);
    CHECK(chain.current().access_key_id == "AKIACFG");
  }
  f.host.environment["AWS_PROFILE"] = "missing";
  route53::CredentialChain chain(f.settings, f.host);
  try {
    chain.current();
    FAIL("a missing named profile was accepted");
  } catch (const Failure& e) {
    CHECK(e.status().code == StatusCode::config);
    CHECK(e.status().message.find("'missing'") == std::string::npos);  // step names it
    CHECK(e.status().step.find("missing") != std::string::npos);
  }
  // AWS_SHARED_CREDENTIALS_FILE moves the file.
  f.host.environment.erase("AWS_PROFILE");
  f.host.environment["AWS_SHARED_CREDENTIALS_FILE"] =
      f.write("elsewhere", "[default]\naws_access_key_id=AKIAMOVED\naws_secret_access_key=m\n");
  route53::CredentialChain moved(f.settings, f.host);
  CHECK(moved.current().access_key_id == "AKIAMOVED");
}

TEST_CASE("route53 credentials: web identity is an unsigned AssumeRoleWithWebIdentity", "[route53]") {
  Fixture f;
  f.host.environment["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/ci";
  f.host.environment["AWS_WEB_IDENTITY_TOKEN_FILE"] = f.write("token", "eyJ.jwt.one\n");
  f.host.replies.push_back(FakeHost::reply(200,
      "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
      "<AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIAWEB</AccessKeyId>"
      "<SecretAccessKey>websecret</SecretAccessKey><SessionToken>webtoken</SessionToken>"
      "<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult>"
      "</AssumeRoleWithWebIdentityResponse>"));
  route53::CredentialChain chain(f.settings, f.host);
  CHECK(chain.current().access_key_id == "ASIAWEB");
  REQUIRE(f.host.calls.size() == 1);
  const auto& call = f.host.calls[0];
  CHECK(call.method == "POST");
  CHECK(call.url == "https://sts.amazonaws.com/");
  CHECK(call.body == "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A"
                     "123456789012%3Arole%2Fci&RoleSessionName=dns01&WebIdentityToken=eyJ.jwt.one");
  for (const auto& [k, v] : call.headers) CHECK(k != "Authorization");
  CHECK(has_secret(f.host, "eyJ.jwt.one"));
  CHECK(has_secret(f.host, "webtoken"));

  // A refused token: auth, with the STS code.
  f.host.replies.push_back(FakeHost::reply(400,
      "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>"
      "Incorrect token audience</Message></Error></ErrorResponse>"));
  chain.invalidate();
  try {
    chain.current();
    FAIL("a refused token was accepted");
  } catch (const Failure& e) {
    CHECK(e.status().code == StatusCode::auth);
    CHECK(e.status().message.find("InvalidIdentityToken") != std::string::npos);
    CHECK(e.status().message.find("eyJ") == std::string::npos);
  }
}

TEST_CASE("route53 credentials: container credentials with the authorization token", "[route53]") {
  Fixture f;
  f.host.environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://127.0.0.1:9/creds";
  f.host.environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = f.write("auth", "pod-token\n");
  f.host.replies.push_back(FakeHost::reply(200, kMetadataJson));
  route53::CredentialChain chain(f.settings, f.host);
  CHECK(chain.current().access_key_id == "ASIAMETA");
  CHECK(chain.current().session_token == "metatoken");
  REQUIRE(f.host.calls.size() == 1);
  CHECK(f.host.calls[0].url == "http://127.0.0.1:9/creds");
  CHECK(f.host.calls[0].headers == dns01::provider::HttpHeaders{{"Authorization", "pod-token"}});

  Fixture rel;
  rel.host.environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/abc";
  rel.host.replies.push_back(FakeHost::reply(200, kMetadataJson));
  route53::CredentialChain relative(rel.settings, rel.host);
  relative.current();
  CHECK(rel.host.calls[0].url == "http://169.254.170.2/v2/credentials/abc");
}

TEST_CASE("route53 credentials: EC2 IMDSv2 token, role, credentials", "[route53]") {
  Fixture f;
  f.host.environment.erase("AWS_EC2_METADATA_DISABLED");
  f.host.environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://127.0.0.1:9/";
  f.host.replies.push_back(FakeHost::reply(200, "imds-session"));
  f.host.replies.push_back(FakeHost::reply(200, "dns-role\n"));
  f.host.replies.push_back(FakeHost::reply(200, kMetadataJson));
  route53::CredentialChain chain(f.settings, f.host);
  CHECK(chain.current().access_key_id == "ASIAMETA");
  REQUIRE(f.host.calls.size() == 3);
  CHECK(f.host.calls[0].method == "PUT");
  CHECK(f.host.calls[0].url == "http://127.0.0.1:9/latest/api/token");
  CHECK(f.host.calls[0].max_attempts == 1);
  CHECK(f.host.calls[0].timeout == std::chrono::seconds(1));
  CHECK(f.host.calls[2].url == "http://127.0.0.1:9/latest/meta-data/iam/security-credentials/dns-role");
  CHECK(f.host.calls[2].headers ==
        dns01::provider::HttpHeaders{{"X-aws-ec2-metadata-token", "imds-session"}});
  CHECK(chain.source() == "EC2 instance metadata (role dns-role)");
}

TEST_CASE("route53 credentials: nothing found names the keys; IMDS off-cloud is one probe", "[route53]") {
  Fixture f;
  f.host.environment.erase("AWS_EC2_METADATA_DISABLED");  // no scripted reply: the probe fails
  route53::CredentialChain chain(f.settings, f.host);
  try {
    chain.current();
    FAIL("no credentials were accepted");
  } catch (const Failure& e) {
    CHECK(e.status().code == StatusCode::config);
    CHECK(e.status().message.find("access_key_id") != std::string::npos);
    CHECK(e.status().message.find("secret_access_key") != std::string::npos);
    CHECK(e.status().hint.find("[providers.aws]") != std::string::npos);
  }
  REQUIRE(f.host.calls.size() == 1);
  CHECK(f.host.calls[0].url == "http://169.254.169.254/latest/api/token");
}

TEST_CASE("route53 credentials: role_arn is assumed with a signed AssumeRole", "[route53]") {
  Fixture f({{"access_key_id", text("AKIABASE")}, {"secret_access_key", text("base")},
             {"role_arn", text("arn:aws:iam::1:role/dns")}});
  f.host.replies.push_back(FakeHost::reply(200,
      "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAROLE</AccessKeyId>"
      "<SecretAccessKey>rs</SecretAccessKey><SessionToken>rt</SessionToken><Expiration>"
      "2099-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>"));
  route53::CredentialChain chain(f.settings, f.host);
  CHECK(chain.current().access_key_id == "ASIAROLE");
  bool signed_call = false;
  for (const auto& [k, v] : f.host.calls.at(0).headers)
    signed_call = signed_call || (k == "Authorization" && v.find("Credential=AKIABASE/") != std::string::npos &&
                                  v.find("/us-east-1/sts/aws4_request") != std::string::npos);
  CHECK(signed_call);
  CHECK(f.host.calls[0].body.starts_with("Action=AssumeRole&Version=2011-06-15&RoleArn="));
}

TEST_CASE("route53 credentials: temporary credentials are refreshed, the token file re-read",
          "[route53]") {
  Fixture f;
  f.host.environment["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/ci";
  const std::string file = f.write("token", "first-token");
  f.host.environment["AWS_WEB_IDENTITY_TOKEN_FILE"] = file;
  // Expires within the 5-minute margin: the next current() must resolve again.
  const std::string soon = dns01::kit::rfc3339(std::chrono::system_clock::now() + std::chrono::minutes(1));
  auto sts = [&](const std::string& akid, const std::string& expiration) {
    return FakeHost::reply(200,
        "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
        "<AccessKeyId>" + akid + "</AccessKeyId><SecretAccessKey>s</SecretAccessKey>"
        "<SessionToken>t</SessionToken><Expiration>" + expiration + "</Expiration></Credentials>"
        "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>");
  };
  f.host.replies.push_back(sts("ASIAONE", soon));
  f.host.replies.push_back(sts("ASIATWO", "2099-01-01T00:00:00Z"));
  route53::CredentialChain chain(f.settings, f.host);
  CHECK(chain.current().access_key_id == "ASIAONE");
  f.write("token", "rotated-token");
  CHECK(chain.current().access_key_id == "ASIATWO");
  REQUIRE(f.host.calls.size() == 2);
  CHECK(f.host.calls[1].body.ends_with("WebIdentityToken=rotated-token"));
  CHECK(chain.current().access_key_id == "ASIATWO");  // long-lived now: no third call
  CHECK(f.host.calls.size() == 2);
}
