#pragma once
// Helpers shared by the config tests: parse with a controlled environment, capture ConfigError.
#include <catch2/catch.hpp>

#include <string>

#include "dns01/config.hpp"

namespace dns01::test {

inline LoadOptions isolated(Environment env = {}) {
  LoadOptions o;
  o.env = std::move(env);
  return o;
}

// Parses and expects a ConfigError; returns it (as a copy) for inspection.
inline ConfigError expect_config_error(std::string_view text, const LoadOptions& options,
                                       const std::string& name = "t.toml") {
  try {
    parse_config(text, name, options);
  } catch (const ConfigError& e) {
    return e;
  }
  FAIL("expected a ConfigError");
  throw;  // unreachable
}

inline bool has_issue(const ConfigError& e, int line, std::string_view needle) {
  for (const auto& i : e.issues())
    if ((line == 0 || i.line == line) && i.message.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace dns01::test
