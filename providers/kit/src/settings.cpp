// Settings binding of the provider kit (see dns01/kit/settings.hpp).
#include "dns01/kit/settings.hpp"

namespace dns01::kit {

using provider::Failure;
using provider::StatusCode;
using provider::Value;
using provider::ValueKind;

const Value* SettingsReader::get(std::string_view key, ValueKind kind) const {
  const Value* v = settings_.find(key);
  if (v && v->kind != kind)
    throw Failure(StatusCode::internal, "read setting '" + std::string(key) + "'",
                  "the provider reads it with another type than its provider.toml declares",
                  "this is a bug in the provider; please report it");
  return v;
}

void SettingsReader::required(std::string_view key, std::string& out, std::string_view why) {
  if (const Value* v = get(key, ValueKind::string)) {
    out = v->text;
    return;
  }
  problem(why.empty() ? "'" + std::string(key) + "' is required" : std::string(why));
}

void SettingsReader::optional(std::string_view key, std::string& out) {
  if (const Value* v = get(key, ValueKind::string)) out = v->text;
}

void SettingsReader::optional(std::string_view key, std::optional<std::string>& out) {
  if (const Value* v = get(key, ValueKind::string)) out = v->text;
}

void SettingsReader::optional(std::string_view key, std::int64_t& out) {
  if (const Value* v = get(key, ValueKind::integer)) out = v->integer;
}

void SettingsReader::optional(std::string_view key, bool& out) {
  if (const Value* v = get(key, ValueKind::boolean)) out = v->boolean;
}

void SettingsReader::optional(std::string_view key, std::chrono::milliseconds& out) {
  if (const Value* v = get(key, ValueKind::duration)) out = std::chrono::milliseconds(v->integer);
}

void SettingsReader::optional(std::string_view key, std::vector<std::string>& out) {
  if (const Value* v = get(key, ValueKind::string_list)) out = v->list;
}

void SettingsReader::problem(std::string text) { problems_.push_back(std::move(text)); }

void SettingsReader::finish() const {
  if (problems_.empty()) return;
  std::string message;
  for (const auto& p : problems_) message += (message.empty() ? "" : "; ") + p;
  throw Failure(StatusCode::config, "check [providers." + settings_.instance + "]",
                std::move(message),
                "see docs/providers/" + settings_.code + ".md for the keys and where they can "
                "come from");
}

}  // namespace dns01::kit
