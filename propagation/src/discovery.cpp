// CNAME following, SOA walk and NS set discovery through bootstrap servers.
#include "dns01/propagation/discovery.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "dns01/error.hpp"
#include "dns01/log.hpp"

namespace dns01::propagation {
namespace {

const Record* find(const std::vector<Record>& rrs, std::uint16_t type, std::string_view owner) {
  for (const auto& r : rrs)
    if (r.type == type && r.owner == owner) return &r;
  return nullptr;
}

std::string bootstrap_list(const std::vector<ServerAddress>& servers) {
  std::string out;
  for (const auto& s : servers) out += (out.empty() ? "" : ", ") + s.str();
  return out.empty() ? "(none)" : out;
}

}  // namespace

std::string AuthServer::label() const {
  return ns_name.empty() ? address.str() : fmt::format("{} ({})", ns_name, address.str());
}

Discovery::Discovery(Transport& transport, DiscoveryOptions options)
    : transport_(transport), options_(std::move(options)) {}

const Reply* Discovery::ask(const Question& question) {
  const auto key = std::make_pair(question.name, question.type);
  if (auto it = answers_.find(key); it != answers_.end())
    return it->second ? &*it->second : nullptr;
  std::string failures;
  std::optional<Reply> found;
  for (const auto& server : options_.bootstrap) {
    ++questions_;
    auto r = query_once(transport_, Query{server, question, options_.recursion_desired});
    std::string what;
    if (r.status == QueryResult::Status::reply) {
      if (r.reply->rcode == rcode::noerror || r.reply->rcode == rcode::nxdomain) {
        found = std::move(r.reply);
        break;
      }
      what = rcode_name(r.reply->rcode);
    } else {
      what = r.error;
    }
    Logger::global().debug("propagation", "{} {} at {}: {}", rrtype_name(question.type),
                           question.name, server.str(), what);
    failures += fmt::format("{}{}: {}", failures.empty() ? "" : "; ", server.str(), what);
  }
  failures_[key] = failures;
  auto& slot = answers_[key];
  slot = std::move(found);
  return slot ? &*slot : nullptr;
}

std::string Discovery::failures_for(const Question& question) const {
  auto it = failures_.find({question.name, question.type});
  return it == failures_.end() || it->second.empty() ? "no answer" : it->second;
}

std::string Discovery::follow_cnames(std::string_view name, std::vector<std::string>* chain) {
  std::string current = canonical_name(name);
  std::set<std::string> seen{current};
  std::vector<std::string> path{current};
  unsigned hops = 0;
  for (;;) {
    const Reply* reply = ask({current, rrtype::TXT});
    if (!reply) {
      Logger::global().debug("propagation", "no answer for {} from {}; taking it as it is",
                             current, bootstrap_list(options_.bootstrap));
      break;
    }
    // A recursive resolver returns the whole chain at once; an authoritative server stops at
    // its zones' edge, and then the rest is asked for.
    bool moved = false;
    while (const Record* cname = find(reply->answer, rrtype::CNAME, current)) {
      if (++hops > options_.max_cname_hops)
        throw PropagationError("follow CNAME", fmt::format("more than {} CNAME hops from {}",
                                                           options_.max_cname_hops, path.front()),
                               "shorten the CNAME chain of the challenge name");
      if (!seen.insert(cname->data).second)
        throw PropagationError("follow CNAME",
                               fmt::format("CNAME loop: {} -> {}", fmt::join(path, " -> "), cname->data),
                               "fix the CNAME records of the challenge name");
      current = cname->data;
      path.push_back(current);
      moved = true;
    }
    if (!moved) break;
    bool resolved_here = false;
    for (const auto& r : reply->answer)
      if (r.owner == current && r.type != rrtype::CNAME) resolved_here = true;
    // NXDOMAIN after a chain is about its end: the target does not exist (yet), which is fine.
    if (resolved_here || reply->rcode == rcode::nxdomain) break;
  }
  if (chain) *chain = path.size() > 1 ? path : std::vector<std::string>{};
  return current;
}

std::string Discovery::find_zone(std::string_view name_in) {
  const std::string name = canonical_name(name_in);
  std::vector<std::string> visited;
  std::optional<std::string> candidate = name;
  std::string failures;
  std::string zone;
  while (candidate && zone.empty()) {
    if (auto it = zones_.find(*candidate); it != zones_.end()) {
      zone = it->second;
      break;
    }
    visited.push_back(*candidate);
    const Question q{*candidate, rrtype::SOA};
    const Reply* reply = ask(q);
    if (!reply) {
      failures += fmt::format("{}{}: {}", failures.empty() ? "" : "; ", *candidate, failures_for(q));
    } else if (find(reply->answer, rrtype::SOA, *candidate)) {
      zone = *candidate;
    } else if (!find(reply->answer, rrtype::CNAME, *candidate)) {
      // NXDOMAIN/NODATA carry the SOA of the enclosing zone; a referral names the child zone.
      for (const auto& r : reply->authority)
        if ((r.type == rrtype::SOA || r.type == rrtype::NS) && is_subdomain(*candidate, r.owner)) {
          zone = r.owner;
          if (r.type == rrtype::SOA) break;
        }
    }
    if (zone.empty()) candidate = parent_name(*candidate);
  }
  if (zone.empty())
    throw PropagationError(
        "find zone", fmt::format("no SOA record found for {} or any parent through {}{}", name,
                                 bootstrap_list(options_.bootstrap),
                                 failures.empty() ? "" : " (" + failures + ")"),
        "check the name, and pass reachable resolvers with --resolver or [propagation] resolvers");
  for (const auto& v : visited) zones_[v] = zone;
  Logger::global().debug("propagation", "zone of {} is {}", name, zone);
  return zone;
}

Target Discovery::resolve(std::string_view record_name) {
  Target t;
  t.name = canonical_name(record_name);
  t.effective_name = follow_cnames(t.name, &t.cname_chain);
  t.zone = find_zone(t.effective_name);
  return t;
}

std::vector<std::string> Discovery::addresses_of(std::string_view host_in) {
  const std::string host = canonical_name(host_in);
  std::vector<std::string> out;
  for (std::uint16_t type : {rrtype::A, rrtype::AAAA}) {
    const Reply* reply = ask({host, type});
    if (!reply) continue;
    // Accept the end of a CNAME chain as well as the name itself.
    for (const auto& r : reply->answer)
      if (r.type == type) out.push_back(r.data);
  }
  return out;
}

const std::vector<AuthServer>& Discovery::authoritative_servers(std::string_view zone_in) {
  const std::string zone = canonical_name(zone_in);
  if (auto it = servers_.find(zone); it != servers_.end()) return it->second;
  const Question q{zone, rrtype::NS};
  const Reply* reply = ask(q);
  if (!reply)
    throw PropagationError("find nameservers",
                           fmt::format("no answer for the NS records of {}: {}", zone, failures_for(q)),
                           "pass reachable resolvers with --resolver, or the nameservers with --nameserver");
  std::vector<std::string> names;
  for (const auto* section : {&reply->answer, &reply->authority}) {
    for (const auto& r : *section)
      if (r.type == rrtype::NS && r.owner == zone) names.push_back(r.data);
    if (!names.empty()) break;  // the answer, else a referral's authority section
  }
  std::sort(names.begin(), names.end());  // stable order for progress lines (servers rotate RRsets)
  names.erase(std::unique(names.begin(), names.end()), names.end());
  if (names.empty())
    throw PropagationError("find nameservers", fmt::format("zone {} has no NS records", zone),
                           "check the zone's delegation");
  std::vector<AuthServer> servers;
  for (const auto& ns : names) {
    std::vector<std::string> ips;
    for (const auto& r : reply->additional)  // glue
      if ((r.type == rrtype::A || r.type == rrtype::AAAA) && r.owner == ns) ips.push_back(r.data);
    if (ips.empty()) ips = addresses_of(ns);
    if (ips.empty())
      Logger::global().warn("propagation", "nameserver {} of {} has no address; it is not checked",
                            ns, zone);
    std::set<std::string> unique;
    for (const auto& ip : ips) {
      if (!unique.insert(ip).second) continue;
      if (auto addr = make_address(ip, options_.nameserver_port))
        servers.push_back({ns, *addr});
    }
  }
  if (servers.empty())
    throw PropagationError("find nameservers",
                           fmt::format("no nameserver of {} has an address ({})", zone,
                                       fmt::format("{}", fmt::join(names, ", "))),
                           "add A/AAAA records (or glue) for the zone's nameservers");
  return servers_[zone] = std::move(servers);
}

}  // namespace dns01::propagation
