// libFuzzer target for the redactor and the log-line sanitizer (core/src/redact.cpp, log.cpp):
// every log line and error passes them, often with server bytes inside. Checks, besides the
// sanitizers: a registered secret never survives redaction, and a sanitized text never holds a
// line break that is not followed by indentation (no forged records).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dns01/http.hpp"
#include "dns01/log.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  static dns01::Redactor* redactor = [] {
    auto* r = new dns01::Redactor;
    r->add_secret("fuzz-secret-value-0123456789");
    return r;
  }();
  const std::string redacted = redactor->apply(text);
  if (redacted.find("fuzz-secret-value-0123456789") != std::string::npos) __builtin_trap();
  const std::string safe = dns01::sanitize_text(redacted);
  for (std::size_t i = 0; i < safe.size(); ++i) {
    if (safe[i] == '\r') __builtin_trap();
    if (safe[i] == '\n' && (i + 1 >= safe.size() || (safe[i + 1] != ' ' && safe[i + 1] != '\t')))
      __builtin_trap();
  }
  (void)dns01::redact_url(text);
  dns01::UrlPolicy policy;
  policy.https_only = policy.refuse_link_local = true;
  (void)dns01::url_policy_violation(text, policy);
  return 0;
}
