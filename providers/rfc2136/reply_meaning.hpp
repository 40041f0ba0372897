#pragma once
// What the server's reply to an UPDATE means for the user. The wording follows only what the
// reply proves: whether it is signed and verified, its rcode, its TSIG error. Servers disagree on
// how they refuse (BIND and Knot: NOTAUTH + BADKEY for an unknown key, Knot also for an ACL
// refusal; PowerDNS: an unsigned REFUSED for a wrong key; a zone the server does not serve:
// NOTAUTH without TSIG error), so a message names every cause the reply allows.
//
// Errors: none thrown except std::bad_alloc; failures are returned as Status.
// Threading: pure, apart from calling `find_real_zone`.
#include <dns01/provider.hpp>

#include <functional>
#include <optional>
#include <string>

#include "update_client.hpp"

namespace rfc2136 {

struct UpdateContext {
  std::string step;      // "add TXT _acme-challenge.example.com"
  std::string server;    // "192.0.2.53:53"
  std::string zone;      // the zone of the UPDATE
  std::string name;      // the (first) name changed
  std::string key_name;  // empty: unsigned updates
  std::string instance;  // [providers.<instance>], for hints
  // Asks the server which zone holds `name` (nullopt when it cannot say); called only for the
  // wrong-zone replies.
  std::function<std::optional<std::string>()> find_real_zone;
};

// Status::success() when the server accepted the update and the reply can be trusted (signed
// and verified when we signed); otherwise the failure to report.
dns01::provider::Status meaning_of(const Reply& reply, const UpdateContext& context);

// "NOERROR", "NOTAUTH", ... (ldns's table), or "rcode N".
std::string rcode_name(int rcode);

}  // namespace rfc2136
