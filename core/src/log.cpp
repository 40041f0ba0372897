// The process logger: one line per call, redacted, text or JSON lines.
#include "dns01/log.hpp"

#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <ctime>

#include "dns01/error.hpp"

namespace dns01 {

namespace {

constexpr std::array<const char*, 6> kLevelNames = {"trace", "debug", "info",
                                                    "warn",  "error", "off"};

// UTC with milliseconds, e.g. 2026-11-24T08:30:00.123Z (RFC 3339, sortable).
std::string timestamp() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  const std::time_t t = system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

}  // namespace

// Continuation lines of a multi-line message are indented (unless they already are) so that every
// log record still starts with a timestamp (a message can never forge a record of its own);
// other control characters (and DEL) are shown escaped.
std::string sanitize_text(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  for (std::size_t i = 0; i < message.size(); ++i) {
    const char c = message[i];
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += '\n';
      const bool indented = i + 1 < message.size() && (message[i + 1] == ' ' || message[i + 1] == '\t');
      if (!indented) out += "    ";
    } else if (u == 0x7f) {
      out += "\\x7f";
    } else if (c == '\r') {
      continue;
    } else if (u < 0x20 && c != '\t') {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

// Colour only on a terminal and only when NO_COLOR (https://no-color.org) is unset or empty.
bool use_colour(std::FILE* out) {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return false;
  return ::isatty(::fileno(out)) == 1;
}

const char* colour_of(LogLevel level) {
  switch (level) {
    case LogLevel::trace:
    case LogLevel::debug: return "\x1b[2m";   // dim
    case LogLevel::info: return "\x1b[32m";   // green
    case LogLevel::warn: return "\x1b[33m";   // yellow
    case LogLevel::error: return "\x1b[31m";  // red
    case LogLevel::off: break;
  }
  return "";
}

}  // namespace

const char* log_level_name(LogLevel level) noexcept {
  const auto i = static_cast<std::size_t>(level);
  return i < kLevelNames.size() ? kLevelNames[i] : "info";
}

LogLevel parse_log_level(std::string_view name) {
  std::string n(name);
  for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (n == "warning") return LogLevel::warn;
  for (std::size_t i = 0; i < kLevelNames.size(); ++i)
    if (n == kLevelNames[i]) return static_cast<LogLevel>(i);
  throw ConfigError("parse log level", fmt::format("unknown log level '{}'", name),
                    "use one of trace, debug, info, warn, error, off");
}

LogFormat parse_log_format(std::string_view name) {
  std::string n(name);
  for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (n == "text") return LogFormat::text;
  if (n == "json") return LogFormat::json;
  throw ConfigError("parse log format", fmt::format("unknown log format '{}'", name),
                    "use text or json");
}

bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr || *stream == 0) return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  return std::string(stream) == fmt::format("{}:{}", static_cast<unsigned long long>(st.st_dev),
                                            static_cast<unsigned long long>(st.st_ino));
}

std::string Logger::priority_prefix(LogLevel level) const {
  if (!syslog_prefix_) return {};
  switch (level) {
    case LogLevel::error: return "<3>";
    case LogLevel::warn: return "<4>";
    case LogLevel::info: return "<6>";
    default: return "<7>";
  }
}

Logger::Logger(LogLevel level, LogFormat format, std::FILE* out)
    : level_(level), format_(format), out_(out) {}

Logger& Logger::global() {
  static Logger logger;
  return logger;
}

void Logger::log(LogLevel level, std::string_view component, std::string_view message) {
  if (!enabled(level) || level == LogLevel::off) return;
  // Redact the raw text before any encoding, so the patterns see the message as written.
  const auto& redactor = Redactor::global();
  const std::string safe_message = redactor.apply(message);
  const std::string safe_component = redactor.apply(component);
  std::string line;
  if (format_ == LogFormat::json) {
    nlohmann::json j = {{"ts", timestamp()},
                        {"level", log_level_name(level)},
                        {"component", safe_component},
                        {"msg", safe_message}};
    // Invalid UTF-8 in a message (server bytes) must not make dump() throw.
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    line += '\n';
  } else if (syslog_prefix_) {
    // journald shows its own time stamp; the priority replaces the colour.
    std::string text = sanitize_text(safe_message);
    line = fmt::format("{}{} {}: {}\n", priority_prefix(level), log_level_name(level), safe_component, text);
  } else if (use_colour(out_)) {
    line = fmt::format("{} {}{}\x1b[0m {}: {}\n", timestamp(), colour_of(level),
                       log_level_name(level), safe_component, sanitize_text(safe_message));
  } else {
    line = fmt::format("{} {} {}: {}\n", timestamp(), log_level_name(level), safe_component,
                       sanitize_text(safe_message));
  }
  std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace dns01
