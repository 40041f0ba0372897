// SigV4 against every header-* case of the AWS signing test suite (aws-c-auth's v4 folder,
// copied to ../shared/vectors/aws-sigv4): canonical request, string to sign and signature, byte
// for byte; plus the Host-with-port rule and split_url().
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sigv4.hpp"

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// request.txt: request line, headers (continuation lines start with whitespace), blank line, body.
route53::SignedRequest parse_request(const std::string& text) {
  route53::SignedRequest r;
  std::size_t pos = text.find('\n');
  const std::string line = text.substr(0, pos);
  const auto sp1 = line.find(' ');
  const auto sp2 = line.rfind(' ');
  r.method = line.substr(0, sp1);
  const std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const auto q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) r.query = target.substr(q + 1);
  for (std::size_t start = pos + 1; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string h = text.substr(start, end - start);
    start = end + 1;
    if (h.empty()) {
      r.body = start < text.size() ? text.substr(start) : "";
      break;
    }
    if (h[0] == ' ' || h[0] == '\t') {
      r.headers.back().second += " " + h;  // folded value: whitespace collapses when signed
      continue;
    }
    const auto colon = h.find(':');
    r.headers.emplace_back(h.substr(0, colon), h.substr(colon + 1));
  }
  return r;
}

}  // namespace

TEST_CASE("route53 sigv4: every header case of the AWS signing test suite", "[route53][sigv4]") {
  const fs::path root = ROUTE53_VECTORS;
  REQUIRE(fs::is_directory(root));
  int cases = 0;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (!entry.is_directory() || !fs::exists(entry.path() / "header-signature.txt")) continue;
    const std::string name = entry.path().filename().string();
    INFO("case " << name);
    const auto context = nlohmann::json::parse(slurp(entry.path() / "context.json"));
    route53::SignedRequest request = parse_request(slurp(entry.path() / "request.txt"));
    request.normalize = context.value("normalize", true);
    const std::string amz_date = "20150830T123600Z";
    REQUIRE(context["timestamp"] == "2015-08-30T12:36:00Z");
    const auto& creds = context["credentials"];
    const std::string token = creds.value("token", "");
    if (context.value("sign_body", false))
      request.headers.emplace_back("X-Amz-Content-Sha256", route53::sha256_hex(request.body));
    request.headers.emplace_back("X-Amz-Date", amz_date);
    if (!token.empty() && !context.value("omit_session_token", false))
      request.headers.emplace_back("X-Amz-Security-Token", token);

    const std::string canonical = route53::canonical_request(request);
    CHECK(canonical == slurp(entry.path() / "header-canonical-request.txt"));
    const std::string region = context["region"], service = context["service"];
    const std::string scope = "20150830/" + region + "/" + service + "/aws4_request";
    const std::string to_sign = route53::string_to_sign(amz_date, scope, canonical);
    CHECK(to_sign == slurp(entry.path() / "header-string-to-sign.txt"));
    CHECK(route53::signature(std::string(creds["secret_access_key"]), "20150830", region, service,
                             to_sign) == slurp(entry.path() / "header-signature.txt"));
    ++cases;
  }
  CHECK(cases >= 38);
}

TEST_CASE("route53 sigv4: sign() adds date, token and the Authorization header", "[route53][sigv4]") {
  // get-vanilla-with-session-token through the whole recipe.
  route53::SignedRequest r{"GET", "/", "", {{"Host", "example.amazonaws.com"}}, ""};
  const route53::SigningKey key{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"};
  const auto headers = route53::sign(r, key, "20150830T123600Z", "us-east-1", "service");
  REQUIRE(headers.size() == 3);
  CHECK(headers[0] == std::pair<std::string, std::string>{"X-Amz-Date", "20150830T123600Z"});
  CHECK(headers[1].first == "X-Amz-Security-Token");
  CHECK(headers[2].second ==
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date;x-amz-security-token, "
        "Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8");
}

TEST_CASE("route53 sigv4: split_url keeps a non-default port in Host", "[route53][sigv4]") {
  auto p = route53::split_url("https://127.0.0.1:18553/2013-04-01/rrset/?name=a.b.&type=TXT");
  CHECK(p.host == "127.0.0.1:18553");
  CHECK(p.path == "/2013-04-01/rrset/");
  CHECK(p.query == "name=a.b.&type=TXT");
  CHECK(route53::split_url("https://Route53.amazonaws.com:443").host == "route53.amazonaws.com");
  CHECK(route53::split_url("https://route53.amazonaws.com").path == "/");
  CHECK(route53::split_url("http://[::1]:8080/x").host == "[::1]:8080");
  CHECK_THROWS_AS(route53::split_url("ftp://x"), std::invalid_argument);
  CHECK_THROWS_AS(route53::split_url("route53.amazonaws.com"), std::invalid_argument);
}
