// `dns01 certificates --check` verdicts (expiry_check.hpp).
#include "dns01/flow/expiry_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "dns01/config.hpp"
#include "dns01/error.hpp"

namespace dns01::flow {

namespace {

using Clock = std::chrono::system_clock;
constexpr std::chrono::seconds kDay{24 * 3600};

// "21 d", "36 h", "90m": how a threshold or a remaining time reads in the status line.
std::string span_text(std::chrono::seconds s) {
  if (s >= kDay && s % kDay == std::chrono::seconds(0)) return fmt::format("{} d", s / kDay);
  if (s % std::chrono::hours(1) == std::chrono::seconds(0)) return fmt::format("{} h", s / std::chrono::hours(1));
  return format_duration(s);
}

std::string left_text(const CheckedCert& c, Clock::time_point now) {
  if (c.not_after <= now) return "expired";
  const auto left = std::chrono::floor<std::chrono::seconds>(c.not_after - now);
  if (left < kDay) return fmt::format("{} h", std::chrono::floor<std::chrono::hours>(left).count());
  return fmt::format("{} d", c.days_left);
}

std::string listing(const std::vector<const CheckedCert*>& certs, Clock::time_point now) {
  std::string out;
  for (const auto* c : certs) out += fmt::format("{}{} ({})", out.empty() ? "" : ", ", c->name, left_text(*c, now));
  return out;
}

const char* plural(std::size_t n) { return n == 1 ? "" : "s"; }

}  // namespace

const char* check_state_name(CheckState state) noexcept {
  switch (state) {
    case CheckState::ok: return "OK";
    case CheckState::warning: return "WARNING";
    case CheckState::critical: return "CRITICAL";
    case CheckState::unknown: return "UNKNOWN";
  }
  return "UNKNOWN";
}

std::chrono::seconds parse_threshold(std::string_view text, std::string_view option) {
  auto bad = [&](std::string_view why) {
    return UsageError("certificates", fmt::format("read {}", option),
                      fmt::format("'{}' is not a time span: {}", text, why),
                      fmt::format("give days or hours with their unit, e.g. {} 21d or {} 36h", option, option));
  };
  if (text.empty() || std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    throw bad("a unit is needed (d, h, m, s)");
  // Leading "<N>d" (days are what certificates are measured in), the rest as parse_duration reads it.
  std::chrono::seconds total{0};
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits > 0 && digits < text.size() && text[digits] == 'd') {
    if (digits > 5) throw bad("too large");
    total += std::stol(std::string(text.substr(0, digits))) * kDay;
    text.remove_prefix(digits + 1);
  }
  if (!text.empty()) {
    try {
      total += std::chrono::duration_cast<std::chrono::seconds>(parse_duration(text));
    } catch (const std::invalid_argument& e) {
      throw bad(e.what());
    }
  }
  return total;
}

std::string unknown_status_line(std::string_view message) {
  std::string line = fmt::format("DNS01 UNKNOWN - {}", message);
  std::replace(line.begin(), line.end(), '\n', ' ');
  return line;
}

ExpiryCheck check_expiry(const std::vector<CertExpiry>& certs, const std::vector<UnreadableCert>& unreadable,
                         const ExpiryThresholds& t, Clock::time_point now, std::string_view storage) {
  ExpiryCheck check;
  std::vector<const CheckedCert*> critical, warning;
  for (const auto& c : certs) {
    CheckedCert checked{c.name, c.not_after,
                        static_cast<long>(std::chrono::floor<std::chrono::days>(c.not_after - now).count()),
                        CheckState::ok};
    const auto left = c.not_after - now;
    if (c.not_after <= now || left <= t.critical)
      checked.state = CheckState::critical;
    else if (left <= t.warning)
      checked.state = CheckState::warning;
    check.certs.push_back(checked);
  }
  for (const auto& c : check.certs) {
    if (c.state == CheckState::critical) critical.push_back(&c);
    if (c.state == CheckState::warning) warning.push_back(&c);
  }
  const CheckedCert* next = nullptr;
  for (const auto& c : check.certs)
    if (!next || c.not_after < next->not_after) next = &c;

  const std::size_t total = certs.size() + unreadable.size();
  std::vector<std::string> parts;
  if (!critical.empty())
    parts.push_back(fmt::format("{} of {} certificate{} expire{} within {}: {}", critical.size(), total,
                                plural(total), critical.size() == 1 ? "s" : "", span_text(t.critical),
                                listing(critical, now)));
  if (!unreadable.empty()) {
    std::string names;
    for (const auto& u : unreadable) names += fmt::format("{}{} ({})", names.empty() ? "" : ", ", u.name, u.error);
    parts.push_back(fmt::format("{} of {} certificate{} cannot be read: {}", unreadable.size(), total,
                                plural(total), names));
  }
  if (!warning.empty())
    parts.push_back(fmt::format("{}{} of {} certificate{} expire{} within {}: {}", critical.empty() ? "" : "and ",
                                warning.size(), total, plural(total), warning.size() == 1 ? "s" : "",
                                span_text(t.warning), listing(warning, now)));

  if (!critical.empty())
    check.state = CheckState::critical;
  else if (!unreadable.empty() || total == 0)
    check.state = CheckState::unknown;
  else if (!warning.empty())
    check.state = CheckState::warning;

  std::string text;
  if (total == 0)
    text = fmt::format("no certificates in {}", storage);
  else if (parts.empty())
    text = fmt::format("{} certificate{}, next expiry {} ({})", total, plural(total), next->name, left_text(*next, now));
  else
    for (const auto& p : parts) text += (text.empty() ? "" : "; ") + p;
  std::string perf = fmt::format("certificates={} unreadable={}", total, unreadable.size());
  if (next)
    perf += fmt::format(" min_days_left={};{}:;{}:", next->days_left, t.warning / kDay, t.critical / kDay);
  check.status_line = fmt::format("DNS01 {} - {} | {}", check_state_name(check.state), text, perf);
  std::replace(check.status_line.begin(), check.status_line.end(), '\n', ' ');
  return check;
}

}  // namespace dns01::flow
