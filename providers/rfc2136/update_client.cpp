// DNS UPDATE and query exchanges with ldns (see update_client.hpp).
#include "update_client.hpp"

#include <arpa/inet.h>
#include <dns01/kit/names.hpp>
#include <dns01/provider.hpp>
#include <netdb.h>
#include <sys/socket.h>

#include "ldns_handles.hpp"

namespace rfc2136 {

using dns01::provider::Failure;
using dns01::provider::StatusCode;

namespace {

// Above this size an UDP datagram risks fragmentation (the DNS flag day 2020 size): use TCP.
constexpr std::size_t kMaxUdpMessage = 1232;
// RFC 1035 §3.3.14: a TXT character-string is one length octet and at most 255 bytes.
constexpr std::size_t kMaxCharacterString = 255;
// TSIG RDATA fields (RFC 8945 §4.2) as ldns numbers the rdfs of a TSIG RR.
constexpr std::size_t kTsigMacField = 3;
constexpr std::size_t kTsigErrorField = 5;

LdnsRdfPtr dname(const std::string& name) {
  std::string absolute = name;
  if (absolute.empty() || absolute.back() != '.') absolute += '.';
  LdnsRdfPtr rdf{ldns_dname_new_frm_str(absolute.c_str())};
  if (!rdf) throw Failure(StatusCode::config, "encode name", "'" + name + "' is not a DNS name");
  return rdf;
}

// One TXT RR carrying `value` as a single character-string, built field by field so no value
// ever goes through ldns's zone-file parser (no quoting or escaping questions).
LdnsRrPtr txt_rr(const Change& change) {
  if (change.value.size() > kMaxCharacterString)
    throw Failure(StatusCode::internal, "encode TXT " + change.name,
                  "a TXT character-string holds at most 255 bytes");
  LdnsRrPtr rr{ldns_rr_new()};
  std::string data(1, static_cast<char>(change.value.size()));
  data += change.value;
  LdnsRdfPtr rdata{ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, data.size(), data.data())};
  if (!rr || !rdata)
    throw Failure(StatusCode::internal, "encode TXT " + change.name, "ldns is out of memory");
  ldns_rr_set_owner(rr.get(), dname(change.name).release());
  ldns_rr_set_type(rr.get(), LDNS_RR_TYPE_TXT);
  ldns_rr_set_class(rr.get(), change.add ? LDNS_RR_CLASS_IN : LDNS_RR_CLASS_NONE);
  ldns_rr_set_ttl(rr.get(), change.add ? change.ttl : 0);
  ldns_rr_push_rdf(rr.get(), rdata.release());
  return rr;
}

std::size_t wire_size(const ldns_pkt* pkt) {
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  if (ldns_pkt2wire(&wire, pkt, &size) != LDNS_STATUS_OK) size = 0;
  LdnsWirePtr owner{wire};
  return size;
}

// A fresh resolver for one exchange: ldns marks a server that timed out as unreachable for the
// rest of a resolver's life, and a later retry must not inherit that.
LdnsResolverPtr make_resolver(const std::string& ip, std::uint16_t port, bool tcp,
                              std::chrono::milliseconds timeout,
                              const std::optional<TsigKey>& key) {
  LdnsResolverPtr r{ldns_resolver_new()};
  LdnsRdfPtr ns{
      ldns_rdf_new_frm_str(is_ipv6(ip) ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, ip.c_str())};
  if (!r || !ns || ldns_resolver_push_nameserver(r.get(), ns.get()) != LDNS_STATUS_OK)
    throw Failure(StatusCode::internal, "prepare resolver", "ldns could not use " + ip);
  ldns_resolver_set_port(r.get(), port);
  ldns_resolver_set_usevc(r.get(), tcp);
  ldns_resolver_set_random(r.get(), false);
  // UDP: two tries of half the timeout each (a lost datagram is retried); TCP: one try.
  ldns_resolver_set_retry(r.get(), tcp ? 1 : 2);
  const auto per_try = tcp ? timeout : timeout / 2;
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(per_try.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((per_try.count() % 1000) * 1000);
  ldns_resolver_set_timeout(r.get(), tv);
  if (key) {
    ldns_resolver_set_tsig_keyname(r.get(), key->name.c_str());
    ldns_resolver_set_tsig_algorithm(r.get(), key->algorithm.c_str());
    ldns_resolver_set_tsig_keydata(r.get(), key->secret.c_str());
  }
  return r;
}

// Sends `pkt` and returns the reply (null when none came), asking again over TCP when a UDP
// reply is truncated. ldns_send keeps the reply even when its TSIG does not verify (unsigned
// error replies), so the server's rcode is never lost; `status` says whether the signature held.
LdnsPktPtr exchange(ldns_resolver* resolver, const ldns_pkt* pkt, bool& tcp, ldns_status& status) {
  for (;;) {
    ldns_pkt* raw = nullptr;
    status = ldns_send(&raw, resolver, pkt);
    LdnsPktPtr reply{raw};
    if (!reply || !ldns_pkt_tc(reply.get()) || tcp) return reply;
    tcp = true;
    ldns_resolver_set_usevc(resolver, true);
    ldns_resolver_set_retry(resolver, 1);
  }
}

}  // namespace

UpdateClient::UpdateClient(Server server, std::optional<TsigKey> key,
                           std::chrono::milliseconds timeout, bool tcp)
    : server_(std::move(server)), key_(std::move(key)), timeout_(timeout), tcp_(tcp) {}

std::string UpdateClient::address() {
  if (!address_.empty()) return address_;
  if (is_ip(server_.host)) return address_ = server_.host;
  // Only getaddrinfo: the server's name comes from the administrator's hosts/DNS setup.
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* raw = nullptr;
  const int rc = getaddrinfo(server_.host.c_str(), nullptr, &hints, &raw);
  AddrinfoPtr found{raw};
  if (rc != 0 || !found)
    throw Failure(StatusCode::network, "resolve server " + server_.host, gai_strerror(rc),
                  "check the server name, or give its IP address");
  char text[INET6_ADDRSTRLEN] = {};
  const void* addr =
      found->ai_family == AF_INET6
          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(found->ai_addr)->sin6_addr)
          : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr);
  if (!inet_ntop(found->ai_family, addr, text, sizeof text))
    throw Failure(StatusCode::network, "resolve server " + server_.host,
                  "getaddrinfo returned an address that cannot be printed",
                  "give the server's IP address");
  return address_ = text;
}

