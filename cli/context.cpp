#include "context.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>

#include "dns01/flow/failure_hook.hpp"
#include "dns01/flow/metrics.hpp"
#include "dns01/log.hpp"
#include "dns01/storage.hpp"

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

namespace {

bool writes_metrics(const std::string& verb) {
  return verb == "issue" || verb == "renew" || verb == "apply" || verb == "certificates";
}
bool has_failure_hook(const std::string& verb) {
  return verb == "issue" || verb == "renew" || verb == "apply";
}

// The category whose exit code this is ("" for 0 and codes no category has).
std::string category_of(int code) {
  for (auto c : {ErrorCategory::internal, ErrorCategory::usage, ErrorCategory::config,
                 ErrorCategory::network, ErrorCategory::acme, ErrorCategory::provider,
                 ErrorCategory::propagation, ErrorCategory::storage, ErrorCategory::interrupted})
    if (exit_code(c) == code) return category_name(c);
  return {};
}

// The configuration for after-run work: loaded now if the verb never needed it, but not again
// after it failed to load (its errors were reported once).
const Config* config_for(Context& ctx, const FinishedRun& run) {
  if (const Config* c = ctx.loaded_config()) return c;
  if (run.error && run.error->category() == ErrorCategory::config) return nullptr;
  try {
    return &ctx.config();
  } catch (const Error&) {
    return nullptr;
  }
}

}  // namespace

void after_run(Context& ctx, const FinishedRun& run) {
  auto& log = Logger::global();
  const bool metrics = ctx.global.metrics_file && writes_metrics(run.verb);
  const bool hook = !ctx.global.failure_hook.empty() && has_failure_hook(run.verb) && run.exit_code != 0;
  if (!metrics && !hook) return;
  try {
    const Config* config = config_for(ctx, run);
    std::optional<CertStore> store;
    if (config) store.emplace(config->storage.dir);
    if (metrics) {
      if (!store)
        log.warn("metrics", "{} not written: the configuration could not be loaded",
                 ctx.global.metrics_file->string());
      else
        try {
          flow::write_metrics_file(*store, *ctx.global.metrics_file);
          log.debug("metrics", "wrote {}", ctx.global.metrics_file->string());
        } catch (const Error& e) {
          log.warn("metrics", "{}", e.what());
        }
    }
    if (hook) {
      flow::FailedRun failed{run.verb, run.exit_code, {}, {}, run.started};
      if (run.error) {
        failed.error_category = category_name(run.error->category());
        failed.error = run.error->what();
      } else {
        // The verb reported per-lineage failures and returned their exit code.
        failed.error_category = category_of(run.exit_code);
        const auto names = store ? flow::failed_lineages(*store, run.started) : std::vector<std::string>{};
        failed.error = names.empty() ? fmt::format("{} failed (exit {})", run.verb, run.exit_code)
                                     : fmt::format("{} failed for {}", run.verb, fmt::join(names, ", "));
      }
      const std::string problem = flow::run_failure_hook(ctx.global.failure_hook, failed, store ? &*store : nullptr);
      if (!problem.empty()) log.warn("hook", "{}", problem);
    }
  } catch (const std::exception& e) {
    // Monitoring must never turn a run's outcome into another one.
    log.warn("dns01", "after the run: {}", Redactor::global().apply(e.what()));
  }
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
