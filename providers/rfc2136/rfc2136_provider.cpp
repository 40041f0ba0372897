// The rfc2136 provider: settings, zone choice, and what the server's answers mean for the user.
// The DNS messages themselves are built and sent by update_client.cpp.
#include <dns01/provider.hpp>
#include <dns01/raii.hpp>  // ldns, for the rcode names

#include <algorithm>
#include <map>

#include "update_client.hpp"

namespace {

using namespace dns01::provider;
using rfc2136::Change;
using rfc2136::Reply;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), ::tolower);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

bool in_zone(const std::string& name, const std::string& zone) {
  return name == zone || (name.size() > zone.size() && name.ends_with("." + zone));
}

// The ldns wire name of a TSIG algorithm, refusing what ldns 1.8.3 cannot do.
std::string algorithm_of(const std::string& configured) {
  const std::string a = lower(configured);
  if (a == "hmac-sha256" || a == "hmac-sha512" || a == "hmac-sha1") return a + ".";
  if (a == "hmac-md5" || a == "hmac-md5.sig-alg.reg.int") return "hmac-md5.sig-alg.reg.int.";
  if (a == "hmac-sha224")
    throw Failure(StatusCode::config, "check algorithm",
                  "hmac-sha224 is not supported: ldns 1.8.3, the DNS library dns01 uses, does not "
                  "implement it",
                  "create the key with hmac-sha256 (tsig-keygen -a hmac-sha256 NAME)");
  if (a == "hmac-sha384")
    throw Failure(StatusCode::config, "check algorithm",
                  "hmac-sha384 is not supported: ldns 1.8.3, the DNS library dns01 uses, signs it "
                  "under a misspelt algorithm name, so servers answer BADKEY",
                  "create the key with hmac-sha256 or hmac-sha512");
  throw Failure(StatusCode::config, "check algorithm", "unknown TSIG algorithm '" + configured + "'",
                "use hmac-sha256 (default), hmac-sha512, hmac-sha1 or hmac-md5");
}

std::optional<rfc2136::TsigKey> key_of(const Settings& s) {
  const std::string name = s.string("key_name"), secret = s.string("secret");
  if (name.empty() && secret.empty()) return std::nullopt;
  if (name.empty())
    throw Failure(StatusCode::config, "check key_name", "a secret is set but no key_name",
                  "set key_name to the TSIG key's name on the server");
  if (secret.empty())
    throw Failure(StatusCode::config, "check secret", "key_name is set but no secret",
                  "give the TSIG secret as secret_file = \"/path\" (mode 0600)");
  const bool base64 = std::all_of(secret.begin(), secret.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=';
  });
  if (!base64 || secret.size() % 4 != 0)
    throw Failure(StatusCode::config, "check secret", "the secret is not base64 text",
                  "copy the secret \"...\" value printed by tsig-keygen, without quotes");
  return rfc2136::TsigKey{lower(name), algorithm_of(s.string("algorithm", "hmac-sha256")), secret};
}

rfc2136::UpdateClient client_of(const Settings& s) {
  rfc2136::Server server;
  try {
    server = rfc2136::parse_server(s.string("server"));
  } catch (const std::invalid_argument& e) {
    throw Failure(StatusCode::config, "check server", e.what(),
                  "write an address such as 192.0.2.53, 192.0.2.53:5353 or [2001:db8::53]:53");
  }
  const auto timeout = s.duration("timeout", std::chrono::seconds(10));
  if (timeout < std::chrono::milliseconds(100))
    throw Failure(StatusCode::config, "check timeout", "the timeout is below 100ms");
  return rfc2136::UpdateClient(server, key_of(s), timeout, s.boolean("tcp"));
}

const char* rcode_name(int rcode) {
  static const char* names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                                "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"};
  return rcode >= 0 && rcode <= 10 ? names[rcode] : "an unknown rcode";
}

class Rfc2136Provider final : public Provider {
 public:
  Rfc2136Provider(const Settings& s, Host& host)
      : host_(host), instance_(s.instance), client_(client_of(s)), zone_(lower(s.string("zone"))),
        key_name_(lower(s.string("key_name"))), ttl_(s.integer("ttl", 60)) {
    if (ttl_ < 0 || ttl_ > 86400)
      throw Failure(StatusCode::config, "check ttl", "the ttl must be between 0 and 86400 seconds");
  }

  Status add(const TxtRecord& r) noexcept override {
    return guard("add TXT " + r.name, [&] { return apply({r}, true); });
  }
  Status remove(const TxtRecord& r) noexcept override {
    return guard("remove TXT " + r.name, [&] { return apply({r}, false); });
  }
  Status add_all(const std::vector<TxtRecord>& rs) noexcept override {
    return guard("add TXT records", [&] { return apply(rs, true); });
  }
  Status remove_all(const std::vector<TxtRecord>& rs) noexcept override {
    return guard("remove TXT records", [&] { return apply(rs, false); });
  }
  Hints hints() const noexcept override {
    Hints h;
    h.default_ttl = std::chrono::seconds(ttl_);
    return h;
  }

 private:
  // One UPDATE per zone, carrying every change for that zone.
  Status apply(const std::vector<TxtRecord>& records, bool add) {
    std::map<std::string, std::vector<Change>> by_zone;
    for (const auto& r : records) {
      const auto ttl = static_cast<std::uint32_t>(r.ttl ? r.ttl : ttl_);
      by_zone[zone_for(lower(r.name))].push_back(Change{add, lower(r.name), r.value, ttl});
    }
    for (const auto& [zone, changes] : by_zone) send(zone, changes);
    return Status::success();
  }

