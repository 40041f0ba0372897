// What an UPDATE reply means (see reply_meaning.hpp). The texts are part of the user interface:
// docs/providers/rfc2136.md lists them and providers/rfc2136/tests check them word for word.
#include "reply_meaning.hpp"

#include "ldns_handles.hpp"

namespace rfc2136 {

using dns01::provider::Status;
using dns01::provider::StatusCode;

namespace {

std::string tsig_error_name(int error) {
  switch (error) {
    case tsig_error::badsig: return "BADSIG";
    case tsig_error::badkey: return "BADKEY";
    case tsig_error::badtime: return "BADTIME";
    case tsig_error::badtrunc: return "BADTRUNC";
    default: return std::to_string(error);
  }
}

// "192.0.2.53:53 answered NOTAUTH with TSIG error BADKEY (unsigned)": every fact the reply gives.
std::string answered(const Reply& reply, const UpdateContext& c) {
  std::string out = c.server + " answered " + rcode_name(reply.rcode);
  if (reply.tsig_error) out += " with TSIG error " + tsig_error_name(reply.tsig_error);
  if (!c.key_name.empty() && !reply.verified)
    out += reply.signed_reply ? " (its signature does not verify)" : " (unsigned)";
  return out;
}

Status wrong_zone(const Reply& reply, const UpdateContext& c) {
  std::optional<std::string> real;
  if (c.find_real_zone) real = c.find_real_zone();
  if (real && *real != c.zone)
    return Status::failure(StatusCode::zone, c.step,
                           answered(reply, c) + ": the zone of " + c.name + " is " + *real +
                               ", not " + c.zone,
                           "set zone = \"" + *real + "\" in [providers." + c.instance +
                               "], or remove zone to let dns01 ask the server");
  return Status::failure(StatusCode::zone, c.step,
                         answered(reply, c) + ": it does not serve the zone " + c.zone,
                         "point server at the primary of the zone holding " + c.name +
                             ", or set zone in [providers." + c.instance + "]");
}

Status tsig_refusal(const Reply& reply, const UpdateContext& c) {
  const std::string said = answered(reply, c);
  const std::string key = "key " + c.key_name;
  switch (reply.tsig_error) {
    case tsig_error::badsig:
      return Status::failure(StatusCode::auth, c.step,
                             said + ": the server knows " + key + " but the signature does not "
                                    "match: the secret differs from the server's",
                             "copy the secret again from the server's key definition, and check "
                             "that algorithm matches it");
    case tsig_error::badkey:
      return Status::failure(StatusCode::auth, c.step,
                             said + ": the server does not accept " + key + " for zone " + c.zone +
                                 ": it knows no key of that name and algorithm, or (Knot DNS) its "
                                 "ACL does not let that key update the zone",
                             "check key_name and algorithm against the server's key definition, "
                             "and that the zone's update policy or Knot acl names the key");
    case tsig_error::badtime:
      return Status::failure(StatusCode::auth, c.step,
                             said + ": the clocks of this host and the server differ by more than "
                                    "the TSIG fudge (300 s)",
                             "synchronise the clocks of this host and of the server (NTP)");
    default:
      return Status::failure(StatusCode::auth, c.step, said,
                             "check key_name, algorithm and secret against the server's key");
  }
}

Status refused(const Reply& reply, const UpdateContext& c) {
  const std::string said = answered(reply, c);
  if (c.key_name.empty())
    return Status::failure(StatusCode::denied, c.step,
                           said + ": the server takes no unsigned updates for " + c.name +
                               " from this host",
                           "set key_name and secret_file to a TSIG key the server lets change "
                           "TXT at " + c.name);
  if (reply.verified)
    return Status::failure(StatusCode::denied, c.step,
                           said + ": its update policy does not let key " + c.key_name +
                               " change TXT " + c.name,
                           "grant the key TXT updates for _acme-challenge names (BIND "
                           "update-policy, Knot acl: see docs/providers/rfc2136.md), and check "
                           "that server is the primary");
  return Status::failure(StatusCode::auth, c.step,
                         said + ": the server did not accept key " + c.key_name +
                             " (PowerDNS refuses a wrong key name or secret this way), or it "
                             "takes no updates to zone " + c.zone + " from this host",
                         "check key_name, algorithm and secret against the server's key; for "
                         "PowerDNS, the zone's TSIG-ALLOW-DNSUPDATE metadata must name the key "
                         "and allow-dnsupdate-from this host");
}

}  // namespace

std::string rcode_name(int rcode) {
  // ldns_rcodes names the RFC 1035/2136 rcodes 0-10 ("NOERROR" ... "NOTZONE"), but spells 4
  // "NOTIMPL" where the IANA registry, dig and server logs say NOTIMP.
  if (rcode == LDNS_RCODE_NOTIMPL) return "NOTIMP";
  if (const ldns_lookup_table* entry = ldns_lookup_by_id(ldns_rcodes, rcode))
    return entry->name;
  return "rcode " + std::to_string(rcode);
}

Status meaning_of(const Reply& reply, const UpdateContext& c) {
  const bool trusted = c.key_name.empty() || reply.verified;
  if (reply.rcode == LDNS_RCODE_NOERROR && !reply.tsig_error) {
    if (trusted) return Status::success();
    // A security check: a NOERROR we cannot authenticate may come from anyone on the path.
    return Status::failure(StatusCode::auth, c.step,
                           c.server + " answered NOERROR but its reply " +
                               (reply.signed_reply ? "has a TSIG signature that does not verify"
                                                   : "is not signed") +
                               ", so nothing proves the server applied the update",
                           "check key name and secret; the reply may come from something "
                           "impersonating the server: check the network path to it");
  }
  if (reply.tsig_error) return tsig_refusal(reply, c);
  switch (reply.rcode) {
    case LDNS_RCODE_REFUSED: return refused(reply, c);
    case LDNS_RCODE_NOTAUTH:
    case LDNS_RCODE_NOTZONE: return wrong_zone(reply, c);
    case LDNS_RCODE_NOTIMPL:
      return Status::failure(StatusCode::server, c.step,
                             answered(reply, c) + ": it does not take updates for zone " + c.zone,
                             "send updates to the zone's primary server (a secondary, or a "
                             "server with updates turned off, answers NOTIMP)");
    case LDNS_RCODE_SERVFAIL:
      return Status::failure(StatusCode::server, c.step,
                             answered(reply, c) + ": it could not apply the update to zone " +
                                 c.zone,
                             "look at the server's log (zone not loaded, journal not writable)");
    case LDNS_RCODE_FORMERR:
      return Status::failure(StatusCode::server, c.step,
                             answered(reply, c) + ": it could not parse the UPDATE",
                             "look at the server's log, and report it to dns01 with that line");
    default:
      return Status::failure(StatusCode::server, c.step, answered(reply, c),
                             "look at the server's log");
  }
}

}  // namespace rfc2136
