// issue_options.hpp: the [acme] defaults, the domain list check, the default lineage name.
#include "dns01/flow/issue_options.hpp"

#include <fmt/format.h>

#include <set>

#include "dns01/acme/csr.hpp"
#include "dns01/error.hpp"

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

}  // namespace dns01::flow