Reply UpdateClient::update(const std::string& zone, const std::vector<Change>& changes) {
  const std::string step = "send UPDATE for zone " + zone + " to " + server_.str();
  LdnsRrListPtr list{ldns_rr_list_new()};
  if (!list) throw Failure(StatusCode::internal, step, "ldns is out of memory");
  for (const auto& change : changes) ldns_rr_list_push_rr(list.get(), txt_rr(change).release());
  // ldns_update_pkt_new takes the zone name and copies the list.
  LdnsPktPtr pkt{
      ldns_update_pkt_new(dname(zone).release(), LDNS_RR_CLASS_IN, nullptr, list.get(), nullptr)};
  if (!pkt) throw Failure(StatusCode::internal, step, "ldns could not build the UPDATE");
  ldns_pkt_set_rd(pkt.get(), false);  // set by ldns_update_pkt_new, meaningless in an UPDATE
  ldns_pkt_set_random_id(pkt.get());
  bool tcp = tcp_ || wire_size(pkt.get()) > kMaxUdpMessage;

  auto resolver = make_resolver(address(), server_.port, tcp, timeout_, key_);
  if (key_) {
    const ldns_status signed_status = ldns_update_pkt_tsig_add(pkt.get(), resolver.get());
    if (signed_status != LDNS_STATUS_OK)
      throw Failure(StatusCode::config, "sign UPDATE with TSIG key " + key_->name,
                    ldns_get_errorstr_by_id(signed_status),
                    "check algorithm and that the secret is the base64 text tsig-keygen printed");
  }
  ldns_status status = LDNS_STATUS_OK;
  const LdnsPktPtr reply = exchange(resolver.get(), pkt.get(), tcp, status);
  if (!reply)
    throw Failure(StatusCode::network, step,
                  std::string("no reply over ") + (tcp ? "TCP" : "UDP") + " within " +
                      std::to_string(timeout_.count()) + " ms (" +
                      ldns_get_errorstr_by_id(status) + ")",
                  "check server and port, and that this host may reach the server; set "
                  "tcp = true if UDP is filtered, or raise timeout");
  if (ldns_pkt_id(reply.get()) != ldns_pkt_id(pkt.get()))
    throw Failure(StatusCode::server, step,
                  "the reply does not answer our message (ID mismatch)",
                  "something between this host and the server answers in its place; try "
                  "tcp = true");
  Reply out;
  out.rcode = ldns_pkt_get_rcode(reply.get());
  out.tcp = tcp;
  if (const ldns_rr* tsig = ldns_pkt_tsig(reply.get())) {
    out.has_tsig = true;
    if (ldns_rr_rd_count(tsig) > kTsigErrorField)
      out.tsig_error = ldns_rdf2native_int16(ldns_rr_rdf(tsig, kTsigErrorField));
    // An unsigned TSIG error reply (RFC 8945 §5.3.2) has a TSIG RR with an empty MAC; the MAC
    // field is a length-prefixed rdf, so "empty" is a size of 2 (the length alone).
    const ldns_rdf* mac = ldns_rr_rd_count(tsig) > kTsigMacField
                              ? ldns_rr_rdf(tsig, kTsigMacField)
                              : nullptr;
    out.signed_reply = mac && ldns_rdf_size(mac) > 2;
    out.verified = out.signed_reply && key_ && status == LDNS_STATUS_OK;
  }
  return out;
}

