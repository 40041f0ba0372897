#pragma once
// The wire side of the rfc2136 provider, on ldns: one DNS UPDATE (RFC 2136) per call, signed
// with TSIG (RFC 8945) when a key is set, and SOA lookups at the same server to find a zone.
// It reports what the server said; rfc2136_provider.cpp decides what that means for the user.
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

namespace rfc2136 {

struct Server {
  std::string host;          // IP literal or host name, without brackets
  std::uint16_t port = 53;
  std::string str() const;   // "192.0.2.1:53", "[2001:db8::1]:53"
};

// Parses "IP", "IP:port", "[IPv6]", "[IPv6]:port", bare "IPv6", "host", "host:port".
// Throws std::invalid_argument with a readable reason.
Server parse_server(const std::string& text);

struct TsigKey {
  std::string name;       // "dns01-acme"
  std::string algorithm;  // ldns wire name: "hmac-sha256.", "hmac-md5.sig-alg.reg.int."
  std::string secret;     // base64
};

struct Change {
  bool add = true;  // add one RR (class IN) / delete exactly that RR (class NONE, TTL 0)
  std::string name;
  std::string value;
  std::uint32_t ttl = 60;
};

struct Reply {
  int rcode = 0;            // RFC 1035/2136 rcode of the reply (LDNS_RCODE_*)
  int tsig_error = 0;       // TSIG error field (BADSIG 16, BADKEY 17, BADTIME 18), 0 if none
  bool signed_reply = false;
  bool verified = false;    // the reply's TSIG checked out against our key
  bool tcp = false;         // the exchange used TCP
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
