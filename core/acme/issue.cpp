// issue_certificate(): order → present → wait → answer → cleanup → finalize → download.
#include <fmt/format.h>

#include "dns01/acme/csr.hpp"
#include "dns01/acme/solver.hpp"
#include "dns01/log.hpp"

namespace dns01::acme {

std::vector<Dns01Task> dns01_tasks(AcmeClient& client, const Order& order) {
  const std::string thumb = client.thumbprint();
  std::vector<Dns01Task> tasks;
  for (const auto& url : order.authorizations) {
    Authorization a = client.fetch_authorization(url);
    if (a.status == "valid") continue;  // reused authorization: nothing to prove
    const std::string who = (a.wildcard ? "*." : "") + a.identifier.value;
    if (a.status != "pending")
      throw AcmeError(fmt::format("authorize {}", who), fmt::format("the authorization is {}", a.status));
    const Challenge* c = a.find_challenge("dns-01");
    if (!c)
      throw AcmeError(fmt::format("authorize {}", who), "the CA offers no dns-01 challenge for this identifier");
    if (c->token.empty()) throw AcmeError(fmt::format("authorize {}", who), "the dns-01 challenge has no token");
    Dns01Task t;
    t.domain = a.identifier.value;
    if (t.domain.starts_with("*.")) t.domain.erase(0, 2);  // RFC 8555 §7.1.4 says no "*.", some CAs add it
    t.wildcard = a.wildcard;
    t.record_name = "_acme-challenge." + t.domain;
    t.txt_value = dns01_txt_value(key_authorization(c->token, thumb));
    t.authorization_url = url;
    t.challenge_url = c->url;
    tasks.push_back(std::move(t));
  }
  return tasks;
}

IssuedCertificate issue_certificate(AcmeClient& client, Dns01Solver& solver, const IssueRequest& r) {
  if (!r.certificate_key) throw Error(ErrorCategory::internal, "acme", "issue certificate", "no certificate key");
  IssuedCertificate out;
  Order order = client.new_order({r.names, r.profile, r.replaces});
  if (order.status == "pending") {
    const std::vector<Dns01Task> tasks = dns01_tasks(client, order);
    auto cleanup = [&] {
      try {
        solver.cleanup(tasks);
      } catch (const std::exception& e) {
        Logger::global().warn("acme", "cleanup failed: {}", e.what());
        out.cleanup_errors.emplace_back(e.what());
      }
    };
    try {
      solver.present(tasks);
      solver.wait_until_visible(tasks);
      for (const auto& t : tasks) {
        Challenge c;
        c.type = "dns-01";
        c.url = t.challenge_url;
        client.answer_challenge(c);
      }
      for (const auto& t : tasks) client.wait_authorization(t.authorization_url);
    } catch (...) {
      cleanup();
      throw;
    }
    cleanup();
  }
  order = client.wait_order_ready(order.url);
  order = client.finalize(order, make_csr(*r.certificate_key, r.names));
  out.all_chains = client.download_chains(order.certificate);
  out.chain = select_chain(out.all_chains, r.preferred_chain);
  out.order = std::move(order);
  Logger::global().info("acme", "certificate issued ({} chain(s) offered)", out.all_chains.size());
  return out;
}

}  // namespace dns01::acme
