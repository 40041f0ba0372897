#pragma once
// Where a challenge record really lives and who serves it: CNAME following, zone discovery by
// an SOA walk, and the zone's authoritative servers (NS RRset, every A and AAAA, glue first).
//
// All questions go to the bootstrap servers, tried in order: recursive resolvers (RD=1) or, in
// split-horizon setups and testbeds, authoritative servers (RD=0 works: the answers we need are
// theirs). A server that answers SERVFAIL or REFUSED, times out or fails is skipped for that
// question; the walk then goes on instead of aborting.
//
// Everything learned is cached for the life of the Discovery object (one run).
//
// Threading: one thread at a time (it drives the Transport it was given, which it does not own;
// the Transport must outlive it).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns01/propagation/message.hpp"
#include "dns01/propagation/transport.hpp"

namespace dns01::propagation {

// One address of one authoritative server.
struct AuthServer {
  std::string ns_name;    // "ns1.example.test"; empty for an explicitly configured address
  ServerAddress address;
  std::string label() const;  // "ns1.example.test (127.0.0.1:53)" or "127.0.0.1:53"
};

// A challenge record name after CNAME following.
struct Target {
  std::string name;                   // as asked, canonical
  std::string effective_name;         // where the TXT record must be written and checked
  std::vector<std::string> cname_chain;  // names passed through, `name` first; empty: no CNAME
  std::string zone;                   // zone of effective_name; empty when it could not be found
};

struct DiscoveryOptions {
  std::vector<ServerAddress> bootstrap;  // tried in order
  bool recursion_desired = true;         // RD bit for bootstrap questions
  std::uint16_t nameserver_port = 53;    // port for discovered authoritative addresses
  unsigned max_cname_hops = 16;
};

class Discovery {
 public:
  Discovery(Transport& transport, DiscoveryOptions options);

  // Follows CNAMEs from `name`. Throws PropagationError on a loop or more than max_cname_hops.
  // When no bootstrap server answers, the name is taken as it is (the zone walk will then
  // report the unreachable servers).
  std::string follow_cnames(std::string_view name, std::vector<std::string>* chain = nullptr);

  // The apex of the zone holding `name` (canonical). Walks up with SOA questions, using the
  // answer SOA, the authority SOA of NXDOMAIN/NODATA replies, or a referral's NS owner.
  // Throws PropagationError when no label up to the root gave an answer.
  std::string find_zone(std::string_view name);

  // follow_cnames + find_zone.
  Target resolve(std::string_view record_name);

  // Every address of every NS of `zone`. Throws PropagationError when the zone has no NS
  // records or none of them has an address.
  const std::vector<AuthServer>& authoritative_servers(std::string_view zone);

  // A and AAAA of a host name, through the bootstrap servers (empty when none).
  std::vector<std::string> addresses_of(std::string_view host);

  std::size_t questions_asked() const { return questions_; }

 private:
  // First usable reply (NOERROR or NXDOMAIN) from the bootstrap servers, cached.
  const Reply* ask(const Question& question);
  std::string failures_for(const Question& question) const;

  Transport& transport_;
  DiscoveryOptions options_;
  std::map<std::pair<std::string, std::uint16_t>, std::optional<Reply>> answers_;
  std::map<std::pair<std::string, std::uint16_t>, std::string> failures_;
  std::map<std::string, std::string> zones_;
  std::map<std::string, std::vector<AuthServer>> servers_;
  std::size_t questions_ = 0;
};

}  // namespace dns01::propagation
