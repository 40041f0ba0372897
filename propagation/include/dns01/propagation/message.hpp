#pragma once
// DNS messages as dns01 needs them: building one query, and parsing a reply defensively into
// plain values. Both sides use ldns; nothing here touches the network.
//
// Names are handled in one canonical form everywhere in the propagation module: lower case,
// no trailing dot, "." for the root (see canonical_name()).
//
// parse_reply() is the entry point for untrusted bytes (a fuzz target drives it): it never
// throws on malformed input, it returns nullopt and says why.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dns01::propagation {

// RR types and rcodes used by the module (values from the IANA registries).
namespace rrtype {
inline constexpr std::uint16_t A = 1, NS = 2, CNAME = 5, SOA = 6, TXT = 16, AAAA = 28;
}
namespace rcode {
inline constexpr int noerror = 0, formerr = 1, servfail = 2, nxdomain = 3, notimp = 4, refused = 5;
}

// "NOERROR", "NXDOMAIN", ... or "RCODE<n>".
std::string rcode_name(int rcode);
// "TXT", "SOA", ... or "TYPE<n>".
std::string rrtype_name(std::uint16_t type);

// Lower case, no trailing dot, "." for the root. Does not validate.
std::string canonical_name(std::string_view name);
// "a.b.c" → "b.c", "c" → ".", "." → nullopt.
std::optional<std::string> parent_name(std::string_view canonical);
// True when `name` equals `zone` or lies below it (both canonical).
bool is_subdomain(std::string_view name, std::string_view zone);

struct Question {
  std::string name;                 // canonical
  std::uint16_t type = rrtype::TXT;
  std::uint16_t klass = 1;          // IN
};

struct QueryOptions {
  bool recursion_desired = false;   // RD: true for resolvers, false for authoritative servers
  std::uint16_t edns_udp_size = 1232;  // 0 = no EDNS0 (DNS flag day 2020 default size)
};

// Wire format of a query with the given ID. Throws PropagationError when the name is invalid.
std::vector<std::uint8_t> build_query(const Question& question, std::uint16_t id,
                                      const QueryOptions& options);

// One resource record, reduced to what the module uses.
struct Record {
  std::string owner;    // canonical
  std::uint16_t type = 0;
  std::uint32_t ttl = 0;
  // TXT: the character-strings of one RR joined (RFC 7208 §3.3 style, no separators);
  // CNAME/NS: the target (canonical); SOA: the primary server name (canonical);
  // A/AAAA: the address text; other types: ldns presentation format of the rdata.
  std::string data;
  std::uint32_t soa_serial = 0;  // SOA only
};

struct Reply {
  std::uint16_t id = 0;
  int rcode = 0;
  bool qr = false, aa = false, tc = false, rd = false, ra = false;
  std::vector<Question> questions;
  std::vector<Record> answer, authority, additional;

  // TXT strings for `name` in the answer section, in order.
  std::vector<std::string> txt(std::string_view name) const;
};

// Parses a reply. On malformed input returns nullopt and, when `why` is given, a short reason.
std::optional<Reply> parse_reply(std::span<const std::uint8_t> wire, std::string* why = nullptr);

// Whether `reply` answers the query with `id` and `question` (QR set, same ID, exactly one
// question with the same name, type and class). Mismatches are to be ignored, not failed on:
// they may be spoofing attempts or late replies to an earlier query.
bool reply_matches(const Reply& reply, std::uint16_t id, const Question& question);

// Short human summary of a reply for progress lines and errors, e.g.
// `NOERROR aa TXT "abc", "def"`, `NXDOMAIN aa`, `REFUSED`, `NOERROR (no TXT)`.
std::string summarize(const Reply& reply, std::string_view name);

}  // namespace dns01::propagation
