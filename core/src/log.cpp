// Minimal first version; the logging helper completes it (JSON lines, timestamps).
#include "dns01/log.hpp"

namespace dns01 {

Logger::Logger(LogLevel level, LogFormat format, std::FILE* out)
    : level_(level), format_(format), out_(out) {}

Logger& Logger::global() {
  static Logger logger;
  return logger;
}

void Logger::log(LogLevel level, std::string_view component, std::string_view message) {
  if (!enabled(level)) return;
  std::string line = Redactor::global().apply(fmt::format("{}: {}\n", component, message));
  std::lock_guard lock(mutex_);
  std::fputs(line.c_str(), out_);
}

}  // namespace dns01
