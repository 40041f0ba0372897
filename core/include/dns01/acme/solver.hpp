#pragma once
// The dns-01 tasks of an order: which TXT value goes under which name, and which challenge and
// authorization it answers. The lifecycle that writes, checks, answers and removes them lives in
// one place, flow/src/issue.cpp (present all → one wait → answer → clean up all).
//
// The apex and the wildcard of a name share one record name with two different values; whoever
// writes them must keep both (add one value, remove exactly one value).
#include <string>
#include <vector>

#include "dns01/acme/client.hpp"

namespace dns01::acme {

struct Dns01Task {
  std::string domain;             // identifier value, without "*."
  bool wildcard = false;          // the authorization is for "*.<domain>"
  std::string record_name;        // "_acme-challenge.<domain>" (no trailing dot)
  std::string txt_value;          // base64url(SHA-256(key authorization))
  std::string authorization_url;
  std::string challenge_url;
};

// Builds the tasks of an order's pending authorizations (dns-01 challenges); already valid
// authorizations (reused from an earlier order) are skipped. AcmeError when an authorization is
// neither pending nor valid, or offers no dns-01 challenge with a token.
std::vector<Dns01Task> dns01_tasks(AcmeClient& client, const Order& order);

}  // namespace dns01::acme
