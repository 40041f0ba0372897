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
  std::string text = fmt::format("dns01: error: {}\n", e.what());
  if (!e.hint().empty()) text += fmt::format("dns01: hint: {}\n", e.hint());
  std::fputs(redactor.apply(text).c_str(), stderr);
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
}

}  // namespace dns01::cli
