#pragma once
// The ACME resources as typed structs, and their defensive parsers (RFC 8555 §7.1).
//
// Every parser takes the raw reply body, enforces a size limit, checks types and required
// members, and throws AcmeError("<step>", cause) on anything malformed — never an nlohmann
// exception, never a crash (tests/fuzz/fuzz_acme_documents.cpp runs them on random input).
// Unknown members are ignored and unknown status strings parse as Status::unknown so that a CA
// adding fields does not break us. Statuses are enums: their strings live only here, at the wire. All functions are pure and thread-safe.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns01/acme/ca.hpp"  // CA shortcuts, kept here for existing includers
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

// --- problem documents (§6.7, RFC 7807) -------------------------------------------------------
// Parses a problem document. Never throws: a body that is not a problem document yields a
// problem with an empty type and a detail describing the reply ("HTTP 502 with a text/html body").
AcmeProblem parse_problem(std::string_view body, int http_status);
bool is_problem(const AcmeProblem& p, std::string_view short_type);

// --- statuses (§7.1.6), parsed once ----------------------------------------------------------
// `unknown` stands for a status string RFC 8555 does not define; to_string() gives the wire
// name ("unknown" for unknown), for messages and JSON output.
enum class OrderStatus { unknown, pending, ready, processing, valid, invalid };
enum class AuthorizationStatus { unknown, pending, valid, invalid, deactivated, expired, revoked };
enum class ChallengeStatus { unknown, pending, processing, valid, invalid };

std::string_view to_string(OrderStatus s) noexcept;
std::string_view to_string(AuthorizationStatus s) noexcept;
std::string_view to_string(ChallengeStatus s) noexcept;
OrderStatus parse_order_status(std::string_view wire) noexcept;
AuthorizationStatus parse_authorization_status(std::string_view wire) noexcept;
ChallengeStatus parse_challenge_status(std::string_view wire) noexcept;

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
  std::string type, url;
  ChallengeStatus status = ChallengeStatus::unknown;
  std::string token;
  std::optional<AcmeProblem> error;
};

struct Authorization {
  std::string url;
  Identifier identifier;
  AuthorizationStatus status = AuthorizationStatus::unknown;
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
  OrderStatus status = OrderStatus::unknown;
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