std::optional<std::string> UpdateClient::find_zone(const std::string& name, int& rcode) {
  LdnsPktPtr query{
      ldns_pkt_query_new(dname(name).release(), LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 0)};
  if (!query) throw Failure(StatusCode::internal, "find zone", "ldns could not build the query");
  ldns_pkt_set_random_id(query.get());
  auto resolver = make_resolver(address(), server_.port, tcp_, timeout_, std::nullopt);
  bool tcp = tcp_;
  ldns_status status = LDNS_STATUS_OK;
  const LdnsPktPtr reply = exchange(resolver.get(), query.get(), tcp, status);
  if (!reply)
    throw Failure(StatusCode::network, "find the zone of " + name + " at " + server_.str(),
                  std::string("no reply to the SOA query (") + ldns_get_errorstr_by_id(status) +
                      ")",
                  "check server and port, or set zone explicitly");
  rcode = ldns_pkt_get_rcode(reply.get());
  if (ldns_pkt_id(reply.get()) != ldns_pkt_id(query.get())) return std::nullopt;
  if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) return std::nullopt;
  for (const ldns_rr_list* section : {ldns_pkt_answer(reply.get()), ldns_pkt_authority(reply.get())}) {
    for (std::size_t i = 0; section && i < ldns_rr_list_rr_count(section); ++i) {
      const ldns_rr* rr = ldns_rr_list_rr(section, i);
      if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA)
        return dns01::kit::normalize_name(rdf_text(ldns_rr_owner(rr)));
    }
  }
  return std::nullopt;
}

std::optional<TxtAnswer> UpdateClient::query_txt(const std::string& name,
                                                 std::chrono::milliseconds timeout) {
  LdnsPktPtr query{
      ldns_pkt_query_new(dname(name).release(), LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, 0)};
  if (!query) throw Failure(StatusCode::internal, "query TXT", "ldns could not build the query");
  ldns_pkt_set_random_id(query.get());
  auto resolver = make_resolver(address(), server_.port, tcp_, timeout, std::nullopt);
  bool tcp = tcp_;
  ldns_status status = LDNS_STATUS_OK;
  const LdnsPktPtr reply = exchange(resolver.get(), query.get(), tcp, status);
  if (!reply || ldns_pkt_id(reply.get()) != ldns_pkt_id(query.get())) return std::nullopt;
  TxtAnswer out;
  out.rcode = ldns_pkt_get_rcode(reply.get());
  out.authoritative = ldns_pkt_aa(reply.get());
  const ldns_rr_list* answer = ldns_pkt_answer(reply.get());
  for (std::size_t i = 0; answer && i < ldns_rr_list_rr_count(answer); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(answer, i);
    if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TXT ||
        dns01::kit::normalize_name(rdf_text(ldns_rr_owner(rr))) != name)
      continue;
    std::string value;
    for (std::size_t f = 0; f < ldns_rr_rd_count(rr); ++f) {
      const ldns_rdf* rdf = ldns_rr_rdf(rr, f);
      // A character-string rdf is its length octet followed by the bytes.
      if (ldns_rdf_size(rdf) > 0)
        value.append(reinterpret_cast<const char*>(ldns_rdf_data(rdf)) + 1, ldns_rdf_size(rdf) - 1);
    }
    out.values.push_back(std::move(value));
  }
  return out;
}

}  // namespace rfc2136
