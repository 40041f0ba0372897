// What a run reports: each lineage's LineageRun (its error as JSON), its status file, and the
// run's summary (EngineRun, EngineTimings).
#include <fmt/format.h>

#include "dns01/flow/run_status.hpp"
#include "dns01/json.hpp"
#include "dns01/log.hpp"
#include "engine_state.hpp"

namespace dns01::flow {

namespace engine {

// status/<name>.json (run_status.hpp) for every lineage this run attempted or failed; a status
// file never fails an issuance.
void record_status(const Config& config, const Lineage& l, std::chrono::system_clock::time_point started,
                   const LineageRun& r) {
  if (!l.error && !l.lock) return;  // not_due (nothing attempted)
  if (r.cert_name.empty()) return;
  try {
    LineageAttempt attempt;
    attempt.name = r.cert_name;
    attempt.started = started;
    attempt.finished = std::chrono::system_clock::now();
    attempt.ok = r.ok();
    if (r.error_category) attempt.error_category = category_name(*r.error_category);
    if (r.error_json.is_object()) attempt.error = Redactor::global().apply(r.error_json.value("message", ""));
    if (r.result) {
      attempt.phases = phase_durations(r.result->timings);
      attempt.propagation_seconds = static_cast<double>(r.result->timings.propagation) / 1000.0;
    }
    CertStore::check_name(attempt.name);
    record_attempt(CertStore(config.storage.dir), attempt);
  } catch (const std::exception& e) {
    Logger::global().warn("status", "{}: the status file could not be written: {}", r.cert_name,
                          Redactor::global().apply(e.what()));
  }
}

LineageRun report(Lineage& l, long long total) {
  LineageRun r;
  r.cert_name = !l.result.cert_name.empty() ? l.result.cert_name
                : !l.options.cert_name.empty() ? l.options.cert_name
                                               : default_cert_name(l.options.domains);
  r.domains = l.result.domains.empty() ? l.options.domains : l.result.domains;
  if (!l.error) {
    l.result.timings.total = total;
    r.result = std::move(l.result);
    return r;
  }
  r.error = l.error;
  try {
    std::rethrow_exception(l.error);
  } catch (const Error& e) {
    r.error_category = e.category();
    r.error_json = json::error_json(e);
  } catch (const std::exception& e) {
    const Error internal(ErrorCategory::internal, "issue", fmt::format("issue {}", r.cert_name), e.what(),
                         "please report this with the -vv output");
    r.error_category = internal.category();
    r.error_json = json::error_json(internal);
  }
  return r;
}

}  // namespace engine

nlohmann::json EngineTimings::to_json() const {
  return {{"setup", setup},   {"preflight", preflight},     {"accounts", accounts},     {"order", order},
          {"present", present}, {"propagation", propagation}, {"validation", validation}, {"finalize", finalize},
          {"cleanup", cleanup}, {"store", store},             {"total", total}};
}

bool EngineRun::ok() const noexcept {
  for (const auto& l : lineages)
    if (!l.ok()) return false;
  return true;
}

int EngineRun::exit_code() const noexcept {
  for (const auto& l : lineages)
    if (!l.ok()) return dns01::exit_code(l.error_category.value_or(ErrorCategory::internal));
  return 0;
}

}  // namespace dns01::flow
