// JSON helpers of the provider kit (see dns01/kit/json.hpp).
#include "dns01/kit/json.hpp"

#include <charconv>

#include "dns01/provider.hpp"

namespace dns01::kit {

namespace {

using provider::Failure;
using provider::StatusCode;

[[noreturn]] void fail(std::string_view step, std::string message) {
  throw Failure(StatusCode::server, std::string(step), std::move(message),
                "the provider's API answered in an unexpected shape; run with --log-level debug "
                "and report it if it persists");
}

const Json* child(const Json& node, std::string_view part) {
  if (node.is_object()) {
    auto it = node.find(std::string(part));
    return it == node.end() ? nullptr : &*it;
  }
  if (node.is_array()) {
    std::size_t index = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), index);
    if (ec != std::errc() || end != part.data() + part.size() || index >= node.size())
      return nullptr;
    return &node[index];
  }
  return nullptr;
}

}  // namespace

Json parse_json(std::string_view body, std::string_view step) {
  Json document = Json::parse(body, nullptr, false);
  if (document.is_discarded())
    fail(step, "the API answered invalid JSON (" + std::to_string(body.size()) + " bytes)");
  return document;
}

const Json* json_find(const Json& document, std::string_view path) noexcept {
  const Json* node = &document;
  while (node && !path.empty()) {
    const auto dot = path.find('.');
    node = child(*node, path.substr(0, dot));
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  }
  return node;
}

const Json& json_at(const Json& document, std::string_view path, std::string_view step) {
  const Json* node = json_find(document, path);
  if (!node) fail(step, "the API reply has no '" + std::string(path) + "'");
  return *node;
}

std::string json_string(const Json& document, std::string_view path, std::string_view step) {
  const Json& node = json_at(document, path, step);
  if (!node.is_string()) fail(step, "'" + std::string(path) + "' in the API reply is not a string");
  return node.get<std::string>();
}

std::int64_t json_integer(const Json& document, std::string_view path, std::string_view step) {
  const Json& node = json_at(document, path, step);
  if (!node.is_number_integer())
    fail(step, "'" + std::string(path) + "' in the API reply is not an integer");
  return node.get<std::int64_t>();
}

bool json_boolean(const Json& document, std::string_view path, std::string_view step) {
  const Json& node = json_at(document, path, step);
  if (!node.is_boolean()) fail(step, "'" + std::string(path) + "' in the API reply is not a boolean");
  return node.get<bool>();
}

}  // namespace dns01::kit
