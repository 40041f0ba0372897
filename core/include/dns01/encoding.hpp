#pragma once
// Byte encodings and digests used across dns01 (ACME JWS, DNS-01 TXT values, thumbprints).
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dns01 {

using Bytes = std::vector<std::uint8_t>;

inline std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// RFC 4648 §5 base64url without padding (what JOSE and ACME use).
std::string base64url_encode(std::span<const std::uint8_t> data);
inline std::string base64url_encode(std::string_view s) { return base64url_encode(as_bytes(s)); }
// Accepts input with or without '=' padding; throws std::invalid_argument on any other
// character or an impossible length.
Bytes base64url_decode(std::string_view text);

// Standard base64 (RFC 4648 §4, with padding), e.g. for TSIG secrets in BIND key files.
std::string base64_encode(std::span<const std::uint8_t> data);
Bytes base64_decode(std::string_view text);  // throws std::invalid_argument

// Lower-case hex; decoding accepts either case and throws std::invalid_argument on bad input.
std::string hex_encode(std::span<const std::uint8_t> data);
Bytes hex_decode(std::string_view text);

using Sha256Digest = std::array<std::uint8_t, 32>;
Sha256Digest sha256(std::span<const std::uint8_t> data);
inline Sha256Digest sha256(std::string_view s) { return sha256(as_bytes(s)); }

// Constant-time comparison (for MACs and secrets).
bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

}  // namespace dns01
