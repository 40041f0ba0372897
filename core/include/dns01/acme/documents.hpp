#pragma once
// The ACME resources as typed structs, and their defensive parsers (RFC 8555 §7.1).
//
// Every parser takes the raw reply body, enforces a size limit, checks types and required
// members, and throws AcmeError("<step>", cause) on anything malformed — never an nlohmann
// exception, never a crash (tests/fuzz/fuzz_acme_documents.cpp runs them on random input).
// Unknown members are ignored and unknown status strings are kept as "unknown" so that a CA
// adding fields does not break us. All functions are pure and thread-safe.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns01/error.hpp"
#include "dns01/json.hpp"

namespace dns01::acme {

using Clock = std::chrono::system_clock;
inline constexpr std::size_t kMaxDocumentBytes = 1u << 20;

// --- directory (§7.1.1) and its meta ---------------------------------------------------------
struct DirectoryMeta {
  std::string terms_of_service;
  std::string website;
  std::vector<std::string> caa_identities;
  bool external_account_required = false;
  std::map<std::string, std::string> profiles;  // draft-aaron-acme-profiles: name → description
};

struct Directory {
  std::string new_nonce, new_account, new_order;  // required
  std::string new_authz, revoke_cert, key_change, renewal_info;  // optional ("" when absent)
  DirectoryMeta meta;
};

Directory parse_directory(std::string_view body);

// CA shortcuts accepted wherever a directory URL is (letsencrypt, zerossl, google, ...).
struct CaShortcut {
  const char* name;
  const char* url;
  const char* note;
};
const std::vector<CaShortcut>& ca_shortcuts();
// A known shortcut → its URL; an https:// URL → unchanged; a plain http:// URL → UsageError
// (RFC 8555 §6.1 requires HTTPS); anything else → UsageError listing the shortcuts.
std::string resolve_directory_url(std::string_view name_or_url);

// --- problem documents (§6.7, RFC 7807) -------------------------------------------------------
// Parses a problem document. Never throws: a body that is not a problem document yields a
// problem with an empty type and a detail describing the reply ("HTTP 502 with a text/html body").
AcmeProblem parse_problem(std::string_view body, int http_status);
bool is_problem(const AcmeProblem& p, std::string_view short_type);

// --- identifiers, accounts, orders, authorizations, challenges -------------------------------
struct Identifier {
  std::string type;   // "dns"
  std::string value;  // "example.com" (authorizations never carry the "*.")
  json::Json to_json() const { return {{"type", type}, {"value", value}}; }
};

struct Account {
  std::string url;  // from the Location header (the "kid")
  std::string status;  // valid | deactivated | revoked
  std::vector<std::string> contact;
  std::string orders;
};
Account parse_account(std::string_view body);

struct Challenge {
  std::string type, url, status, token;
  std::optional<AcmeProblem> error;
};

struct Authorization {
  std::string url;
  Identifier identifier;
  std::string status;  // pending | valid | invalid | deactivated | expired | revoked
  bool wildcard = false;
  std::vector<Challenge> challenges;
  std::optional<Clock::time_point> expires;
  // The challenge of that type, or nullptr.
  const Challenge* find_challenge(std::string_view type) const;
};
Authorization parse_authorization(std::string_view body);
Challenge parse_challenge(std::string_view body);

struct Order {
  std::string url;
  std::string status;  // pending | ready | processing | valid | invalid
  std::vector<Identifier> identifiers;
  std::vector<std::string> authorizations;
  std::string finalize;
  std::string certificate;  // when valid
  std::string profile;      // echoed back by CAs supporting profiles
  std::string replaces;     // ARI
  std::optional<Clock::time_point> expires;
  std::optional<AcmeProblem> error;
};
Order parse_order(std::string_view body);

// --- ARI (RFC 9773) ---------------------------------------------------------------------------
struct RenewalInfo {
  Clock::time_point window_start, window_end;
  std::string explanation_url;
  std::optional<std::chrono::seconds> retry_after;  // from the header, filled by the client
};
RenewalInfo parse_renewal_info(std::string_view body);

// RFC 3339 timestamp → time point (fractions and offsets accepted); nullopt if invalid.
std::optional<Clock::time_point> parse_rfc3339(std::string_view text);
std::string format_rfc3339(Clock::time_point t);

}  // namespace dns01::acme
