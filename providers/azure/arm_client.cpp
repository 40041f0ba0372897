// Azure Resource Manager calls (see arm_client.hpp).
#include "arm_client.hpp"

#include <dns01/kit/names.hpp>

#include <stdexcept>

namespace azure {

namespace kit = dns01::kit;
using dns01::provider::Failure;
using dns01::provider::HttpReply;
using dns01::provider::StatusCode;

namespace {

constexpr const char* kPublicApi = "2018-05-01";
constexpr const char* kPrivateApi = "2020-06-01";

const char* resource_type(ZoneType type) {
  return type == ZoneType::private_zone ? "privateDnsZones" : "dnsZones";
}

const char* api_version(ZoneType type) {
  return type == ZoneType::private_zone ? kPrivateApi : kPublicApi;
}

std::string shorten(std::string text, std::size_t limit = 300) {
  if (auto nl = text.find_first_of("\r\n"); nl != std::string::npos) text.resize(nl);
  if (text.size() > limit) text = text.substr(0, limit) + "...";
  return text;
}

std::string role_for(ZoneType type) {
  return type == ZoneType::private_zone ? "Private DNS Zone Contributor" : "DNS Zone Contributor";
}

// The first of `names` present in `object` (the two record-set spellings).
const kit::Json* either(const kit::Json& object, const char* a, const char* b) {
  if (!object.is_object()) return nullptr;
  if (auto it = object.find(a); it != object.end()) return &*it;
  if (auto it = object.find(b); it != object.end()) return &*it;
  return nullptr;
}

}  // namespace

ArmError parse_arm_error(std::string_view body) {
  ArmError out;
  kit::Json doc;
  try {
    doc = kit::parse_json(body, "read the error");
  } catch (const Failure&) {
    return out;
  }
  const kit::Json* node = &doc;
  if (auto* inner = kit::json_find(doc, "error"); inner && inner->is_object()) node = inner;
  if (auto* code = kit::json_find(*node, "code"); code && code->is_string())
    out.code = code->get<std::string>();
  if (auto* message = kit::json_find(*node, "message"); message && message->is_string())
    out.message = message->get<std::string>();
  return out;
}

kit::Json record_set_body(ZoneType type, const RecordSet& set) {
  kit::Json records = kit::Json::array();
  for (const auto& strings : set.records) records.push_back({{"value", strings}});
  const bool priv = type == ZoneType::private_zone;
  kit::Json properties = {{priv ? "ttl" : "TTL", set.ttl},
                          {priv ? "txtRecords" : "TXTRecords", std::move(records)}};
  if (!set.metadata.empty()) properties["metadata"] = set.metadata;
  return {{"properties", std::move(properties)}};
}

RecordSet parse_record_set(const kit::Json& doc, std::string_view step) {
  RecordSet out;
  out.exists = true;
  if (auto* etag = kit::json_find(doc, "etag"); etag && etag->is_string())
    out.etag = etag->get<std::string>();
  const kit::Json& properties = kit::json_at(doc, "properties", step);
  if (auto* ttl = either(properties, "TTL", "ttl"); ttl && ttl->is_number_integer())
    out.ttl = ttl->get<std::int64_t>();
  if (auto* meta = either(properties, "metadata", "metadata"); meta && meta->is_object())
    out.metadata = *meta;
  if (auto* records = either(properties, "TXTRecords", "txtRecords"); records &&
                                                                        records->is_array()) {
    for (const auto& record : *records) {
      std::vector<std::string> strings;
      if (auto* value = kit::json_find(record, "value"); value && value->is_array())
        for (const auto& s : *value)
          if (s.is_string()) strings.push_back(s.get<std::string>());
      out.records.push_back(std::move(strings));
    }
  }
  if (out.etag.empty())
    throw Failure(StatusCode::server, std::string(step), "the record set has no etag",
                  "Azure always sends one; is arm_endpoint really Azure Resource Manager?");
  return out;
}

Failure arm_failure(const HttpReply& reply, std::string step, const AzureSettings& s,
                    const ZoneRef& zone) {
  const ArmError error = parse_arm_error(reply.body);
  const std::string message =
      "HTTP " + std::to_string(reply.code) +
      (error.code.empty() ? "" : " " + error.code) +
      (error.message.empty() ? "" : ": " + shorten(error.message));
  const std::string where = "/subscriptions/" + zone.subscription + "/resourceGroups/" +
                            zone.resource_group + "/providers/Microsoft.Network/" +
                            resource_type(s.zone_type) + "/" + zone.name;
  switch (reply.code) {
    case 401:
      return Failure(StatusCode::auth, std::move(step), message,
                     "Resource Manager refused the access token: check environment (the cloud) "
                     "and that tenant_id is the subscription's tenant");
    case 403:
      return Failure(StatusCode::denied, std::move(step), message,
                     "assign the role '" + role_for(s.zone_type) + "' to the identity on the "
                     "zone: az role assignment create --assignee <client id> --role '" +
                     role_for(s.zone_type) + "' --scope " + where);
    case 404:
      return Failure(StatusCode::zone, std::move(step), message,
                     "check subscription_id, resource_group and zone_type (zone_type = "
                     "\"private\" for a Private DNS zone)");
    case 429:
      return Failure(StatusCode::server, std::move(step), message + " (still throttled after "
                     "the retries)", "Azure throttles per subscription: run fewer jobs at once");
    default:
      return Failure(StatusCode::server, std::move(step), message);
  }
}

ArmClient::ArmClient(const AzureSettings& settings, dns01::provider::Host& host,
                     TokenSource& tokens)
    : s_(settings), host_(host), tokens_(tokens) {}

std::string ArmClient::record_set_url(const ZoneRef& zone, const std::string& relative) const {
  // relativeRecordSetName is x-ms-skip-url-encoding: '@' and dots go in raw.
  return s_.arm + "/subscriptions/" + kit::url_encode(zone.subscription) + "/resourceGroups/" +
         kit::url_encode(zone.resource_group) + "/providers/Microsoft.Network/" +
         resource_type(s_.zone_type) + "/" + zone.name + "/TXT/" + relative;
}

HttpReply ArmClient::call(kit::Request request, std::string_view step) {
  for (int attempt = 1;; ++attempt) {
    kit::Request signed_request = request;
    signed_request.header("Authorization", "Bearer " + tokens_.token());
    HttpReply reply = kit::send(host_, signed_request, step);
    // A token revoked or expired early: one fresh try, then the 401 is the caller's.
    if (reply.code != 401 || attempt == 2) return reply;
    tokens_.invalidate();
  }
}

// https://learn.microsoft.com/en-us/rest/api/dns/record-sets/get
// https://learn.microsoft.com/en-us/rest/api/dns/privatednszones/record-sets/get
RecordSet ArmClient::get_txt(const ZoneRef& zone, const std::string& relative) {
  const std::string step = "read TXT " + relative + " in " + zone.name;
  auto reply = call(kit::Request("GET", record_set_url(zone, relative))
                        .query("api-version", api_version(s_.zone_type)), step);
  if (reply.code == 200) return parse_record_set(kit::parse_json(reply.body, step), step);
  // A missing record set is {"code":"NotFound"}; a missing zone or group has its own code.
  if (reply.code == 404 && parse_arm_error(reply.body).code == "NotFound") return {};
  throw arm_failure(reply, step, s_, zone);
}

// https://learn.microsoft.com/en-us/rest/api/dns/record-sets/create-or-update
// https://learn.microsoft.com/en-us/rest/api/dns/privatednszones/record-sets/create-or-update
Write ArmClient::put_txt(const ZoneRef& zone, const std::string& relative, const RecordSet& set) {
  const std::string step = "write TXT " + relative + " in " + zone.name;
  kit::Request request("PUT", record_set_url(zone, relative));
  request.query("api-version", api_version(s_.zone_type)).json(record_set_body(s_.zone_type, set));
  if (set.exists) request.header("If-Match", set.etag);
  else request.header("If-None-Match", "*");
  auto reply = call(std::move(request), step);
  if (reply.code == 200 || reply.code == 201) return Write::done;
  if (reply.code == 412) return Write::conflict;
  throw arm_failure(reply, step, s_, zone);
}

// https://learn.microsoft.com/en-us/rest/api/dns/record-sets/delete
// https://learn.microsoft.com/en-us/rest/api/dns/privatednszones/record-sets/delete
Write ArmClient::delete_txt(const ZoneRef& zone, const std::string& relative,
                            const std::string& etag) {
  const std::string step = "delete TXT " + relative + " in " + zone.name;
  auto reply = call(kit::Request("DELETE", record_set_url(zone, relative))
                        .query("api-version", api_version(s_.zone_type))
                        .header("If-Match", etag), step);
  if (reply.code == 200 || reply.code == 204) return Write::done;
  if (reply.code == 412) return Write::conflict;
  throw arm_failure(reply, step, s_, zone);
}

// https://learn.microsoft.com/en-us/rest/api/dns/zones/list (and list-by-resource-group)
// https://learn.microsoft.com/en-us/rest/api/dns/privatednszones/private-zones/list
std::vector<ZoneRef> ArmClient::list_zones(const std::string& subscription,
                                           const std::string& resource_group) {
  const std::string step = "list the zones of subscription " + subscription;
  std::string url = s_.arm + "/subscriptions/" + kit::url_encode(subscription) +
                    (resource_group.empty() ? ""
                                            : "/resourceGroups/" + kit::url_encode(resource_group)) +
                    "/providers/Microsoft.Network/" + resource_type(s_.zone_type) +
                    "?api-version=" + api_version(s_.zone_type);
  const ZoneRef scope{subscription, resource_group, "(any)"};
  std::vector<ZoneRef> zones;
  for (int page = 0; !url.empty(); ++page) {
    // Never send the token elsewhere than the ARM endpoint, whatever nextLink says.
    if (url.rfind(s_.arm + "/", 0) != 0 || page > 1000)
      throw Failure(StatusCode::server, step, "nextLink leaves " + s_.arm,
                    "the zone listing points at another host; report this");
    auto reply = call(kit::Request("GET", url), step);
    if (reply.code != 200) throw arm_failure(reply, step, s_, scope);
    const auto doc = kit::parse_json(reply.body, step);
    for (const auto& zone : kit::json_at(doc, "value", step)) {
      try {
        auto [sub, rg] = parse_resource_group_id(kit::json_string(zone, "id", step));
        zones.push_back({sub, rg, kit::normalize_name(kit::json_string(zone, "name", step))});
      } catch (const std::invalid_argument&) {
        throw Failure(StatusCode::server, step, "a zone id is not a resource id");
      }
    }
    const auto* next = kit::json_find(doc, "nextLink");
    url = next && next->is_string() ? next->get<std::string>() : std::string();
  }
  return zones;
}

}  // namespace azure
