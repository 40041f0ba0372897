// DNS UPDATE and SOA exchanges with ldns (see update_client.hpp).
#include "update_client.hpp"

#include <arpa/inet.h>
#include <dns01/provider.hpp>
#include <dns01/raii.hpp>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace rfc2136 {

using dns01::provider::Failure;
using dns01::provider::StatusCode;

namespace {

// Above this size an UDP datagram risks fragmentation (the DNS flag day 2020 size): use TCP.
constexpr std::size_t kMaxUdpMessage = 1232;

bool is_ipv6(const std::string& host) {
  in6_addr a6{};
  return inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

bool is_ip(const std::string& host) {
  in_addr a4{};
  return is_ipv6(host) || inet_pton(AF_INET, host.c_str(), &a4) == 1;
}

std::uint16_t parse_port(const std::string& text) {
  if (text.empty() || text.size() > 5 || !std::all_of(text.begin(), text.end(), ::isdigit))
    throw std::invalid_argument("the port '" + text + "' is not a number from 1 to 65535");
  const long port = std::strtol(text.c_str(), nullptr, 10);
  if (port < 1 || port > 65535)
    throw std::invalid_argument("the port " + text + " is not between 1 and 65535");
  return static_cast<std::uint16_t>(port);
}

dns01::LdnsRdfPtr dname(const std::string& name) {
  std::string absolute = name;
  if (absolute.empty() || absolute.back() != '.') absolute += '.';
  dns01::LdnsRdfPtr rdf{ldns_dname_new_frm_str(absolute.c_str())};
  if (!rdf) throw Failure(StatusCode::config, "encode name", "'" + name + "' is not a DNS name");
  return rdf;
}

std::string text_of(const ldns_rdf* rdf) {
  char* raw = ldns_rdf2str(rdf);
  std::string out = raw ? raw : "";
  std::free(raw);
  if (!out.empty() && out.back() == '.') out.pop_back();
  std::transform(out.begin(), out.end(), out.begin(), ::tolower);
  return out;
}

// One TXT RR carrying `value` as a single character-string, built field by field so no value
// ever goes through ldns's zone-file parser (no quoting or escaping questions).
dns01::LdnsRrPtr txt_rr(const Change& change) {
  if (change.value.size() > 255)
    throw Failure(StatusCode::internal, "encode TXT " + change.name,
                  "a TXT character-string holds at most 255 bytes");
  dns01::LdnsRrPtr rr{ldns_rr_new()};
  ldns_rr_set_owner(rr.get(), dname(change.name).release());
  ldns_rr_set_type(rr.get(), LDNS_RR_TYPE_TXT);
  ldns_rr_set_class(rr.get(), change.add ? LDNS_RR_CLASS_IN : LDNS_RR_CLASS_NONE);
  ldns_rr_set_ttl(rr.get(), change.add ? change.ttl : 0);
  std::string data(1, static_cast<char>(change.value.size()));
  data += change.value;
  ldns_rr_push_rdf(rr.get(), ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, data.size(), data.data()));
  return rr;
}

std::size_t wire_size(const ldns_pkt* pkt) {
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  if (ldns_pkt2wire(&wire, pkt, &size) != LDNS_STATUS_OK) size = 0;
  dns01::LdnsWirePtr owner{wire};
  return size;
}

}  // namespace

std::string Server::str() const {
  return (is_ipv6(host) ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Server parse_server(const std::string& text) {
  Server server;
  if (text.empty()) throw std::invalid_argument("the server is empty");
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos) throw std::invalid_argument("'[' without ']'");
    server.host = text.substr(1, close - 1);
    const std::string rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') throw std::invalid_argument("expected ':port' after ']'");
      server.port = parse_port(rest.substr(1));
    }
    if (!is_ipv6(server.host))
      throw std::invalid_argument("'" + server.host + "' in brackets is not an IPv6 address");
    return server;
  }
  const auto colons = std::count(text.begin(), text.end(), ':');
  if (colons >= 2) {  // a bare IPv6 address, no port
    if (!is_ipv6(text))
      throw std::invalid_argument("'" + text + "' is not an IPv6 address (write [IPv6]:port)");
    server.host = text;
    return server;
  }
  server.host = text;
  if (colons == 1) {
    server.host = text.substr(0, text.find(':'));
    server.port = parse_port(text.substr(text.find(':') + 1));
  }
  const bool name_chars = std::all_of(server.host.begin(), server.host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
  if (server.host.empty() || !name_chars)
    throw std::invalid_argument("'" + server.host + "' is neither an IP address nor a host name");
  return server;
}

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
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(server_.host.c_str(), nullptr, &hints, &found);
  if (rc != 0 || !found)
    throw Failure(StatusCode::network, "resolve server " + server_.host, gai_strerror(rc),
                  "check the server name, or give its IP address");
  char text[INET6_ADDRSTRLEN] = {};
  const void* raw = found->ai_family == AF_INET6
                        ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(found->ai_addr)->sin6_addr)
                        : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr);
  inet_ntop(found->ai_family, raw, text, sizeof text);
  freeaddrinfo(found);
  return address_ = text;
}

