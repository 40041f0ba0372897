// Settings of the rfc2136 provider, read once (see settings.hpp).
#include "settings.hpp"

#include <arpa/inet.h>
#include <dns01/kit/names.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace rfc2136 {

using dns01::provider::Failure;
using dns01::provider::Settings;
using dns01::provider::StatusCode;
using dns01::provider::Value;
using dns01::provider::ValueKind;

namespace {

// Bounds the provider enforces on top of provider.toml's types.
constexpr std::int64_t kMaxTtl = 86400;
constexpr std::chrono::milliseconds kMinTimeout{100};

const char* kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::string: return "a string";
    case ValueKind::integer: return "an integer";
    case ValueKind::boolean: return "a boolean";
    case ValueKind::duration: return "a duration";
    case ValueKind::string_list: return "a list of strings";
  }
  return "a value";
}

// The value of `key` when present, checked to be of `kind` (the host's accessors would silently
// return a fallback on a kind mismatch).
const Value* optional_value(const Settings& s, std::string_view key, ValueKind kind) {
  const Value* v = s.find(key);
  if (v && v->kind != kind)  // the host checked the table against provider.toml's types
    throw Failure(StatusCode::internal, "read setting " + std::string(key),
                  "the host passed " + std::string(key) + " as another type than " +
                      kind_name(kind) + ", which provider.toml declares",
                  "check that provider-rfc2136.toml is the one installed with this module");
  return v;
}

// A key that is required or has a default in provider.toml: the host always supplies it.
const Value& present_value(const Settings& s, std::string_view key, ValueKind kind) {
  if (const Value* v = optional_value(s, key, kind)) return *v;
  throw Failure(StatusCode::internal, "read settings",
                "the host passed no value for " + std::string(key) +
                    ", which provider.toml requires or gives a default",
                "check that provider-rfc2136.toml is installed beside provider-rfc2136.so");
}

std::uint16_t parse_port(const std::string& text) {
  if (text.empty() || text.size() > 5 ||
      !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }))
    throw std::invalid_argument("the port '" + text + "' is not a number from 1 to 65535");
  const long port = std::stol(text);
  if (port < 1 || port > 65535)
    throw std::invalid_argument("the port " + text + " is not between 1 and 65535");
  return static_cast<std::uint16_t>(port);
}

// The ldns wire name of a TSIG algorithm, refusing what ldns 1.8.3 cannot do.
std::string algorithm_of(const std::string& configured) {
  const std::string a = dns01::kit::normalize_name(configured);
  if (a == "hmac-sha256" || a == "hmac-sha512" || a == "hmac-sha1") return a + ".";
  if (a == "hmac-md5" || a == "hmac-md5.sig-alg.reg.int") return "hmac-md5.sig-alg.reg.int.";
  if (a == "hmac-sha224")
    throw Failure(StatusCode::config, "check algorithm",
                  "hmac-sha224 is not supported: ldns 1.8.3, the DNS library dns01 uses, does not "
                  "implement it",
                  "create the key with hmac-sha256 (tsig-keygen -a hmac-sha256 NAME)");
  if (a == "hmac-sha384")
    throw Failure(StatusCode::config, "check algorithm",
                  "hmac-sha384 is not supported: ldns 1.8.3, the DNS library dns01 uses, signs it "
                  "under a misspelt algorithm name, so servers answer BADKEY",
                  "create the key with hmac-sha256 or hmac-sha512");
  throw Failure(StatusCode::config, "check algorithm", "unknown TSIG algorithm '" + configured + "'",
                "use hmac-sha256 (default), hmac-sha512, hmac-sha1 or hmac-md5");
}

