#pragma once
// provider::Value builders for unit tests that hand a provider its Settings the way the host
// would (kinds as provider.toml declares them). Shared by every provider folder's tests.
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dns01/provider.hpp"

namespace dns01::kit::test {

inline provider::Value text(std::string s, bool secret = false) {
  provider::Value v;
  v.kind = provider::ValueKind::string;
  v.text = std::move(s);
  v.secret = secret;
  return v;
}

inline provider::Value integer(std::int64_t i) {
  provider::Value v;
  v.kind = provider::ValueKind::integer;
  v.text = std::to_string(i);
  v.integer = i;
  return v;
}

inline provider::Value flag(bool b) {
  provider::Value v;
  v.kind = provider::ValueKind::boolean;
  v.text = b ? "true" : "false";
  v.boolean = b;
  return v;
}

inline provider::Value duration(std::chrono::milliseconds d) {
  provider::Value v;
  v.kind = provider::ValueKind::duration;
  v.text = std::to_string(d.count()) + "ms";
  v.integer = d.count();
  return v;
}

inline provider::Value strings(std::vector<std::string> list) {
  provider::Value v;
  v.kind = provider::ValueKind::string_list;
  v.list = std::move(list);
  return v;
}

}  // namespace dns01::kit::test
