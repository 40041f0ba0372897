#pragma once
// Azure Resource Manager calls of the azure provider: one method per endpoint (the vendor's doc
// URL above each in arm_client.cpp), for public zones (Microsoft.Network/dnsZones, api-version
// 2018-05-01, properties TTL/TXTRecords) and Private DNS (Microsoft.Network/privateDnsZones,
// 2020-06-01, ttl/txtRecords). Every call carries a bearer token from the TokenSource; a 401
// drops the cached token and tries once more with a fresh one. The host retries 429/5xx
// (honouring Retry-After) for these idempotent calls.
//
// Errors: HTTP outcomes the caller acts on are returned (absent set, 412 etag conflict);
// everything else throws Failure via arm_failure(): 401 auth, 403 denied (naming the role to
// assign), 404 zone, the rest server — with the ARM error code and message, either body shape.
// Threading: safe from several threads (state: the settings and the TokenSource).
#include <dns01/kit/http.hpp>
#include <dns01/kit/json.hpp>
#include <dns01/provider.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "settings.hpp"
#include "token_source.hpp"

namespace azure {

struct ZoneRef {
  std::string subscription;
  std::string resource_group;
  std::string name;  // lower case, no trailing dot
};

// A TXT record set; `records` are the TXT RRs, each a list of character-strings.
struct RecordSet {
  bool exists = false;
  std::string etag;
  std::int64_t ttl = 0;
  std::vector<std::vector<std::string>> records;
  dns01::kit::Json metadata = dns01::kit::Json::object();
};

enum class Write { done, conflict };  // conflict: 412, the etag no longer matches

// ARM errors come as {"error":{"code","message"}} or, from the DNS RP for a missing record
// set, as top-level {"code","message"} (cloud-apis.md §0.11). Empty fields when neither.
struct ArmError {
  std::string code;
  std::string message;
};
ArmError parse_arm_error(std::string_view body);

// The body of a PUT, with the property names of the zone type.
dns01::kit::Json record_set_body(ZoneType type, const RecordSet& set);
// A record set from a GET/PUT reply (either spelling is read, as the RP answers).
RecordSet parse_record_set(const dns01::kit::Json& doc, std::string_view step);

// The Failure for an unexpected ARM reply (see the header comment).
dns01::provider::Failure arm_failure(const dns01::provider::HttpReply& reply, std::string step,
                                     const AzureSettings& settings, const ZoneRef& zone);

class ArmClient {
 public:
  ArmClient(const AzureSettings& settings, dns01::provider::Host& host, TokenSource& tokens);

  RecordSet get_txt(const ZoneRef& zone, const std::string& relative);
  // PUT the whole set: If-Match its etag, or If-None-Match: * when !set.exists.
  Write put_txt(const ZoneRef& zone, const std::string& relative, const RecordSet& set);
  // DELETE under If-Match: etag. An absent set is done.
  Write delete_txt(const ZoneRef& zone, const std::string& relative, const std::string& etag);
  // Every zone of the subscription (or of one resource group), following nextLink.
  std::vector<ZoneRef> list_zones(const std::string& subscription,
                                  const std::string& resource_group);

  // The record set URL (relative name raw: '@', dots), for tests of the request shape.
  std::string record_set_url(const ZoneRef& zone, const std::string& relative) const;

 private:
  dns01::provider::HttpReply call(dns01::kit::Request request, std::string_view step);

  const AzureSettings& s_;
  dns01::provider::Host& host_;
  TokenSource& tokens_;
};

}  // namespace azure
