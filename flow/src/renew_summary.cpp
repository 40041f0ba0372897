// RenewSummary: the outcome of `dns01 renew` as an exit code and as the documented --json object.
#include <algorithm>

#include "dns01/acme/documents.hpp"
#include "dns01/flow/renew.hpp"

namespace dns01::flow {

using Clock = std::chrono::system_clock;

bool RenewSummary::ok() const {
  return std::none_of(certificates.begin(), certificates.end(),
                      [](const LineageOutcome& o) { return o.status == RenewStatus::failed; });
}

int RenewSummary::exit_code() const {
  for (const auto& o : certificates)
    if (o.status == RenewStatus::failed) return dns01::exit_code(o.error_category.value_or(ErrorCategory::internal));
  return 0;
}

nlohmann::json RenewSummary::to_json() const {
  auto time_or_null = [](const std::optional<Clock::time_point>& t) {
    return t ? nlohmann::json(acme::format_rfc3339(*t)) : nlohmann::json();
  };
  nlohmann::json list = nlohmann::json::array();
  const auto now = Clock::now();
  for (const auto& o : certificates) {
    nlohmann::json j = {{"cert_name", o.cert_name},
                        {"status", to_string(o.status)},
                        {"reason", o.reason},
                        {"domains", o.domains},
                        {"not_after", o.certificate ? time_or_null(o.certificate->not_after) : nlohmann::json()},
                        {"days_left", o.certificate ? nlohmann::json(days_left(*o.certificate, now)) : nlohmann::json()},
                        {"ari", o.ari},
                        {"renewal_time", time_or_null(o.renewal_time)},
                        {"result", o.result ? *o.result : nlohmann::json()},
                        {"error", o.error}};
    list.push_back(std::move(j));
  }
  nlohmann::json j = {{"ok", ok()},
                      {"dry_run", dry_run},
                      {"force", force},
                      {"certificates", std::move(list)},
                      {"renewed_domains", renewed_domains},
                      {"failed_domains", failed_domains},
                      {"hook_errors", hook_errors}};
  if (preflight) j["preflight"] = preflight->to_json();
  for (const auto& o : certificates)
    if (o.status == RenewStatus::failed) {
      j["error"] = o.error;
      break;
    }
  return j;
}

std::string_view to_string(RenewStatus status) noexcept {
  switch (status) {
    case RenewStatus::renewed: return "renewed";
    case RenewStatus::not_due: return "not_due";
    case RenewStatus::failed: return "failed";
    case RenewStatus::dry_run: return "dry_run";
  }
  return "failed";
}

}  // namespace dns01::flow
