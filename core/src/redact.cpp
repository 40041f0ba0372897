// Minimal first version; the logging helper completes it (pattern redaction).
#include "dns01/log.hpp"

namespace dns01 {

Redactor& Redactor::global() {
  static Redactor redactor;
  return redactor;
}

void Redactor::add_secret(std::string value) {
  if (value.size() < 4) return;
  std::lock_guard lock(mutex_);
  for (const auto& s : secrets_)
    if (s == value) return;
  secrets_.push_back(std::move(value));
}

std::string Redactor::apply(std::string_view text) const {
  std::string out(text);
  std::lock_guard lock(mutex_);
  for (const auto& s : secrets_) {
    for (auto pos = out.find(s); pos != std::string::npos; pos = out.find(s, pos))
      out.replace(pos, s.size(), "[REDACTED]");
  }
  return out;
}

void Redactor::clear() {
  std::lock_guard lock(mutex_);
  secrets_.clear();
}

LogLevel parse_log_level(std::string_view) { return LogLevel::info; }

}  // namespace dns01
