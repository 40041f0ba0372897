// Fuzzes the base64/base64url/hex decoders (inputs come from servers: EAB keys, JWS, TSIG).
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "dns01/encoding.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto raw = dns01::base64url_decode(text);
    if (dns01::base64url_decode(dns01::base64url_encode(raw)) != raw) __builtin_trap();
  } catch (const std::invalid_argument&) {
  }
  try {
    dns01::base64_decode(text);
  } catch (const std::invalid_argument&) {
  }
  try {
    auto raw = dns01::hex_decode(text);
    if (dns01::hex_decode(dns01::hex_encode(raw)) != raw) __builtin_trap();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
