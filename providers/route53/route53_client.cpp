// Route 53 endpoints: request shapes and reply parsing (see route53_client.hpp).
#include "route53_client.hpp"

#include <dns01/kit/http.hpp>
#include <dns01/kit/names.hpp>
#include <dns01/kit/time.hpp>

#include "sigv4.hpp"
#include "xml.hpp"

namespace route53 {
namespace {

using dns01::provider::Failure;
using dns01::provider::HttpReply;
using dns01::provider::StatusCode;
namespace kit = dns01::kit;

constexpr const char* kApi = "/2013-04-01";

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string strip_prefix(std::string text, std::string_view prefix) {
  if (text.starts_with(prefix)) text.erase(0, prefix.size());
  return text;
}

bool retryable(const HttpReply& reply) {
  if (reply.code >= 500 && reply.code != 501 && reply.code != 505) return true;
  if (reply.code != 400 && reply.code != 429) return false;
  const std::string code = parse_error(reply.body).code;
  return reply.code == 429 || code == "Throttling" || code == "ThrottlingException" ||
         code == "PriorRequestNotComplete";
}

}  // namespace

std::string change_batch_xml(const std::vector<Change>& changes, const std::string& comment) {
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ChangeResourceRecordSetsRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"
      "<ChangeBatch><Comment>" + xml_escape(comment) + "</Comment><Changes>";
  for (const auto& c : changes) {
    xml += "<Change><Action>" + c.action + "</Action><ResourceRecordSet><Name>" +
           xml_escape(c.name) + ".</Name><Type>TXT</Type><TTL>" + std::to_string(c.set.ttl) +
           "</TTL><ResourceRecords>";
    for (const auto& v : c.set.values)
      xml += "<ResourceRecord><Value>" + xml_escape(v) + "</Value></ResourceRecord>";
    xml += "</ResourceRecords></ResourceRecordSet></Change>";
  }
  return xml + "</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>";
}

HttpReply Route53Client::call(const std::string& method, const std::string& path,
                              const std::vector<std::pair<std::string, std::string>>& query,
                              const std::string& body, const std::string& step,
                              const std::string& action) {
  kit::Request request(method, settings_.endpoint + path);
  for (const auto& [key, value] : query) request.query(key, value);
  if (!body.empty()) request.body(body, "text/xml");
  // This module runs the retry loop on the reply (Throttling is HTTP 400): one host attempt each.
  request.attempts(1);
  const UrlParts parts = split_url(request.url());
  // Sign what is sent; as botocore does, only host, x-amz-date and the session token.
  const SignedRequest to_sign{method, parts.path, parts.query, {{"Host", parts.host}}, body};
  kit::Request signed_request = request;
  for (auto& [name, value] : sign(to_sign, credentials_.current(),
                                  kit::iso8601_basic(std::chrono::system_clock::now()),
                                  settings_.region, "route53"))
    signed_request.header(name, value);
  kit::RetryPolicy policy;
  policy.max_attempts = 8;
  policy.retryable = retryable;
  HttpReply reply = kit::send_with_retry(host_, signed_request, step, policy);
  if (reply.code == 403 && parse_error(reply.body).code == "ExpiredToken") {
    credentials_.invalidate();  // temporary credentials ran out early: resolve once more
    return call(method, path, query, body, step + " (fresh credentials)", action);
  }
  if (reply.code >= 300 && !(reply.code == 400 && parse_error(reply.body).code == "InvalidChangeBatch"))
    fail(reply, step, action);
  return reply;
}

void Route53Client::fail(const HttpReply& reply, const std::string& step, const std::string& action) {
  const AwsError error = parse_error(reply.body);
  std::string message = "Route 53 answered HTTP " + std::to_string(reply.code) +
                        (error.code.empty() ? "" : " " + error.code) +
                        (error.message().empty() ? "" : ": " + error.message());
  const std::string table = "[providers." + settings_.instance + "]";
  if (error.code == "AccessDenied" || error.code == "AccessDeniedException")
    throw Failure(StatusCode::denied, step, message + " (missing IAM permission route53:" + action + ")",
                  "allow route53:" + action + " in the IAM policy of " + credentials_.source() +
                      " (docs/providers/route53.md, \"Permissions\")");
  if (error.code == "InvalidClientTokenId" || error.code == "SignatureDoesNotMatch" ||
      error.code == "IncompleteSignature" || error.code == "ExpiredToken" ||
      error.code == "UnrecognizedClientException")
    throw Failure(StatusCode::auth, step, message,
                  "the AWS credentials from " + credentials_.source() +
                      " were refused: check the key pair (and that the clock is right)");
  if (error.code == "NoSuchHostedZone")
    throw Failure(StatusCode::zone, step, message,
                  "check hosted_zone_id in " + table + " (aws route53 list-hosted-zones)");
  throw Failure(reply.code >= 500 || reply.code == 400 ? StatusCode::server
                                                        : kit::status_code_for(reply.code),
                step, message, "");
}

ZonePage Route53Client::list_hosted_zones_by_name(const std::string& dns_name,
                                                  const std::string& zone_id) {
  // No DNSName: the listing starts at the first zone of the account.
  std::vector<std::pair<std::string, std::string>> query;
  if (!dns_name.empty()) query.emplace_back("dnsname", dns_name);
  if (!zone_id.empty()) query.emplace_back("hostedzoneid", zone_id);
  query.emplace_back("maxitems", "100");
  const std::string step =
      dns_name.empty() ? "list the hosted zones" : "find the hosted zone of " + dns_name;
  const HttpReply reply = call("GET", std::string(kApi) + "/hostedzonesbyname", query, "", step,
                               "ListHostedZonesByName");
  const Xml xml = Xml::parse(reply.body, step);
  ZonePage page;
  for (const auto* zone : Xml::children(Xml::find(xml.root(), "HostedZones"), "HostedZone")) {
    HostedZone z;
    z.id = strip_prefix(Xml::text(zone, "Id").value_or(""), "/hostedzone/");
    z.name = kit::normalize_name(Xml::text(zone, "Name").value_or("")) + ".";
    z.private_zone = Xml::text(zone, "Config/PrivateZone").value_or("false") == "true";
    page.zones.push_back(std::move(z));
  }
  page.truncated = Xml::text(xml.root(), "IsTruncated").value_or("false") == "true";
  page.next_dns_name = Xml::text(xml.root(), "NextDNSName").value_or("");
  page.next_zone_id = Xml::text(xml.root(), "NextHostedZoneId").value_or("");
  return page;
}

std::optional<TxtSet> Route53Client::get_txt(const std::string& zone_id, const std::string& name) {
  const std::string step = "read TXT " + name;
  const HttpReply reply =
      call("GET", std::string(kApi) + "/hostedzone/" + zone_id + "/rrset",
           {{"name", name + "."}, {"type", "TXT"}, {"maxitems", "1"}}, "", step,
           "ListResourceRecordSets");
  const Xml xml = Xml::parse(reply.body, step);
  for (const auto* set : Xml::children(Xml::find(xml.root(), "ResourceRecordSets"), "ResourceRecordSet")) {
    if (kit::normalize_name(Xml::text(set, "Name").value_or("")) != kit::normalize_name(name) ||
        Xml::text(set, "Type").value_or("") != "TXT" || Xml::find(set, "SetIdentifier"))
      continue;
    TxtSet txt;
    txt.ttl = static_cast<std::uint32_t>(std::stoul(Xml::text(set, "TTL").value_or("0")));
    for (const auto* rr : Xml::children(Xml::find(set, "ResourceRecords"), "ResourceRecord"))
      txt.values.push_back(Xml::text(rr, "Value").value_or(""));
    return txt;
  }
  return std::nullopt;
}

ChangeOutcome Route53Client::change(const std::string& zone_id, const std::vector<Change>& changes) {
  const std::string step = "change " + std::to_string(changes.size()) + " TXT record set(s) in zone " + zone_id;
  const HttpReply reply = call("POST", std::string(kApi) + "/hostedzone/" + zone_id + "/rrset/", {},
                               change_batch_xml(changes, "dns01 ACME challenge"), step,
                               "ChangeResourceRecordSets");
  ChangeOutcome outcome;
  if (reply.code == 400) {
    outcome.rejected = parse_error(reply.body).messages;
    if (outcome.rejected.empty()) outcome.rejected.emplace_back("InvalidChangeBatch");
    return outcome;
  }
  const Xml xml = Xml::parse(reply.body, step);
  outcome.change_id = strip_prefix(Xml::text(xml.root(), "ChangeInfo/Id").value_or(""), "/change/");
  if (outcome.change_id.empty())
    throw Failure(StatusCode::server, step, "the reply has no ChangeInfo/Id",
                  "check that endpoint points at Route 53");
  return outcome;
}

std::string Route53Client::get_change(const std::string& change_id) {
  const std::string step = "wait for change " + change_id;
  const HttpReply reply = call("GET", std::string(kApi) + "/change/" + change_id, {}, "", step, "GetChange");
  const Xml xml = Xml::parse(reply.body, step);
  return Xml::text(xml.root(), "ChangeInfo/Status").value_or("");
}

}  // namespace route53
