// The Cloudflare API v4 client (see api_client.hpp). Facts: ../shared/reference/cloud-apis.md §1.
#include "api_client.hpp"

#include <algorithm>
#include <chrono>

namespace cloudflare {

using dns01::provider::Failure;
using dns01::provider::HttpReply;
using dns01::provider::StatusCode;
namespace kit = dns01::kit;

namespace {

constexpr int kMaxPages = 1000;  // 100 records a page: far beyond any TXT name

bool is_duplicate(const Envelope& e) { return e.has(81057) || e.has(81058); }

// Codes seen when Cloudflare does not accept the credentials themselves.
bool credentials_rejected(const Envelope& e) {
  if (e.http == 401 || e.has(9106) || e.has(6003) || e.has(6103) || e.has(6111) ||
      e.has(9103) || e.has(1000))
    return true;
  // 9109 is both "Invalid access token" and "Unauthorized to access requested resource".
  return e.has(9109) && e.message.find("Invalid") != std::string::npos;
}

std::string permission_name(Permission p) {
  return p == Permission::zone_read ? "Zone → Zone → Read" : "Zone → DNS → Edit";
}

void collect(const kit::Json& errors, Envelope& out) {
  if (!errors.is_array()) return;
  for (const auto& error : errors) {
    if (!error.is_object()) continue;
    if (auto code = error.find("code"); code != error.end() && code->is_number_integer()) {
      out.codes.push_back(code->get<std::int64_t>());
      auto text = error.find("message");
      out.message += (out.message.empty() ? "" : "; ") + std::to_string(out.codes.back()) +
                     (text != error.end() && text->is_string() ? " " + text->get<std::string>()
                                                               : std::string());
    }
    if (auto chain = error.find("error_chain"); chain != error.end()) {
      Envelope inner;
      collect(*chain, inner);
      out.codes.insert(out.codes.end(), inner.codes.begin(), inner.codes.end());
      if (!inner.message.empty()) out.message += " (" + inner.message + ")";
    }
  }
}

}  // namespace

bool Envelope::has(std::int64_t code) const {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

Envelope read_envelope(const HttpReply& reply) {
  Envelope out;
  out.http = reply.code;
  out.document = kit::Json::parse(reply.body, nullptr, false);
  if (out.document.is_discarded() || !out.document.is_object()) {
    out.document = nullptr;
  } else {
    auto success = out.document.find("success");
    out.success = success != out.document.end() && success->is_boolean() && success->get<bool>();
    if (auto errors = out.document.find("errors"); errors != out.document.end())
      collect(*errors, out);
  }
  if (out.http < 200 || out.http > 299) out.success = false;
  if (out.message.empty()) out.message = "HTTP " + std::to_string(out.http);
  return out;
}

Failure api_failure(const Envelope& e, std::string step, Permission permission,
                    const CloudflareSettings& settings) {
  const std::string what = "Cloudflare answered " + e.message;
  if (credentials_rejected(e)) {
    const bool token = settings.dns.is_token();
    return Failure(StatusCode::auth, std::move(step), what + ": the credentials were rejected",
                   "check " + settings.source + ": " +
                       (token ? "it must hold an API token (My Profile → API Tokens), not the "
                                "Global API Key (give that as api_key with email)"
                              : "the Global API Key and the account's email must match "
                                "(or use an API token as api_token)"));
  }
  if (e.http == 403 || e.has(10000) || e.has(9109))
    return Failure(StatusCode::denied, std::move(step),
                   what + ": " + (settings.dns.is_token() ? "the token lacks " : "no ") +
                       permission_name(permission) + " for this zone",
                   "edit the token (My Profile → API Tokens): permissions Zone → Zone → Read "
                   "and Zone → DNS → Edit, zone resources including this zone" +
                       std::string(permission == Permission::zone_read
                                       ? "; or pin the zone with zone_id"
                                       : ""));
  if (e.has(7003) || e.has(7000))
    return Failure(StatusCode::zone, std::move(step), what,
                   "zone_id " + settings.zone_id +
                       " is not a zone of this account: copy the Zone ID from the zone's "
                       "Overview page, or remove zone_id to look it up");
  if (e.http == 429 || e.has(971))
    return Failure(StatusCode::server, std::move(step), what + " (rate limited, retries spent)",
                   "Cloudflare allows 1200 requests per 5 minutes per user; wait and retry");
  return Failure(StatusCode::server, std::move(step), what,
                 e.http >= 500 ? "Cloudflare had a problem; retry later"
                               : "this request was refused; if it persists, report it");
}

Api::Api(dns01::provider::Host& host, const CloudflareSettings& settings)
    : host_(host), settings_(settings) {}

kit::RetryPolicy Api::retry_policy() {
  kit::RetryPolicy policy;
  policy.max_attempts = 6;
  policy.base_delay = std::chrono::milliseconds(1000);
  policy.max_delay = std::chrono::milliseconds(60'000);  // 429's Retry-After can be long
  return policy;                                          // default: 429 and 5xx
}

kit::Request Api::request(std::string method, std::string_view path,
                          Permission permission) const {
  kit::Request r(std::move(method), settings_.endpoint + std::string(path));
  // Our loop retries (429 included); the host only repeats lost connections. Retrying a POST
  // is safe here: an identical record answers 81058, which counts as created.
  r.idempotent(false);
  r.header("Accept", "application/json");
  const Credentials& who = permission == Permission::zone_read ? settings_.zone : settings_.dns;
  for (auto& [name, value] : who.headers()) r.header(name, value);
  return r;
}

Envelope Api::call(const kit::Request& request, std::string_view step) const {
  return read_envelope(kit::send_with_retry(host_, request, step, retry_policy()));
}

std::vector<Zone> Api::list_zones(std::string_view name_filter) const {
  const std::string step = "find zone " + std::string(name_filter);
  std::vector<Zone> zones;
  for (int page = 1; page <= kMaxPages; ++page) {
    Envelope e = call(request("GET", "/zones", Permission::zone_read)
                          .query("name", name_filter)
                          .query("page", std::to_string(page))
                          .query("per_page", "50"),
                      step);
    if (!e.success) throw api_failure(e, step, Permission::zone_read, settings_);
    for (const auto& zone : kit::json_at(e.document, "result", step))
      zones.push_back({kit::json_string(zone, "id", step), kit::json_string(zone, "name", step)});
    const kit::Json* pages = kit::json_find(e.document, "result_info.total_pages");
    if (!pages || !pages->is_number_integer() || page >= pages->get<int>()) break;
  }
  return zones;
}

std::vector<Record> Api::list_txt_records(std::string_view zone_id, std::string_view name) const {
  return list_txt(zone_id, "name", name);
}

std::vector<Record> Api::list_txt_records_starting(std::string_view zone_id,
                                                   std::string_view prefix) const {
  return list_txt(zone_id, "name.startswith", prefix);
}

std::vector<Record> Api::list_txt(std::string_view zone_id, std::string_view filter,
                                  std::string_view value) const {
  const std::string step = "list TXT " + std::string(value) + (filter == "name" ? "" : "*");
  std::vector<Record> records;
  for (int page = 1; page <= kMaxPages; ++page) {
    Envelope e = call(request("GET", "/zones/" + std::string(zone_id) + "/dns_records",
                              Permission::dns_edit)
                          .query("type", "TXT")
                          .query(filter, value)
                          .query("page", std::to_string(page))
                          .query("per_page", "100"),
                      step);
    if (!e.success) throw api_failure(e, step, Permission::dns_edit, settings_);
    for (const auto& r : kit::json_at(e.document, "result", step))
      records.push_back({kit::json_string(r, "id", step), kit::json_string(r, "name", step),
                         kit::json_string(r, "content", step)});
    const kit::Json* pages = kit::json_find(e.document, "result_info.total_pages");
    if (!pages || !pages->is_number_integer() || page >= pages->get<int>()) break;
  }
  return records;
}

static kit::Json record_json(const NewRecord& r) {
  return {{"type", "TXT"}, {"name", r.name}, {"content", r.content}, {"ttl", r.ttl}};
}

void Api::create_record(std::string_view zone_id, const NewRecord& record) const {
  const std::string step = "add TXT " + record.name;
  Envelope e = call(request("POST", "/zones/" + std::string(zone_id) + "/dns_records",
                            Permission::dns_edit)
                        .json(record_json(record)),
                    step);
  if (!e.success && !is_duplicate(e)) throw api_failure(e, step, Permission::dns_edit, settings_);
}

void Api::delete_record(std::string_view zone_id, std::string_view id) const {
  const std::string step = "remove TXT record " + std::string(id);
  Envelope e = call(request("DELETE", "/zones/" + std::string(zone_id) + "/dns_records/" +
                                          std::string(id),
                            Permission::dns_edit),
                    step);
  if (!e.success && !(e.http == 404 || e.has(81044)))
    throw api_failure(e, step, Permission::dns_edit, settings_);
}

BatchOutcome Api::batch(std::string_view zone_id, const std::vector<std::string>& delete_ids,
                        const std::vector<NewRecord>& posts) const {
  const std::string step = "change " + std::to_string(delete_ids.size() + posts.size()) +
                           " TXT record(s) in one batch";
  kit::Json body = kit::Json::object();
  if (!delete_ids.empty()) {
    body["deletes"] = kit::Json::array();
    for (const auto& id : delete_ids) body["deletes"].push_back({{"id", id}});
  }
  if (!posts.empty()) {
    body["posts"] = kit::Json::array();
    for (const auto& post : posts) body["posts"].push_back(record_json(post));
  }
  Envelope e = call(request("POST", "/zones/" + std::string(zone_id) + "/dns_records/batch",
                            Permission::dns_edit)
                        .json(body),
                    step);
  if (e.success) return BatchOutcome::applied;
  if (is_duplicate(e)) return BatchOutcome::duplicate;
  if (e.has(81044)) return BatchOutcome::missing;
  throw api_failure(e, step, Permission::dns_edit, settings_);
}

}  // namespace cloudflare