namespace {

// A fresh resolver for one exchange: ldns marks a server that timed out as unreachable for the
// rest of a resolver's life, and a later retry must not inherit that.
dns01::LdnsResolverPtr make_resolver(const std::string& ip, std::uint16_t port, bool tcp,
                                     std::chrono::milliseconds timeout,
                                     const std::optional<TsigKey>& key) {
  dns01::LdnsResolverPtr r{ldns_resolver_new()};
  dns01::LdnsRdfPtr ns{
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

}  // namespace

Reply UpdateClient::update(const std::string& zone, const std::vector<Change>& changes) {
  const std::string step = "send UPDATE for zone " + zone + " to " + server_.str();
  dns01::LdnsRrListPtr list{ldns_rr_list_new()};
  for (const auto& change : changes) ldns_rr_list_push_rr(list.get(), txt_rr(change).release());
  // ldns_update_pkt_new takes the zone name and copies the list.
  dns01::LdnsPktPtr pkt{
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
  for (;;) {
    ldns_pkt* raw = nullptr;
    // ldns_send keeps the reply even when its TSIG does not verify (unsigned error replies),
    // so the server's rcode is never lost; the status says whether the signature held.
    const ldns_status status = ldns_send(&raw, resolver.get(), pkt.get());
    dns01::LdnsPktPtr reply{raw};
    if (!reply)
      throw Failure(StatusCode::network, step,
                    std::string("no reply over ") + (tcp ? "TCP" : "UDP") + " within " +
                        std::to_string(timeout_.count()) + " ms (" +
                        ldns_get_errorstr_by_id(status) + ")",
                    "check server and port, and that this host may reach the server; set "
                    "tcp = true if UDP is filtered, or raise timeout");
    if (ldns_pkt_id(reply.get()) != ldns_pkt_id(pkt.get()))
      throw Failure(StatusCode::server, step, "the reply does not answer our message (ID mismatch)");
    if (ldns_pkt_tc(reply.get()) && !tcp) {  // truncated: ask again over TCP
      tcp = true;
      ldns_resolver_set_usevc(resolver.get(), true);
      ldns_resolver_set_retry(resolver.get(), 1);
      continue;
    }
    Reply out;
    out.rcode = ldns_pkt_get_rcode(reply.get());
    out.tcp = tcp;
    if (const ldns_rr* tsig = ldns_pkt_tsig(reply.get())) {
      out.signed_reply = true;
      if (ldns_rr_rd_count(tsig) > 5) out.tsig_error = ldns_rdf2native_int16(ldns_rr_rdf(tsig, 5));
      out.verified = key_ && status == LDNS_STATUS_OK;
    }
    return out;
  }
}

std::optional<std::string> UpdateClient::find_zone(const std::string& name, int& rcode) {
  dns01::LdnsPktPtr query{
      ldns_pkt_query_new(dname(name).release(), LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 0)};
  if (!query) throw Failure(StatusCode::internal, "find zone", "ldns could not build the query");
  ldns_pkt_set_random_id(query.get());
  auto resolver = make_resolver(address(), server_.port, tcp_, timeout_, std::nullopt);
  ldns_pkt* raw = nullptr;
  const ldns_status status = ldns_send(&raw, resolver.get(), query.get());
  dns01::LdnsPktPtr reply{raw};
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
      if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA) return text_of(ldns_rr_owner(rr));
    }
  }
  return std::nullopt;
}

}  // namespace rfc2136
