// The pieces of issue.hpp that are not the flow itself: option defaults, domain checks, JSON.
#include <fmt/format.h>

#include <set>

#include "dns01/acme/csr.hpp"
#include "dns01/acme/documents.hpp"
#include "dns01/flow/issue.hpp"

namespace dns01::flow {

IssueOptions options_from_config(const Config& config) {
  IssueOptions o;
  o.server = config.acme.server;
  o.ca_bundle = config.acme.ca_bundle;
  o.key_type = config.acme.key_type;
  o.email = config.acme.email;
  o.agree_tos = config.acme.agree_tos;
  o.eab_kid = config.acme.eab_kid;
  o.eab_hmac_key = config.acme.eab_hmac_key;
  o.profile = config.acme.profile;
  o.preferred_chain = config.acme.preferred_chain;
  return o;
}

std::vector<std::string> normalize_domains(const std::vector<std::string>& domains) {
  if (domains.empty())
    throw UsageError("issue", "read the names", "no domain given",
                     "name each domain with -d, e.g. -d example.com -d '*.example.com'");
  if (domains.size() > 100)
    throw UsageError("issue", "read the names", fmt::format("{} names given", domains.size()),
                     "ACME CAs accept at most 100 names per certificate; split them over several --cert-name");
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& d : domains) {
    std::string n = acme::normalize_dns_name(d);  // UsageError naming the bad entry
    if (n.find('*') != std::string::npos && (!n.starts_with("*.") || n.find('*', 1) != std::string::npos))
      throw UsageError("issue", "read the names", fmt::format("'{}': a wildcard must be the whole first label", d),
                       "write it as *.example.com");
    if (seen.insert(n).second) out.push_back(std::move(n));
  }
  return out;
}

std::string default_cert_name(const std::vector<std::string>& domains) {
  if (domains.empty()) return {};
  const std::string& first = domains.front();
  return first.starts_with("*.") ? first.substr(2) : first;
}

nlohmann::json IssueResult::to_json() const {
  using nlohmann::json;
  const auto now = std::chrono::system_clock::now();
  json j;
  j["ok"] = true;
  j["status"] = status;
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
