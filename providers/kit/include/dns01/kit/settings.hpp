#pragma once
// Binding a provider's Settings into its own struct, once, in the factory. Part of the provider
// kit.
//
//   struct CloudySettings { std::string token; std::int64_t ttl = 0; std::optional<std::string> zone_id; };
//   CloudySettings parse_settings(const Settings& s) {
//     CloudySettings out;
//     kit::SettingsReader in(s);
//     in.required("api_token", out.token);
//     in.optional("ttl", out.ttl);
//     in.optional("zone_id", out.zone_id);
//     in.finish();   // throws Failure(config) listing every problem at once
//     return out;
//   }
//
// Defaults live in provider.toml (the host fills them in); the reader never invents one. A key
// read with another kind than provider.toml declares is a provider bug (StatusCode::internal);
// a required key that is absent (possible for keys whose requirement depends on others, e.g. a
// credentials file that may supply it) is a config problem reported with every other one.
// Thread-safety: one reader per thread.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns01/provider.hpp"

namespace dns01::kit {

class SettingsReader {
 public:
  explicit SettingsReader(const provider::Settings& settings) : settings_(settings) {}

  // Absent: `out` unchanged (for required(), a problem noted with `why` or a generic text).
  void required(std::string_view key, std::string& out, std::string_view why = {});
  void optional(std::string_view key, std::string& out);
  void optional(std::string_view key, std::optional<std::string>& out);
  void optional(std::string_view key, std::int64_t& out);
  void optional(std::string_view key, bool& out);
  void optional(std::string_view key, std::chrono::milliseconds& out);
  void optional(std::string_view key, std::vector<std::string>& out);

  // Records a problem found while interpreting the values (e.g. "zone_id is not 32 hex digits").
  void problem(std::string text);
  // Throws Failure(config) with every problem noted, one per line; does nothing when none.
  void finish() const;

  const provider::Settings& settings() const noexcept { return settings_; }

 private:
  const provider::Value* get(std::string_view key, provider::ValueKind kind) const;

  const provider::Settings& settings_;
  std::vector<std::string> problems_;
};

}  // namespace dns01::kit
