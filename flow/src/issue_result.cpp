// IssueResult::to_json: the `dns01 issue --json` object.
#include <fmt/format.h>

#include "dns01/acme/documents.hpp"
#include "dns01/flow/issue_result.hpp"

namespace dns01::flow {

std::string_view to_string(IssueStatus status) noexcept {
  switch (status) {
    case IssueStatus::issued: return "issued";
    case IssueStatus::dry_run: return "dry_run";
    case IssueStatus::not_due: return "not_due";
  }
  return "issued";
}

nlohmann::json IssueResult::to_json() const {
  using nlohmann::json;
  const auto now = std::chrono::system_clock::now();
  json j;
  j["ok"] = true;
  j["status"] = to_string(status);
  j["reason"] = reason;
  j["cert_name"] = cert_name;
  j["domains"] = domains;
  j["directory_url"] = directory_url;
  j["dry_run"] = dry_run;
  j["version"] = version;
  j["paths"] = dry_run ? json(nullptr)
                       : json{{"live_dir", paths.live_dir.string()},
                              {"cert", paths.cert.string()},
                              {"chain", paths.chain.string()},
                              {"fullchain", paths.fullchain.string()},
                              {"privkey", paths.privkey.string()}};
  j["certificate"] = {{"serial", certificate.serial},
                      {"subject_cn", certificate.subject_cn},
                      {"issuer_cn", certificate.issuer_cn},
                      {"dns_names", certificate.dns_names},
                      {"key_type", certificate.key_type},
                      {"not_before", acme::format_rfc3339(certificate.not_before)},
                      {"not_after", acme::format_rfc3339(certificate.not_after)},
                      {"days_left", days_left(certificate, now)}};
  j["records"] = json::array();
  for (const auto& r : records)
    j["records"].push_back({{"label", r.label},
                            {"record_name", r.record_name},
                            {"effective_name", r.effective_name},
                            {"zone", r.zone},
                            {"provider", r.provider}});
  j["reused_authorizations"] = reused_authorizations;
  j["deactivated_authorizations"] = deactivated_authorizations;
  j["stale_records_removed"] = stale_records_removed;
  j["cleanup_errors"] = cleanup_errors;
  j["hook_errors"] = hook_errors;
  j["dns_queries"] = dns_queries;
  j["timings_ms"] = {{"setup", timings.setup},     {"order", timings.order},
                     {"present", timings.present}, {"propagation", timings.propagation},
                     {"validation", timings.validation}, {"cleanup", timings.cleanup},
                     {"finalize", timings.finalize}, {"store", timings.store},
                     {"hooks", timings.hooks},     {"total", timings.total}};
  return j;
}

}  // namespace dns01::flow
