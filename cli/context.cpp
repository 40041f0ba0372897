#include "context.hpp"

#include <fmt/format.h>

#include <cstdio>

#include "dns01/log.hpp"

namespace dns01::cli {

const Config& Context::config() {
  if (!config_) {
    LoadOptions options;
    options.path = global.config;
    options.allow_insecure_secret_files = global.allow_insecure_secret_files;
    config_ = load_config(options);
    apply_log_options(global, &config_->log);
  }
  return *config_;
}

void print_error(const Error& e) {
  auto& redactor = Redactor::global();
  const std::string priority = Logger::global().priority_prefix(LogLevel::error);
  // "dns01: error: dns01: ..." says dns01 twice; errors of dns01 as a whole drop the component.
  std::string_view what = e.what();
  if (e.component() == "dns01" && what.starts_with("dns01: ")) what.remove_prefix(7);
  // Redacted first (the patterns see the text as written), then made one record per line: a
  // server's bytes in the message (a URL with CR/LF) cannot print a line of their own.
  std::string text = fmt::format("{}dns01: error: {}\n", priority,
                                 sanitize_text(redactor.apply(what)));
  if (!e.hint().empty())
    text += fmt::format("{}dns01: hint: {}\n", priority, sanitize_text(redactor.apply(e.hint())));
  std::fputs(text.c_str(), stderr);
}

void apply_log_options(const GlobalOptions& global, const LogSettings* from_config) {
  auto& log = Logger::global();
  LogLevel level = from_config ? from_config->level : LogLevel::info;
  if (global.quiet) level = LogLevel::warn;
  if (global.verbose == 1) level = LogLevel::debug;
  if (global.verbose >= 2) level = LogLevel::trace;
  log.set_level(level);
  LogFormat format = from_config ? from_config->format : LogFormat::text;
  if (global.log_format == "json") format = LogFormat::json;
  if (global.log_format == "text") format = LogFormat::text;
  log.set_format(format);
  log.set_syslog_prefix(global.syslog_prefix || stderr_is_journal());
}

}  // namespace dns01::cli
