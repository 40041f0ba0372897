#include "dns01/json.hpp"

#include <fmt/format.h>

#include "dns01/log.hpp"

namespace dns01::json {

namespace {

[[noreturn]] void fail(const Context& ctx, std::string cause) {
  throw Error(ctx.category, ctx.component, ctx.step, std::move(cause));
}

const char* type_name(const Json& j) { return j.type_name(); }

// A short excerpt of a bad body for the error, never the whole thing and never a secret.
std::string excerpt(std::string_view text) {
  constexpr std::size_t kMax = 120;
  std::string s(text.substr(0, kMax));
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '.';
  if (text.size() > kMax) s += "...";
  return Redactor::global().apply(s);
}

}  // namespace

Json parse_object(std::string_view text, const Context& ctx, std::size_t max_bytes) {
  if (text.size() > max_bytes)
    fail(ctx, fmt::format("reply of {} bytes is larger than the {} bytes accepted", text.size(),
                          max_bytes));
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    fail(ctx, fmt::format("reply is not valid JSON (starts with \"{}\")", excerpt(text)));
  if (!j.is_object()) fail(ctx, fmt::format("reply is a JSON {}, not an object", type_name(j)));
  return j;
}

const Json& member(const Json& obj, std::string_view key, const Context& ctx) {
  if (!obj.is_object()) fail(ctx, fmt::format("expected an object holding '{}'", key));
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) fail(ctx, fmt::format("member '{}' is missing", key));
  return *it;
}

namespace {
template <typename Pred>
const Json& typed(const Json& obj, std::string_view key, const Context& ctx, Pred pred,
                  const char* want) {
  const Json& v = member(obj, key, ctx);
  if (!pred(v)) fail(ctx, fmt::format("member '{}' is a {}, expected {}", key, type_name(v), want));
  return v;
}
const Json* optional_member(const Json& obj, std::string_view key, const Context& ctx) {
  if (!obj.is_object()) fail(ctx, fmt::format("expected an object holding '{}'", key));
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}
}  // namespace

std::string get_string(const Json& obj, std::string_view key, const Context& ctx) {
  return typed(obj, key, ctx, [](const Json& v) { return v.is_string(); }, "a string")
      .get<std::string>();
}

std::int64_t get_int(const Json& obj, std::string_view key, const Context& ctx) {
  return typed(obj, key, ctx, [](const Json& v) { return v.is_number_integer(); }, "an integer")
      .get<std::int64_t>();
}

bool get_bool(const Json& obj, std::string_view key, const Context& ctx) {
  return typed(obj, key, ctx, [](const Json& v) { return v.is_boolean(); }, "a boolean")
      .get<bool>();
}

const Json& get_object(const Json& obj, std::string_view key, const Context& ctx) {
  return typed(obj, key, ctx, [](const Json& v) { return v.is_object(); }, "an object");
}

const Json& get_array(const Json& obj, std::string_view key, const Context& ctx) {
  return typed(obj, key, ctx, [](const Json& v) { return v.is_array(); }, "an array");
}

std::vector<std::string> get_string_array(const Json& obj, std::string_view key,
                                          const Context& ctx) {
  std::vector<std::string> out;
  for (const auto& v : get_array(obj, key, ctx)) {
    if (!v.is_string())
      fail(ctx, fmt::format("member '{}' holds a {}, expected strings", key, type_name(v)));
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::optional<std::string> opt_string(const Json& obj, std::string_view key, const Context& ctx) {
  const Json* v = optional_member(obj, key, ctx);
  if (!v) return std::nullopt;
  if (!v->is_string())
    fail(ctx, fmt::format("member '{}' is a {}, expected a string", key, type_name(*v)));
  return v->get<std::string>();
}

std::optional<std::int64_t> opt_int(const Json& obj, std::string_view key, const Context& ctx) {
  const Json* v = optional_member(obj, key, ctx);
  if (!v) return std::nullopt;
  if (!v->is_number_integer())
    fail(ctx, fmt::format("member '{}' is a {}, expected an integer", key, type_name(*v)));
  return v->get<std::int64_t>();
}

std::optional<bool> opt_bool(const Json& obj, std::string_view key, const Context& ctx) {
  const Json* v = optional_member(obj, key, ctx);
  if (!v) return std::nullopt;
  if (!v->is_boolean())
    fail(ctx, fmt::format("member '{}' is a {}, expected a boolean", key, type_name(*v)));
  return v->get<bool>();
}

Json error_json(const Error& e) {
  auto& redactor = Redactor::global();
  return {{"category", category_name(e.category())},
          {"exit_code", exit_code(e.category())},
          {"message", redactor.apply(e.what())},
          {"hint", redactor.apply(e.hint())}};
}

}  // namespace dns01::json
