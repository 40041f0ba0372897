// libFuzzer target for the ACME document parsers (core/acme/documents.cpp): directory, account,
// order, authorization, challenge, problem and renewal-info documents, plus RFC 3339 times.
// The first byte picks the parser; the rest is the reply body. Any exception other than
// dns01::Error (e.g. an nlohmann type_error escaping) or a sanitizer report is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dns01/acme/documents.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    switch (data[0] % 8) {
      case 0: (void)dns01::acme::parse_directory(body); break;
      case 1: (void)dns01::acme::parse_account(body); break;
      case 2: (void)dns01::acme::parse_order(body); break;
      case 3: (void)dns01::acme::parse_authorization(body); break;
      case 4: (void)dns01::acme::parse_challenge(body); break;
      case 5: (void)dns01::acme::parse_problem(body, 400); break;
      case 6: (void)dns01::acme::parse_renewal_info(body); break;
      case 7: (void)dns01::acme::parse_rfc3339(body); break;
    }
  } catch (const dns01::Error&) {
    // expected: malformed input is reported as an error
  }
  return 0;
}
