#pragma once
// One logger for the whole process, with secret redaction applied centrally.
//
// Every line that leaves the process through the logger (text on stderr or JSON lines) first
// passes through the Redactor: values registered as secrets are replaced by "[REDACTED]", and
// well-known secret carriers are masked by pattern whatever their value (Authorization and
// X-Auth-* / *-Token / *-Key headers, `token=`, `secret=`, `password=`, `key=`, `sig=` query or
// form parameters, `"...secret..."`/`"...token..."`/`"password"` JSON members, TSIG secrets).
// Code that builds error messages from untrusted or secret-bearing data should also call
// Redactor::global().apply() itself; the logger is the last line of defence, not the only one.
//
// Thread-safety: all functions are safe to call from several threads; lines never interleave.
#include <fmt/format.h>

#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace dns01 {

class Redactor {
 public:
  // The process-wide redactor used by the logger and by error printing.
  static Redactor& global();

  // Registers a secret value (API token, TSIG secret, EAB MAC key, ...). Values shorter than
  // 4 characters are ignored (they would mask ordinary text). Idempotent.
  void add_secret(std::string value);
  // Returns text with every registered secret and every pattern-matched secret replaced.
  std::string apply(std::string_view text) const;
  // For tests.
  void clear();

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> secrets_;
};

enum class LogLevel { trace = 0, debug = 1, info = 2, warn = 3, error = 4, off = 5 };
enum class LogFormat { text, json };

// Parses "trace|debug|info|warn|error|off" (case-insensitive, "warning" accepted for "warn");
// throws ConfigError otherwise.
LogLevel parse_log_level(std::string_view name);
// The lower-case name of a level ("info"), as printed in log lines and accepted by the parser.
const char* log_level_name(LogLevel level) noexcept;
// Parses "text|json" (case-insensitive); throws ConfigError otherwise.
LogFormat parse_log_format(std::string_view name);
// Text made safe for one record on a terminal or in a log: CR dropped, each line break followed by
// four spaces (a continuation can never pass for a record of its own), other control characters
// (ESC, NUL, ...) shown as \xNN. Bytes from servers (URLs, problem details) go through this.
std::string sanitize_text(std::string_view text);
// True when stderr is the journal stream systemd set up for this service ($JOURNAL_STREAM names
// stderr's device and inode), the case where syslog priority prefixes belong on each line.
bool stderr_is_journal();

class Logger {
 public:
  // Writes to `out` (stderr by default). Not owned.
  explicit Logger(LogLevel level = LogLevel::info, LogFormat format = LogFormat::text,
                  std::FILE* out = stderr);

  void set_level(LogLevel level) { level_ = level; }
  LogLevel level() const { return level_; }
  void set_format(LogFormat format) { format_ = format; }
  // Text lines start with a syslog priority, "<3>" (error) .. "<7>" (debug/trace), which journald
  // strips and stores as the priority (`journalctl -p err`). Off by default; see
  // stderr_is_journal().
  void set_syslog_prefix(bool on) { syslog_prefix_ = on; }
  // "<N>" for `level` when syslog prefixes are on, else "".
  std::string priority_prefix(LogLevel level) const;
  bool enabled(LogLevel level) const { return level >= level_ && level_ != LogLevel::off; }

  // component: short lower-case source, e.g. "http", "acme", "rfc2136".
  void log(LogLevel level, std::string_view component, std::string_view message);

  template <typename... Args>
  void trace(std::string_view c, fmt::format_string<Args...> f, Args&&... a) {
    if (enabled(LogLevel::trace)) log(LogLevel::trace, c, fmt::format(f, std::forward<Args>(a)...));
  }
  template <typename... Args>
  void debug(std::string_view c, fmt::format_string<Args...> f, Args&&... a) {
    if (enabled(LogLevel::debug)) log(LogLevel::debug, c, fmt::format(f, std::forward<Args>(a)...));
  }
  template <typename... Args>
  void info(std::string_view c, fmt::format_string<Args...> f, Args&&... a) {
    if (enabled(LogLevel::info)) log(LogLevel::info, c, fmt::format(f, std::forward<Args>(a)...));
  }
  template <typename... Args>
  void warn(std::string_view c, fmt::format_string<Args...> f, Args&&... a) {
    if (enabled(LogLevel::warn)) log(LogLevel::warn, c, fmt::format(f, std::forward<Args>(a)...));
  }
  template <typename... Args>
  void error(std::string_view c, fmt::format_string<Args...> f, Args&&... a) {
    if (enabled(LogLevel::error)) log(LogLevel::error, c, fmt::format(f, std::forward<Args>(a)...));
  }

  // The process-wide logger (configured by the CLI from -v/-q/--log-format/[log]).
  static Logger& global();

 private:
  LogLevel level_;
  LogFormat format_;
  bool syslog_prefix_ = false;
  std::FILE* out_;
  std::mutex mutex_;
};

}  // namespace dns01
