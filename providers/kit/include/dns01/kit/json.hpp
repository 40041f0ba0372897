#pragma once
// JSON for provider modules, over nlohmann/json: parsing a reply and reading paths out of it
// with errors a user can act on. Part of the provider kit (a static library compiled into each
// module; never part of the ABI).
//
// Errors: every function throws dns01::provider::Failure with StatusCode::server (the API
// answered something the provider cannot use); messages name the step and the missing or
// mistyped path, never the body (it may hold a secret).
// Thread-safety: pure functions.
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace dns01::kit {

using Json = nlohmann::json;

// Parses a reply body. Throws Failure(server) "the API answered invalid JSON".
Json parse_json(std::string_view body, std::string_view step);

// The value at a dotted path ("result.0.id": object keys and array indexes). Throws
// Failure(server) naming the path when a part is missing.
const Json& json_at(const Json& document, std::string_view path, std::string_view step);

// The string / integer / boolean at a path; throws Failure(server) when missing or another type.
std::string json_string(const Json& document, std::string_view path, std::string_view step);
std::int64_t json_integer(const Json& document, std::string_view path, std::string_view step);
bool json_boolean(const Json& document, std::string_view path, std::string_view step);

// Like json_at, but nullptr when a part is missing (for optional fields).
const Json* json_find(const Json& document, std::string_view path) noexcept;

}  // namespace dns01::kit
