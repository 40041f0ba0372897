#pragma once
// Defensive access to JSON documents received from servers (ACME CAs, cloud APIs).
//
// Every accessor names the document and the member in its error, so a malformed reply yields
// "acme: parse order: member 'status' is missing" rather than an nlohmann type_error. The
// `what` argument is the step used in the error ("parse order"); `component` the component.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns01/error.hpp"

namespace dns01::json {

using Json = nlohmann::json;

// Why parsing failed is reported as an Error of `category` (acme, provider, ...).
struct Context {
  ErrorCategory category;
  std::string component;  // "acme"
  std::string step;       // "parse order"
};

// Parses text as a JSON object; bodies larger than max_bytes, non-JSON text or a non-object
// top level are reported as errors (with a short, redacted excerpt of the body).
Json parse_object(std::string_view text, const Context& ctx, std::size_t max_bytes = 1 << 20);

// Required members: throw when missing or of the wrong type.
const Json& member(const Json& obj, std::string_view key, const Context& ctx);
std::string get_string(const Json& obj, std::string_view key, const Context& ctx);
std::int64_t get_int(const Json& obj, std::string_view key, const Context& ctx);
bool get_bool(const Json& obj, std::string_view key, const Context& ctx);
const Json& get_object(const Json& obj, std::string_view key, const Context& ctx);
const Json& get_array(const Json& obj, std::string_view key, const Context& ctx);
std::vector<std::string> get_string_array(const Json& obj, std::string_view key,
                                          const Context& ctx);

// Optional members: nullopt when missing or null; throw when present with the wrong type.
std::optional<std::string> opt_string(const Json& obj, std::string_view key, const Context& ctx);
std::optional<std::int64_t> opt_int(const Json& obj, std::string_view key, const Context& ctx);
std::optional<bool> opt_bool(const Json& obj, std::string_view key, const Context& ctx);

// An error as the JSON object of `--json` results: {category, exit_code, message, hint},
// with secrets redacted (Redactor::global()).
Json error_json(const Error& e);

}  // namespace dns01::json
