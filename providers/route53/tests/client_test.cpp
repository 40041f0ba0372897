// Route53Client against the kit's FakeHost: request shapes (paths, queries, SigV4 headers, the
// change batch body), reply parsing, both error shapes, retries and the status mapping.
#include <catch2/catch.hpp>

#include "fake_host.hpp"
#include "route53_client.hpp"
#include "test_values.hpp"
#include "xml.hpp"

using dns01::kit::test::FakeHost;
using dns01::provider::Failure;
using dns01::provider::StatusCode;
using namespace route53::test;

namespace {

struct Fixture {
  FakeHost host;
  route53::Route53Settings settings = route53::parse_settings(
      table({{"endpoint", text("https://127.0.0.1:18553")},
             {"access_key_id", text("AKIDEXAMPLE")},
             {"secret_access_key", text("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")}}));
  route53::CredentialChain chain{settings, host};
  route53::Route53Client client{host, settings, chain};
};

std::string header(const dns01::provider::HttpCall& call, const std::string& name) {
  for (const auto& [k, v] : call.headers)
    if (k == name) return v;
  return {};
}

const char* kThrottled =
    "<ErrorResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><Error><Type>Sender"
    "</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r1"
    "</RequestId></ErrorResponse>";

}  // namespace

TEST_CASE("route53 client: the change batch body is the API model's XML", "[route53]") {
  const std::string xml = route53::change_batch_xml(
      {{"DELETE", "_acme-challenge.example.com", {300, {"\"old\""}}},
       {"CREATE", "_acme-challenge.example.com", {60, {"\"old\"", "\"new\""}}}},
      "c");
  CHECK(xml.find("<ChangeResourceRecordSetsRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"
                 "<ChangeBatch><Comment>c</Comment><Changes><Change><Action>DELETE</Action>"
                 "<ResourceRecordSet><Name>_acme-challenge.example.com.</Name><Type>TXT</Type>"
                 "<TTL>300</TTL><ResourceRecords><ResourceRecord><Value>\"old\"</Value>"
                 "</ResourceRecord></ResourceRecords></ResourceRecordSet></Change>") !=
        std::string::npos);
  CHECK(xml.find("<TTL>60</TTL><ResourceRecords><ResourceRecord><Value>\"old\"</Value>"
                 "</ResourceRecord><ResourceRecord><Value>\"new\"</Value>") != std::string::npos);
}