std::optional<TsigKey> key_of(const Settings& s, const std::string& algorithm) {
  const Value* name = optional_value(s, "key_name", ValueKind::string);
  const Value* secret = optional_value(s, "secret", ValueKind::string);
  const bool has_name = name && !name->text.empty(), has_secret = secret && !secret->text.empty();
  if (!has_name && !has_secret) return std::nullopt;
  if (!has_name)
    throw Failure(StatusCode::config, "check key_name", "a secret is set but no key_name",
                  "set key_name to the TSIG key's name on the server");
  if (!has_secret)
    throw Failure(StatusCode::config, "check secret", "key_name is set but no secret",
                  "give the TSIG secret as secret_file = \"/path\" (mode 0600)");
  const std::string& text = secret->text;
  const bool base64 = std::all_of(text.begin(), text.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '+' || c == '/' || c == '=';
  });
  if (!base64 || text.size() % 4 != 0)
    throw Failure(StatusCode::config, "check secret", "the secret is not base64 text",
                  "copy the secret \"...\" value printed by tsig-keygen, without quotes");
  return TsigKey{dns01::kit::normalize_name(name->text), algorithm, text};
}

}  // namespace

bool is_ipv6(const std::string& host) {
  in6_addr a6{};
  return inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

bool is_ip(const std::string& host) {
  in_addr a4{};
  return is_ipv6(host) || inet_pton(AF_INET, host.c_str(), &a4) == 1;
}

std::string Server::str() const {
  return (is_ipv6(host) ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Server parse_server(const std::string& text) {
  Server server;
  if (text.empty()) throw std::invalid_argument("the server is empty");
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos) throw std::invalid_argument("'[' without ']'");
    server.host = text.substr(1, close - 1);
    const std::string rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') throw std::invalid_argument("expected ':port' after ']'");
      server.port = parse_port(rest.substr(1));
    }
    if (!is_ipv6(server.host))
      throw std::invalid_argument("'" + server.host + "' in brackets is not an IPv6 address");
    return server;
  }
  const auto colons = std::count(text.begin(), text.end(), ':');
  if (colons >= 2) {  // a bare IPv6 address, no port
    if (!is_ipv6(text))
      throw std::invalid_argument("'" + text + "' is not an IPv6 address (write [IPv6]:port)");
    server.host = text;
    return server;
  }
  server.host = text;
  if (colons == 1) {
    server.host = text.substr(0, text.find(':'));
    server.port = parse_port(text.substr(text.find(':') + 1));
  }
  const bool name_chars = std::all_of(server.host.begin(), server.host.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '-' || c == '_';
  });
  if (server.host.empty() || !name_chars)
    throw std::invalid_argument("'" + server.host + "' is neither an IP address nor a host name");
  return server;
}

Rfc2136Settings parse_settings(const Settings& s) {
  Rfc2136Settings out;
  out.instance = s.instance;
  try {
    out.server = parse_server(present_value(s, "server", ValueKind::string).text);
  } catch (const std::invalid_argument& e) {
    throw Failure(StatusCode::config, "check server", e.what(),
                  "write an address such as 192.0.2.53, 192.0.2.53:5353 or [2001:db8::53]:53");
  }
  if (const Value* zone = optional_value(s, "zone", ValueKind::string))
    out.zone = dns01::kit::normalize_name(zone->text);
  out.key = key_of(s, algorithm_of(present_value(s, "algorithm", ValueKind::string).text));

  const std::int64_t ttl = present_value(s, "ttl", ValueKind::integer).integer;
  if (ttl < 0 || ttl > kMaxTtl)
    throw Failure(StatusCode::config, "check ttl", "the ttl must be between 0 and 86400 seconds",
                  "challenge records live minutes: ttl = 60 (the default) suits every server");
  out.ttl = static_cast<std::uint32_t>(ttl);

  out.timeout = std::chrono::milliseconds(present_value(s, "timeout", ValueKind::duration).integer);
  if (out.timeout < kMinTimeout)
    throw Failure(StatusCode::config, "check timeout", "the timeout is below 100ms",
                  "give the server at least a second, e.g. timeout = \"10s\"");
  out.tcp = present_value(s, "tcp", ValueKind::boolean).boolean;
  return out;
}

}  // namespace rfc2136
