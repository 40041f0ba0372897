#pragma once
// The Cloudflare API v4 as the provider uses it: one method per endpoint, each turning the
// response envelope ({success, errors[{code, message}], result, result_info}) into values or a
// Failure the user can act on. Every call goes through Host::http() via the kit, with the
// provider's own retry of 429 (honouring Retry-After) and 5xx, sleeping through Host::sleep().
//
// Errors: methods throw dns01::provider::Failure: StatusCode::auth (credentials rejected:
// 9106, 6003, 9103, 9109 "Invalid ..."), denied (a valid token lacking the permission: 10000,
// other 403s; the message names Zone:Read or DNS:Edit), zone (7003: unknown zone id),
// network (no answer, or interrupted), server (anything else, with Cloudflare's codes and
// messages). Messages never contain a credential.
// Threading: as thread-safe as Host::http(); the object holds no mutable state.
#include <dns01/kit/http.hpp>
#include <dns01/kit/json.hpp>
#include <dns01/provider.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "settings.hpp"

namespace cloudflare {

struct Zone {
  std::string id;
  std::string name;
};

struct Record {
  std::string id;
  std::string name;
  std::string content;  // as stored: quoted or not
};

struct NewRecord {
  std::string name;     // FQDN, no trailing dot
  std::string content;  // as it will be stored
  std::int64_t ttl = 60;
};

// A reply, its envelope read: HTTP status, success, error codes and a printable message.
struct Envelope {
  long http = 0;
  bool success = false;
  std::vector<std::int64_t> codes;  // errors[].code and their error_chain codes
  std::string message;              // "9109 Invalid access token; ..." or "HTTP 502"
  dns01::kit::Json document;        // null when the body was not JSON
  bool has(std::int64_t code) const;
};

// Which permission a call needs: named in denied errors.
enum class Permission { zone_read, dns_edit };

// Reads the envelope of any reply (a non-JSON body, e.g. an edge proxy's HTML, gives null).
Envelope read_envelope(const dns01::provider::HttpReply& reply);

// The Failure for an unsuccessful envelope (see the header comment for the mapping).
dns01::provider::Failure api_failure(const Envelope& envelope, std::string step,
                                     Permission permission, const CloudflareSettings& settings);

// What a batch did when Cloudflare refused it as a whole for a reason the caller can repair.
enum class BatchOutcome { applied, duplicate, missing };

class Api {
 public:
  Api(dns01::provider::Host& host, const CloudflareSettings& settings);

  // https://developers.cloudflare.com/api/resources/zones/methods/list/
  // GET /zones?name=<filter>: `example.com` (exact) or with an operator, `ends_with:example.com`
  // (the zone, zones below it, and look-alikes such as badexample.com: filter them); every page.
  std::vector<Zone> list_zones(std::string_view name_filter) const;

  // https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/list/
  // GET /zones/{zone_id}/dns_records?type=TXT&name=<name>: every page (per_page=100).
  std::vector<Record> list_txt_records(std::string_view zone_id, std::string_view name) const;
  // The same with `name.startswith=<prefix>` (case-insensitive): every _acme-challenge record
  // of a zone in one request when several names are cleaned up at once.
  std::vector<Record> list_txt_records_starting(std::string_view zone_id,
                                                std::string_view prefix) const;

  // https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/create/
  // POST /zones/{zone_id}/dns_records. An identical record (81057/81058) counts as created.
  void create_record(std::string_view zone_id, const NewRecord& record) const;

  // https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/delete/
  // DELETE /zones/{zone_id}/dns_records/{id}. A record already gone (404/81044) is a success.
  void delete_record(std::string_view zone_id, std::string_view id) const;

  // https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/batch/
  // POST /zones/{zone_id}/dns_records/batch {deletes, posts}: one transaction. A duplicate post
  // (81057/81058) or a vanished delete (81044) is returned, not thrown: nothing was applied.
  BatchOutcome batch(std::string_view zone_id, const std::vector<std::string>& delete_ids,
                     const std::vector<NewRecord>& posts) const;

  // The retry policy of every call: 429 and 5xx (not 501/505), Retry-After honoured.
  static dns01::kit::RetryPolicy retry_policy();

 private:
  dns01::kit::Request request(std::string method, std::string_view path,
                              Permission permission) const;
  Envelope call(const dns01::kit::Request& request, std::string_view step) const;
  std::vector<Record> list_txt(std::string_view zone_id, std::string_view filter,
                               std::string_view value) const;

  dns01::provider::Host& host_;
  CloudflareSettings settings_;
};

}  // namespace cloudflare
