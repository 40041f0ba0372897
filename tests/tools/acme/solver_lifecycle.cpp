// issue_certificate(): order → present → wait → answer → cleanup → finalize → download.
#include "solver_lifecycle.hpp"

#include <fmt/format.h>

#include "dns01/acme/csr.hpp"
#include "dns01/log.hpp"

namespace dns01::testing {

using namespace dns01::acme;

IssuedCertificate issue_certificate(AcmeClient& client, Dns01Solver& solver, const IssueRequest& r) {
  if (!r.certificate_key) throw Error(ErrorCategory::internal, "acme", "issue certificate", "no certificate key");
  IssuedCertificate out;
  Order order = client.new_order({r.names, r.profile, r.replaces});
  if (order.status == OrderStatus::pending) {
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

}  // namespace dns01::testing