TEST_CASE("route53 client: ListHostedZonesByName request and reply", "[route53]") {
  Fixture f;
  f.host.replies.push_back(FakeHost::reply(200,
      "<ListHostedZonesByNameResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"
      "<HostedZones><HostedZone><Id>/hostedzone/ZPRIV</Id><Name>Example.com.</Name><Config>"
      "<PrivateZone>true</PrivateZone></Config></HostedZone><HostedZone><Id>/hostedzone/ZPUB</Id>"
      "<Name>example.com.</Name><Config><PrivateZone>false</PrivateZone></Config></HostedZone>"
      "</HostedZones><DNSName>example.com</DNSName><IsTruncated>true</IsTruncated>"
      "<NextDNSName>example.net.</NextDNSName><NextHostedZoneId>ZNEXT</NextHostedZoneId>"
      "<MaxItems>100</MaxItems></ListHostedZonesByNameResponse>"));
  const auto page = f.client.list_hosted_zones_by_name("example.com", "");
  REQUIRE(f.host.calls.size() == 1);
  const auto& call = f.host.calls[0];
  CHECK(call.method == "GET");
  CHECK(call.url == "https://127.0.0.1:18553/2013-04-01/hostedzonesbyname?dnsname=example.com&maxitems=100");
  CHECK(call.max_attempts == 1);
  const std::string auth = header(call, "Authorization");
  CHECK(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
  CHECK(auth.find("/us-east-1/route53/aws4_request, SignedHeaders=host;x-amz-date, Signature=") !=
        std::string::npos);
  CHECK(header(call, "X-Amz-Date").size() == 16);
  REQUIRE(page.zones.size() == 2);
  CHECK(page.zones[0].id == "ZPRIV");
  CHECK(page.zones[0].name == "example.com.");
  CHECK(page.zones[0].private_zone);
  CHECK_FALSE(page.zones[1].private_zone);
  CHECK(page.truncated);
  CHECK(page.next_dns_name == "example.net.");
  CHECK(page.next_zone_id == "ZNEXT");
}

TEST_CASE("route53 client: the TXT set is read only at exactly the name", "[route53]") {
  Fixture f;
  f.host.replies.push_back(FakeHost::reply(200,
      "<ListResourceRecordSetsResponse><ResourceRecordSets><ResourceRecordSet>"
      "<Name>_acme-challenge.example.com.</Name><Type>TXT</Type><TTL>120</TTL><ResourceRecords>"
      "<ResourceRecord><Value>\"a\"</Value></ResourceRecord><ResourceRecord><Value>\"b\" \"c\""
      "</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></ResourceRecordSets>"
      "<IsTruncated>false</IsTruncated></ListResourceRecordSetsResponse>"));
  f.host.replies.push_back(FakeHost::reply(200,
      "<ListResourceRecordSetsResponse><ResourceRecordSets><ResourceRecordSet>"
      "<Name>www.example.com.</Name><Type>A</Type><TTL>120</TTL></ResourceRecordSet>"
      "</ResourceRecordSets></ListResourceRecordSetsResponse>"));
  const auto set = f.client.get_txt("Z1", "_acme-challenge.example.com");
  CHECK(f.host.calls[0].url == "https://127.0.0.1:18553/2013-04-01/hostedzone/Z1/rrset?name="
                               "_acme-challenge.example.com.&type=TXT&maxitems=1");
  REQUIRE(set);
  CHECK(set->ttl == 120);
  CHECK(set->values == std::vector<std::string>{"\"a\"", "\"b\" \"c\""});
  CHECK_FALSE(f.client.get_txt("Z1", "_acme-challenge.example.com"));
}

TEST_CASE("route53 client: a change is posted, its id read, GetChange polled", "[route53]") {
  Fixture f;
  f.host.replies.push_back(FakeHost::reply(200,
      "<ChangeResourceRecordSetsResponse><ChangeInfo><Id>/change/C123</Id><Status>PENDING"
      "</Status></ChangeInfo></ChangeResourceRecordSetsResponse>"));
  f.host.replies.push_back(FakeHost::reply(200,
      "<GetChangeResponse><ChangeInfo><Id>/change/C123</Id><Status>INSYNC</Status></ChangeInfo>"
      "</GetChangeResponse>"));
  const auto outcome = f.client.change("Z1", {{"CREATE", "_acme-challenge.example.com", {60, {"\"v\""}}}});
  CHECK(outcome.change_id == "C123");
  CHECK(f.host.calls[0].method == "POST");
  CHECK(f.host.calls[0].url == "https://127.0.0.1:18553/2013-04-01/hostedzone/Z1/rrset/");
  CHECK(f.host.calls[0].body.find("<Action>CREATE</Action>") != std::string::npos);
  CHECK(f.client.get_change("C123") == "INSYNC");
  CHECK(f.host.calls[1].url == "https://127.0.0.1:18553/2013-04-01/change/C123");
}

TEST_CASE("route53 client: both InvalidChangeBatch shapes come back as rejections", "[route53]") {
  Fixture f;
  f.host.replies.push_back(FakeHost::reply(400,
      "<InvalidChangeBatch xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><Messages>"
      "<Message>Tried to delete resource record set [name='x.example.com.', type='TXT'] but "
      "the values provided do not match the current values</Message></Messages><RequestId>r"
      "</RequestId></InvalidChangeBatch>"));
  f.host.replies.push_back(FakeHost::reply(400,
      "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidChangeBatch</Code><Message>Tried to "
      "create resource record set but it already exists</Message></Error></ErrorResponse>"));
  const route53::Change c{"DELETE", "x.example.com", {60, {"\"v\""}}};
  auto a = f.client.change("Z1", {c});
  CHECK(a.change_id.empty());
  REQUIRE(a.rejected.size() == 1);
  CHECK(a.rejected[0].find("do not match") != std::string::npos);
  auto b = f.client.change("Z1", {c});
  REQUIRE(b.rejected.size() == 1);
  CHECK(b.rejected[0].find("already exists") != std::string::npos);
}

TEST_CASE("route53 client: Throttling and PriorRequestNotComplete are retried", "[route53]") {
  Fixture f;
  f.host.replies.push_back(FakeHost::reply(400, kThrottled));
  f.host.replies.push_back(FakeHost::reply(400,
      "<ErrorResponse><Error><Code>PriorRequestNotComplete</Code><Message>still processing"
      "</Message></Error></ErrorResponse>"));
  f.host.replies.push_back(FakeHost::reply(503, ""));
  f.host.replies.push_back(FakeHost::reply(200,
      "<GetChangeResponse><ChangeInfo><Status>PENDING</Status></ChangeInfo></GetChangeResponse>"));
  CHECK(f.client.get_change("C1") == "PENDING");
  CHECK(f.host.calls.size() == 4);
  CHECK(f.host.slept.size() == 3);
}

TEST_CASE("route53 client: errors name the cause and what to do", "[route53]") {
  Fixture f;
  f.host.replies.push_back(FakeHost::reply(403,
      "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:"
      "iam::1:user/dns is not authorized to perform: route53:ChangeResourceRecordSets</Message>"
      "</Error></ErrorResponse>"));
  try {
    f.client.change("Z1", {{"CREATE", "a.example.com", {60, {"\"v\""}}}});
    FAIL("no error");
  } catch (const Failure& e) {
    CHECK(e.status().code == StatusCode::denied);
    CHECK(e.status().message.find("route53:ChangeResourceRecordSets") != std::string::npos);
    CHECK(e.status().hint.find("route53:ChangeResourceRecordSets") != std::string::npos);
  }
  f.host.replies.push_back(FakeHost::reply(403,
      "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we "
      "calculated does not match</Message></Error></ErrorResponse>"));
  try {
    f.client.get_change("C1");
    FAIL("no error");
  } catch (const Failure& e) {
    CHECK(e.status().code == StatusCode::auth);
    CHECK(e.status().message.find("SignatureDoesNotMatch") != std::string::npos);
    CHECK(e.status().message.find("wJalrXUtnFEMI") == std::string::npos);
  }
  f.host.replies.push_back(FakeHost::reply(404,
      "<ErrorResponse><Error><Code>NoSuchHostedZone</Code><Message>No hosted zone found with ID: "
      "Z9</Message></Error></ErrorResponse>"));
  try {
    f.client.get_txt("Z9", "a.example.com");
    FAIL("no error");
  } catch (const Failure& e) {
    CHECK(e.status().code == StatusCode::zone);
    CHECK(e.status().hint.find("hosted_zone_id") != std::string::npos);
  }
}

TEST_CASE("route53 xml: parse_error reads both shapes and survives garbage", "[route53]") {
  auto e = route53::parse_error(kThrottled);
  CHECK(e.code == "Throttling");
  CHECK(e.message() == "Rate exceeded");
  CHECK(e.request_id == "r1");
  auto b = route53::parse_error(
      "<InvalidChangeBatch><Messages><Message>m1</Message><Message>m2</Message></Messages>"
      "</InvalidChangeBatch>");
  CHECK(b.code == "InvalidChangeBatch");
  CHECK(b.message() == "m1; m2");
  CHECK(route53::parse_error("<html>oops").code.empty());
  CHECK(route53::parse_error("").messages.empty());
}
