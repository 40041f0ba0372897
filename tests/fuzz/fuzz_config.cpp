// libFuzzer target for the configuration parser (core/src/config): dns01.toml text with an empty
// environment. A file is admin input, but it may come from a template or another tool, and
// nothing in it may crash dns01 or get past validation half-checked: every problem must be a
// ConfigError. A *_file key may name any path: it is read under the secret-file rules (a
// regular file of at most 64 KiB), so /dev/zero or a FIFO cannot hang the fuzzer either.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dns01/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  dns01::LoadOptions options;
  options.env = dns01::Environment{};
  try {
    (void)dns01::parse_config(text, "fuzz.toml", options);
  } catch (const dns01::ConfigError&) {
  }
  return 0;
}