  std::string zone_for(const std::string& name) {
    if (!zone_.empty()) {
      if (!in_zone(name, zone_)) throw Failure(wrong_zone("choose zone for " + name, name, zone_, ""));
      return zone_;
    }
    if (auto it = zones_.find(name); it != zones_.end()) return it->second;
    int rcode = 0;
    auto zone = client_.find_zone(name, rcode);
    if (!zone || !in_zone(name, *zone))
      throw Failure(StatusCode::zone, "find the zone of " + name,
                    "the server " + client_.server().str() + " has no zone holding it (SOA query: " +
                        rcode_name(rcode) + ")",
                    "set server to the primary of the zone, or set zone in [providers." +
                        instance_ + "]");
    host_.log(Severity::debug, "zone of " + name + " is " + *zone);
    return zones_[name] = *zone;
  }

  void send(const std::string& zone, const std::vector<Change>& changes) {
    const std::string what = (changes.front().add ? "add " : "remove ") +
                             (changes.size() == 1 ? "TXT " + changes.front().name
                                                  : std::to_string(changes.size()) +
                                                        " TXT records in " + zone);
    const Reply reply = client_.update(zone, changes);
    host_.log(Severity::debug, what + " at " + client_.server().str() + (reply.tcp ? " (TCP)" : "") +
                                   ": " + rcode_name(reply.rcode));
    if (reply.rcode == LDNS_RCODE_NOERROR) {
      if (key_name_.empty() || (reply.signed_reply && reply.verified)) return;
      throw Failure(StatusCode::auth, what,
                    "the server answered NOERROR but its reply " +
                        std::string(reply.signed_reply ? "failed TSIG verification"
                                                       : "was not signed"),
                    "the change may have been applied by someone impersonating the server; "
                    "check key name and secret, and the network path to the server");
    }
    throw Failure(explain(reply, zone, changes.front().name, what));
  }

  Status explain(const Reply& reply, const std::string& zone, const std::string& name,
                 const std::string& what) {
    const std::string server = client_.server().str();
    const std::string key = key_name_.empty() ? "(unsigned updates)" : "key " + key_name_;
    switch (reply.tsig_error) {
      case 16:
        return Status::failure(StatusCode::auth, what,
                               server + " rejected the TSIG signature (BADSIG)",
                               "check key name and secret: the secret differs from the server's");
      case 17:
        return Status::failure(StatusCode::auth, what,
                               server + " does not know TSIG " + key + " (BADKEY)",
                               "check key name and secret, and that algorithm matches the server's");
      case 18:
        return Status::failure(StatusCode::auth, what,
                               server + " says our time is outside the TSIG window (BADTIME)",
                               "check the clock on this machine and on the server (NTP)");
      default: break;
    }
    const std::string said = server + " answered " + rcode_name(reply.rcode);
    switch (reply.rcode) {
      case LDNS_RCODE_REFUSED:
        return Status::failure(StatusCode::denied, what,
                               said + ": its update policy does not let " + key + " change TXT " + name,
                               "grant the key TXT updates for _acme-challenge names (BIND "
                               "update-policy, Knot acl: see docs/providers/rfc2136.md), and check "
                               "that server is the primary");
      case LDNS_RCODE_NOTAUTH:
        if (!reply.signed_reply && !key_name_.empty())
          return Status::failure(StatusCode::auth, what, said + " to an unsigned error reply",
                                 "check key name and secret");
        [[fallthrough]];
      case LDNS_RCODE_NOTZONE:
        return wrong_zone(what, name, zone, said + ": ");
      case LDNS_RCODE_NOTIMPL:
        return Status::failure(StatusCode::server, what, said + ": it does not accept updates",
                               "send updates to the zone's primary server");
      case LDNS_RCODE_SERVFAIL:
        return Status::failure(StatusCode::server, what,
                               said + " (the update could not be applied)",
                               "look at the server's log (zone not loaded, journal not writable)");
      default:
        return Status::failure(StatusCode::server, what, said, "look at the server's log");
    }
  }

  // The configured zone does not hold `name`: ask the server which zone does, to say so.
  Status wrong_zone(const std::string& what, const std::string& name, const std::string& zone,
                    const std::string& said) {
    int rcode = 0;
    std::optional<std::string> real;
    try {
      real = client_.find_zone(name, rcode);
    } catch (const Failure&) {
    }
    if (real && *real != zone)
      return Status::failure(StatusCode::zone, what,
                             said + "the zone of " + name + " is " + *real + ", not " + zone,
                             "set zone = \"" + *real + "\" in [providers." + instance_ +
                                 "], or remove zone to let dns01 ask the server");
    return Status::failure(StatusCode::zone, what,
                           said + client_.server().str() + " is not authoritative for " + zone,
                           "point server at the primary of the zone holding " + name);
  }

  Host& host_;
  std::string instance_;
  rfc2136::UpdateClient client_;
  std::string zone_, key_name_;
  std::int64_t ttl_;
  std::map<std::string, std::string> zones_;  // name -> zone found by SOA
};

}  // namespace

DNS01_PROVIDER_EXPORT(Rfc2136Provider)
