#pragma once
// The rfc2136 provider's settings: one struct, filled once from the host's Settings by
// parse_settings(), the only code that reads them. Defaults live in provider.toml (the host
// applies them before the factory runs), never here.
//
// Errors: parse_settings() throws dns01::provider::Failure with StatusCode::config naming the key
// and what to write instead, or StatusCode::internal when the host left out a key that
// provider.toml gives a default (a host bug). No message contains the secret.
// Threading: pure functions.
#include <dns01/provider.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rfc2136 {

struct Server {
  std::string host;  // IP literal or host name, without brackets
  std::uint16_t port = 53;
  std::string str() const;  // "192.0.2.1:53", "[2001:db8::1]:53"
};

struct TsigKey {
  std::string name;       // "dns01-acme" (kit::normalize_name: lower case, no trailing dot)
  std::string algorithm;  // ldns wire name: "hmac-sha256.", "hmac-md5.sig-alg.reg.int."
  std::string secret;     // base64
};

struct Rfc2136Settings {
  std::string instance;         // the table name, for hints: [providers.<instance>]
  Server server;                // `server`
  std::string zone;             // `zone`, normalised; empty: ask the server for each name's SOA
  std::optional<TsigKey> key;   // `key_name` + `secret` + `algorithm`; nullopt: unsigned updates
  std::uint32_t ttl = 0;        // `ttl`, seconds
  std::chrono::milliseconds timeout{0};  // `timeout`, for one exchange
  bool tcp = false;             // `tcp`
};

// Reads and checks every key of the [providers.<name>] table (see provider.toml).
Rfc2136Settings parse_settings(const dns01::provider::Settings& settings);

// Parses "IP", "IP:port", "[IPv6]", "[IPv6]:port", bare "IPv6", "host", "host:port".
// Throws std::invalid_argument with a readable reason.
Server parse_server(const std::string& text);

// True for IPv6 / IPv4-or-IPv6 literals.
bool is_ipv6(const std::string& host);
bool is_ip(const std::string& host);

}  // namespace rfc2136
