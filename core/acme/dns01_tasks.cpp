// dns01_tasks(): the pending authorizations of an order → the TXT records that answer them.
#include <fmt/format.h>

#include "dns01/acme/solver.hpp"

namespace dns01::acme {

std::vector<Dns01Task> dns01_tasks(AcmeClient& client, const Order& order) {
  const std::string thumb = client.thumbprint();
  std::vector<Dns01Task> tasks;
  for (const auto& url : order.authorizations) {
    Authorization a = client.fetch_authorization(url);
    if (a.status == AuthorizationStatus::valid) continue;  // reused authorization: nothing to prove
    const std::string who = (a.wildcard ? "*." : "") + a.identifier.value;
    if (a.status != AuthorizationStatus::pending)
      throw AcmeError(fmt::format("authorize {}", who), fmt::format("the authorization is {}", to_string(a.status)));
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

}  // namespace dns01::acme
