#pragma once
// The wire side of the rfc2136 provider, on ldns: one DNS UPDATE (RFC 2136) per call, signed
// with TSIG (RFC 8945) when a key is set, and plain queries (SOA to find a zone, TXT to confirm a
// change) at the same server. It reports what the server said; reply_meaning.cpp decides what
// that means for the user.
//
// Errors: throws dns01::provider::Failure (StatusCode::network) when no reply arrives, and
// StatusCode::server for replies that cannot be the answer to our message. Never puts the TSIG
// secret in a message.
// Threading: one call at a time per object (a fresh ldns resolver per exchange).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "settings.hpp"

namespace rfc2136 {

struct Change {
  bool add = true;  // add one RR (class IN) / delete exactly that RR (class NONE, TTL 0)
  std::string name;
  std::string value;
  std::uint32_t ttl = 0;
};

// What the server answered to an UPDATE.
struct Reply {
  int rcode = 0;              // RFC 1035/2136 rcode of the reply (LDNS_RCODE_*)
  bool has_tsig = false;      // the reply carries a TSIG RR (signed, or an unsigned TSIG error)
  int tsig_error = 0;         // that RR's error field (tsig_error::*), 0 if none
  bool signed_reply = false;  // that RR carries a MAC
  bool verified = false;      // the MAC checked out against our key
  bool tcp = false;           // the exchange used TCP
};

// TSIG error codes (RFC 8945 §5.3; ldns 1.8.3 names none of them).
namespace tsig_error {
inline constexpr int badsig = 16;
inline constexpr int badkey = 17;
inline constexpr int badtime = 18;
inline constexpr int badtrunc = 22;
}  // namespace tsig_error

// What the server answered to a TXT query.
struct TxtAnswer {
  int rcode = 0;
  bool authoritative = false;       // AA set: the server answered from its own zone data
  std::vector<std::string> values;  // each TXT RR's character-strings, concatenated
};

class UpdateClient {
 public:
  UpdateClient(Server server, std::optional<TsigKey> key, std::chrono::milliseconds timeout,
               bool tcp);

  // Sends one UPDATE for `zone` carrying every change, and returns what the server answered.
  Reply update(const std::string& zone, const std::vector<Change>& changes);

  // The apex of the zone holding `name` according to the server (SOA in the answer or authority
  // section of an SOA query), or nullopt with `rcode` set when the server does not say.
  std::optional<std::string> find_zone(const std::string& name, int& rcode);

  // The TXT values at `name` as the server itself serves them, waiting at most `timeout`;
  // nullopt when no usable reply came (the caller cannot conclude anything then).
  std::optional<TxtAnswer> query_txt(const std::string& name, std::chrono::milliseconds timeout);

  const Server& server() const noexcept { return server_; }

 private:
  std::string address();  // the server's IP, resolved once with getaddrinfo for host names

  Server server_;
  std::optional<TsigKey> key_;
  std::chrono::milliseconds timeout_;
  bool tcp_;
  std::string address_;
};

}  // namespace rfc2136
