#pragma once
// Time stamps as cloud APIs write them. Part of the provider kit. Pure functions.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace dns01::kit {

using SystemTime = std::chrono::system_clock::time_point;

// ISO 8601 basic format in UTC, as SigV4 wants it: "20261201T153000Z".
std::string iso8601_basic(SystemTime time);
// RFC 3339 in UTC with seconds: "2026-12-01T15:30:00Z".
std::string rfc3339(SystemTime time);
// Parses RFC 3339 / ISO 8601 extended ("2026-12-01T15:30:00Z", "...:00.123Z",
// "...:00+01:00"); nullopt when malformed.
std::optional<SystemTime> parse_rfc3339(std::string_view text);

}  // namespace dns01::kit
