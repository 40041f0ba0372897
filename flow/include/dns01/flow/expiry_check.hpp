#pragma once
// `dns01 certificates --check`: the stored certificates judged like a monitoring plugin
// (Nagios, Icinga, Naemon, Sensu: the Monitoring Plugins Development Guidelines), so the
// verdict is one status line and the exit code.
//
//   OK (0)        every certificate has more than `warning` left
//   WARNING (1)   one expires within `warning`
//   UNKNOWN (3)   one cannot be read (or there is none, or the check itself failed)
//   CRITICAL (2)  one expires within `critical`, or has expired
// The worst state wins, in the order OK < WARNING < UNKNOWN < CRITICAL: a certificate known to
// be about to expire outranks one that cannot be read. The status line names the certificates
// concerned, e.g. "DNS01 WARNING - 1 of 12 certificates expire within 21 d: web (10 d)", and
// ends with performance data ("| certificates=12 unreadable=0 min_days_left=10;21:;7:").
//
// Pure and thread-safe; parse_threshold throws UsageError for a malformed value.
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace dns01::flow {

enum class CheckState { ok = 0, warning = 1, critical = 2, unknown = 3 };
const char* check_state_name(CheckState state) noexcept;  // "OK", "WARNING", ...
inline int check_exit_code(CheckState state) noexcept { return static_cast<int>(state); }

// "21d", "36h", "90m", "1d12h" (parse_duration's units plus d); a unit is required. `option`
// names the option in the error ("--warning").
std::chrono::seconds parse_threshold(std::string_view text, std::string_view option);

struct ExpiryThresholds {
  std::chrono::seconds warning{std::chrono::hours(24 * 21)};
  std::chrono::seconds critical{std::chrono::hours(24 * 7)};
};

struct CertExpiry {
  std::string name;
  std::chrono::system_clock::time_point not_after;
};
struct UnreadableCert {
  std::string name;
  std::string error;  // already redacted
};

struct CheckedCert {
  std::string name;
  std::chrono::system_clock::time_point not_after;
  long days_left = 0;  // whole days, negative when expired
  CheckState state = CheckState::ok;
};

struct ExpiryCheck {
  CheckState state = CheckState::ok;
  std::string status_line;          // "DNS01 OK - 12 certificates, next expiry web (54 d) | ..."
  std::vector<CheckedCert> certs;   // in the order given
};

// The verdict over `certs` and `unreadable` at `now`. No certificate at all is UNKNOWN (a
// check against an empty or wrong storage directory must not look healthy); `storage` names
// the directory in that message.
ExpiryCheck check_expiry(const std::vector<CertExpiry>& certs, const std::vector<UnreadableCert>& unreadable,
                         const ExpiryThresholds& thresholds, std::chrono::system_clock::time_point now,
                         std::string_view storage);

// The status line of a check that could not run (bad option, unreadable configuration):
// "DNS01 UNKNOWN - <message>".
std::string unknown_status_line(std::string_view message);

}  // namespace dns01::flow
