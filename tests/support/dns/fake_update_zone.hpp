#pragma once
// A primary server's zone for FakeDnsServer: applies DNS UPDATE messages (RFC 2136) to its
// records and serves them, checking TSIG the way BIND 9 does. Tests of UPDATE clients use it as
// the normal case and script the odd replies (BADTIME, TC, ...) around it.
//
//   UpdatableZone zone("example.test");
//   FakeDnsServer server(zone.handler());
//   server.set_tsig_key({"dns01-acme", "hmac-sha256", secret});
//   zone.require_key("dns01-acme", "hmac-sha256");
//
// Replies, as BIND 9 gives them:
//   UPDATE for another zone                   NOTAUTH, unsigned
//   unsigned UPDATE while a key is required   REFUSED
//   TSIG with an unknown key name/algorithm   NOTAUTH + TSIG error BADKEY, unsigned
//   TSIG whose MAC does not verify            NOTAUTH + TSIG error BADSIG, unsigned
//   an update RR outside the zone             NOTZONE, signed
//   otherwise                                 the changes applied, NOERROR, signed when the
//                                             request was
// Queries: SOA and TXT (and any type) from the records, AA set; NXDOMAIN/NODATA with the SOA in
// the authority section; REFUSED outside the zone. A signed query gets a signed answer (or the
// TSIG errors above), as nsupdate expects for its SOA lookup.
//
// Threading: the handler runs on the server thread; txt() and the setters may be called from
// any thread. The zone must outlive the server that uses its handler.
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dns/fake_dns_server.hpp"

namespace dns01::test {

class UpdatableZone {
 public:
  // A zone holding only its SOA (serial 1).
  explicit UpdatableZone(std::string zone);
  UpdatableZone(const UpdatableZone&) = delete;
  UpdatableZone& operator=(const UpdatableZone&) = delete;

  // The handler to give FakeDnsServer; it refers to this object.
  FakeDnsServer::Handler handler();
  DnsAction operator()(const DnsQuery& q);

  // Only UPDATEs signed with this key (name and algorithm as in DnsTsig, verified by the
  // server's key) are applied.
  void require_key(std::string key_name, std::string algorithm = "hmac-sha256");
  // Answer NOERROR to valid UPDATEs without applying them (PowerDNS with a Lua update policy
  // that refuses the change does exactly this).
  void drop_updates(bool drop);
  // Adds a record in presentation format (owner fully qualified), as if loaded from a file.
  void add(const std::string& rr);

  // The TXT values at `name` (each RR's strings concatenated), in the order added.
  std::vector<std::string> txt(const std::string& name) const;
  // How many UPDATEs were applied.
  int applied() const;

 private:
  DnsAction update(const DnsQuery& q);
  DnsAction query(const DnsQuery& q) const;
  // The unsigned NOTAUTH + BADKEY/BADSIG reply to a signed message that does not verify.
  std::optional<DnsAction> tsig_refusal(const DnsQuery& q) const;

  const std::string zone_;
  mutable std::mutex mutex_;
  std::optional<std::pair<std::string, std::string>> key_;  // name, algorithm
  bool drop_ = false;
  int applied_ = 0;
  // (owner, type) -> presentation-format RRs
  std::multimap<std::pair<std::string, std::uint16_t>, std::string> records_;
};

}  // namespace dns01::test
