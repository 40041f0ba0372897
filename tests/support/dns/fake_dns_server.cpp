// Scripted loopback DNS server (UDP + TCP) for the propagation unit tests.
#include "dns/fake_dns_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <random>
#include <stdexcept>
#include <utility>

#include "dns01/raii.hpp"

namespace dns01::test {
namespace {

std::string lower_no_dot(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  while (s.size() > 1 && s.back() == '.') s.pop_back();
  return s;
}

std::string rdf_str(const ldns_rdf* rdf) {
  char* s = ldns_rdf2str(rdf);
  std::string out = s ? s : "";
  LDNS_FREE(s);
  return out;
}

LdnsRrPtr parse_rr(const std::string& text) {
  LdnsRrPtr rr;
  if (ldns_rr_new_frm_str(out_ptr(rr), text.c_str(), 60, nullptr, nullptr) != LDNS_STATUS_OK)
    throw std::runtime_error("fake dns: bad record: " + text);
  return rr;
}

// TSIG RDATA fields as ldns numbers the rdfs of a TSIG RR (RFC 8945 §4.2).
constexpr std::size_t kTsigAlgorithm = 0, kTsigMac = 3;
// The fudge BIND uses, in seconds.
constexpr std::uint16_t kTsigFudge = 300;

std::vector<DnsUpdateRecord> update_section(const ldns_pkt* pkt) {
  std::vector<DnsUpdateRecord> out;
  const ldns_rr_list* list = ldns_pkt_authority(pkt);  // the update section (RFC 2136 §2.5)
  for (std::size_t i = 0; list && i < ldns_rr_list_rr_count(list); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(list, i);
    DnsUpdateRecord record{lower_no_dot(rdf_str(ldns_rr_owner(rr))),
                           static_cast<std::uint16_t>(ldns_rr_get_type(rr)),
                           static_cast<std::uint16_t>(ldns_rr_get_class(rr)), ldns_rr_ttl(rr), ""};
    for (std::size_t f = 0; f < ldns_rr_rd_count(rr); ++f)
      record.rdata += (f ? " " : "") + rdf_str(ldns_rr_rdf(rr, f));
    out.push_back(std::move(record));
  }
  return out;
}

// An unsigned TSIG RR carrying only an error (RFC 8945 §5.3.2: the reply to a request whose key
// is unknown or whose MAC is wrong has an empty MAC), in the layout ldns's signer uses.
LdnsRrPtr tsig_error_rr(const std::string& key_name, const std::string& algorithm,
                        std::uint16_t original_id, int error) {
  LdnsRrPtr rr{ldns_rr_new()};
  LdnsRdfPtr owner{ldns_dname_new_frm_str((key_name + ".").c_str())};
  LdnsRdfPtr alg{ldns_dname_new_frm_str((algorithm + ".").c_str())};
  std::uint8_t now[6] = {};
  auto seconds = static_cast<std::uint64_t>(::time(nullptr));
  for (int i = 5; i >= 0; --i, seconds >>= 8) now[i] = static_cast<std::uint8_t>(seconds & 0xff);
  LdnsRdfPtr time_signed{ldns_rdf_new_frm_data(LDNS_RDF_TYPE_TSIGTIME, sizeof now, now)};
  if (!rr || !owner || !alg || !time_signed) throw std::runtime_error("fake dns: ldns out of memory");
  ldns_rr_set_owner(rr.get(), owner.release());
  ldns_rr_set_type(rr.get(), LDNS_RR_TYPE_TSIG);
  ldns_rr_set_class(rr.get(), LDNS_RR_CLASS_ANY);
  ldns_rr_set_ttl(rr.get(), 0);
  ldns_rr_push_rdf(rr.get(), alg.release());
  ldns_rr_push_rdf(rr.get(), time_signed.release());
  ldns_rr_push_rdf(rr.get(), ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, kTsigFudge));
  ldns_rr_push_rdf(rr.get(), ldns_native2rdf_int16_data(0, nullptr));  // MAC: empty
  ldns_rr_push_rdf(rr.get(), ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, original_id));
  ldns_rr_push_rdf(rr.get(), ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16,
                                                   static_cast<std::uint16_t>(error)));
  ldns_rr_push_rdf(rr.get(), ldns_native2rdf_int16_data(0, nullptr));  // other data: none
  return rr;
}

std::vector<std::uint8_t> to_wire(const ldns_pkt* pkt) {
  std::uint8_t* raw = nullptr;
  std::size_t size = 0;
  if (ldns_pkt2wire(&raw, pkt, &size) != LDNS_STATUS_OK) return {};
  LdnsWirePtr owner{raw};
  return std::vector<std::uint8_t>(raw, raw + size);
}

bool read_all(int fd, std::uint8_t* p, std::size_t n) {
  while (n) {
    ssize_t r = ::recv(fd, p, n, 0);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

void write_msg(int fd, const std::vector<std::uint8_t>& msg) {
  std::vector<std::uint8_t> out{static_cast<std::uint8_t>(msg.size() >> 8),
                                static_cast<std::uint8_t>(msg.size() & 0xff)};
  out.insert(out.end(), msg.begin(), msg.end());
  (void)::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
}

}  // namespace

FakeDnsServer::FakeDnsServer(Handler handler, std::string ip, std::uint16_t port)
    : ip_(std::move(ip)), handler_(std::move(handler)) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (inet_pton(AF_INET, ip_.c_str(), &addr.sin_addr) != 1)
    throw std::runtime_error("fake dns: bad address " + ip_);
  // With port 0 the kernel picks a free UDP port, which may be taken on TCP (e.g. by a client
  // connection's ephemeral port): then try again with another one.
  for (int attempt = 0; attempt < (port ? 1 : 50); ++attempt) {
    for (int* fd : {&udp_, &tcp_})
      if (*fd >= 0) ::close(std::exchange(*fd, -1));
    addr.sin_port = htons(port);
    udp_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    tcp_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(tcp_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(udp_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) continue;
    socklen_t len = sizeof addr;
    ::getsockname(udp_, reinterpret_cast<sockaddr*>(&addr), &len);
    if (::bind(tcp_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) continue;
    if (::listen(tcp_, 16) != 0) continue;
    port_ = ntohs(addr.sin_port);
    break;
  }
  if (port_ == 0 || ::pipe2(wake_, O_CLOEXEC) != 0) {
    for (int fd : {udp_, tcp_})
      if (fd >= 0) ::close(fd);
    throw std::runtime_error("fake dns: cannot listen on " + ip_ + ":" + std::to_string(port));
  }
  thread_ = std::thread([this] { run(); });
}

FakeDnsServer::~FakeDnsServer() {
  (void)!::write(wake_[1], "x", 1);
  if (thread_.joinable()) thread_.join();
  for (int fd : {udp_, tcp_, wake_[0], wake_[1]}) if (fd >= 0) ::close(fd);
}

std::string FakeDnsServer::endpoint() const { return ip_ + ":" + std::to_string(port_); }

void FakeDnsServer::set_handler(Handler handler) {
  std::lock_guard lock(mutex_);
  handler_ = std::move(handler);
}

std::vector<DnsQuery> FakeDnsServer::queries() const {
  std::lock_guard lock(mutex_);
  return queries_;
}

std::size_t FakeDnsServer::count(std::string_view name, std::uint16_t type,
                                 std::optional<bool> tcp) const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(std::count_if(queries_.begin(), queries_.end(), [&](const DnsQuery& q) {
    return q.name == name && q.type == type && (!tcp || q.tcp == *tcp);
  }));
}

void FakeDnsServer::set_tsig_key(DnsTsigKey key) {
  std::lock_guard lock(mutex_);
  key.name = lower_no_dot(key.name);
  key.algorithm = lower_no_dot(key.algorithm);
  tsig_key_ = std::move(key);
}

std::vector<std::uint8_t> FakeDnsServer::respond(const std::vector<std::uint8_t>& wire, bool tcp,
                                                 std::vector<std::vector<std::uint8_t>>& extra) {
  LdnsPktPtr query;
  if (ldns_wire2pkt(out_ptr(query), wire.data(), wire.size()) != LDNS_STATUS_OK) return {};
  const ldns_rr_list* qs = ldns_pkt_question(query.get());
  if (!qs || ldns_rr_list_rr_count(qs) != 1) return {};
  const ldns_rr* qrr = ldns_rr_list_rr(qs, 0);
  DnsQuery q{lower_no_dot(rdf_str(ldns_rr_owner(qrr))),
             static_cast<std::uint16_t>(ldns_rr_get_type(qrr)), ldns_pkt_id(query.get()),
             ldns_pkt_rd(query.get()), tcp};
  q.opcode = static_cast<int>(ldns_pkt_get_opcode(query.get()));
  if (q.opcode == LDNS_PACKET_UPDATE) q.update = update_section(query.get());
  Handler handler;
  std::optional<DnsTsigKey> key;
  {
    std::lock_guard lock(mutex_);
    handler = handler_;
    key = tsig_key_;
  }
  const ldns_rr* tsig = ldns_pkt_tsig(query.get());
  if (tsig && ldns_rr_rd_count(tsig) > kTsigMac) {
    q.tsig = DnsTsig{lower_no_dot(rdf_str(ldns_rr_owner(tsig))),
                     lower_no_dot(rdf_str(ldns_rr_rdf(tsig, kTsigAlgorithm))), false};
    // ldns verifies the MAC only (no time window), under the key name we give it.
    q.tsig->verified = key && key->name == q.tsig->key_name && key->algorithm == q.tsig->algorithm &&
                       ldns_pkt_tsig_verify(query.get(), wire.data(), wire.size(),
                                            (key->name + ".").c_str(), key->secret.c_str(), nullptr);
  }
  {
    std::lock_guard lock(mutex_);
    queries_.push_back(q);
  }
  DnsAction action = handler ? handler(q) : DnsAction{.rcode = 5};
  if (action.drop) return {};
  extra = action.before;
  if (action.raw) return *action.raw;

  auto build = [&](std::uint16_t id, const ldns_rr* question) {
    LdnsPktPtr r{ldns_pkt_new()};
    ldns_pkt_set_id(r.get(), id);
    ldns_pkt_set_qr(r.get(), true);
    ldns_pkt_set_opcode(r.get(), static_cast<ldns_pkt_opcode>(q.opcode));
    ldns_pkt_set_aa(r.get(), action.aa);
    ldns_pkt_set_tc(r.get(), action.tc);
    ldns_pkt_set_rd(r.get(), q.rd);
    ldns_pkt_set_rcode(r.get(), static_cast<std::uint8_t>(action.rcode));
    ldns_pkt_push_rr(r.get(), LDNS_SECTION_QUESTION, ldns_rr_clone(question));
    for (auto [section, list] : {std::pair{LDNS_SECTION_ANSWER, &action.answer},
                                 std::pair{LDNS_SECTION_AUTHORITY, &action.authority},
                                 std::pair{LDNS_SECTION_ADDITIONAL, &action.additional}})
      for (const auto& text : *list) ldns_pkt_push_rr(r.get(), section, parse_rr(text).release());
    if (action.tsig_error) {
      const std::string name = q.tsig ? q.tsig->key_name : key ? key->name : "unknown-key";
      const std::string algorithm = q.tsig ? q.tsig->algorithm : "hmac-sha256";
      ldns_pkt_set_tsig(r.get(), tsig_error_rr(name, algorithm, q.id, action.tsig_error).release());
    } else if (action.sign) {
      if (!key || !tsig) throw std::runtime_error("fake dns: sign needs a key and a signed query");
      // The reply's MAC covers the request's MAC (RFC 8945 §5.3).
      if (ldns_pkt_tsig_sign(r.get(), (key->name + ".").c_str(), key->secret.c_str(), kTsigFudge,
                             (key->algorithm + ".").c_str(),
                             ldns_rr_rdf(tsig, kTsigMac)) != LDNS_STATUS_OK)
        throw std::runtime_error("fake dns: cannot sign the reply");
    }
    return to_wire(r.get());
  };
  if (action.wrong_id_decoy)
    extra.push_back(build(static_cast<std::uint16_t>(q.id + 1), qrr));
  if (action.wrong_question_decoy) {
    LdnsRrPtr other{ldns_rr_clone(qrr)};
    LdnsRdfPtr owner{ldns_dname_new_frm_str("decoy.invalid.")};
    ldns_rdf_deep_free(ldns_rr_owner(other.get()));
    ldns_rr_set_owner(other.get(), owner.release());
    extra.push_back(build(q.id, other.get()));
  }
  return build(action.wrong_id ? static_cast<std::uint16_t>(q.id + 1) : q.id, qrr);
}

void FakeDnsServer::serve_tcp(int fd) {
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::uint8_t len[2];
  if (!read_all(fd, len, 2)) return;
  std::vector<std::uint8_t> msg((std::size_t{len[0]} << 8) | len[1]);
  if (!read_all(fd, msg.data(), msg.size())) return;
  std::vector<std::vector<std::uint8_t>> extra;
  auto reply = respond(msg, true, extra);
  for (const auto& e : extra) write_msg(fd, e);
  if (!reply.empty()) write_msg(fd, reply);
}

void FakeDnsServer::run() {
  std::vector<std::uint8_t> buf(65535);
  for (;;) {
    pollfd fds[3] = {{udp_, POLLIN, 0}, {tcp_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) continue;
    if (fds[2].revents) return;
    if (fds[0].revents & POLLIN) {
      sockaddr_storage from{};
      socklen_t from_len = sizeof from;
      ssize_t n = ::recvfrom(udp_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from),
                             &from_len);
      if (n > 0) {
        std::vector<std::vector<std::uint8_t>> extra;
        auto reply = respond(std::vector<std::uint8_t>(buf.begin(), buf.begin() + n), false, extra);
        for (const auto& e : extra)
          ::sendto(udp_, e.data(), e.size(), 0, reinterpret_cast<sockaddr*>(&from), from_len);
        if (!reply.empty())
          ::sendto(udp_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from),
                   from_len);
      }
    }
    if (fds[1].revents & POLLIN) {
      int fd = ::accept4(tcp_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        serve_tcp(fd);
        ::close(fd);
      }
    }
  }
}

std::vector<std::unique_ptr<FakeDnsServer>> make_servers_on_one_port(
    const std::vector<std::string>& ips, const FakeDnsServer::Handler& handler) {
  std::mt19937 rng(std::random_device{}());
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto port = static_cast<std::uint16_t>(20000 + rng() % 40000);
    std::vector<std::unique_ptr<FakeDnsServer>> out;
    try {
      for (const auto& ip : ips) out.push_back(std::make_unique<FakeDnsServer>(handler, ip, port));
      return out;
    } catch (const std::runtime_error&) {
    }
  }
  throw std::runtime_error("fake dns: no free common port");
}

StaticZone::StaticZone(std::string zone) : zone_(lower_no_dot(std::move(zone))) {}

StaticZone& StaticZone::add(const std::string& text) {
  auto rr = parse_rr(text);
  records_.emplace(std::make_pair(lower_no_dot(rdf_str(ldns_rr_owner(rr.get()))),
                                  static_cast<std::uint16_t>(ldns_rr_get_type(rr.get()))),
                   text);
  return *this;
}

DnsAction StaticZone::operator()(const DnsQuery& q) const {
  DnsAction a;
  const bool inside = q.name == zone_ || (q.name.size() > zone_.size() &&
                                          q.name.ends_with("." + zone_));
  if (!inside) return DnsAction{.rcode = 5, .aa = false};
  auto [b, e] = records_.equal_range({q.name, q.type});
  for (auto it = b; it != e; ++it) a.answer.push_back(it->second);
  if (a.answer.empty() && q.type != 5) {
    auto [cb, ce] = records_.equal_range({q.name, std::uint16_t{5}});
    for (auto it = cb; it != ce; ++it) a.answer.push_back(it->second);
  }
  if (!a.answer.empty()) return a;
  bool name_exists = std::any_of(records_.begin(), records_.end(),
                                 [&](const auto& kv) { return kv.first.first == q.name; });
  if (!name_exists) a.rcode = 3;
  auto [sb, se] = records_.equal_range({zone_, std::uint16_t{6}});
  for (auto it = sb; it != se; ++it) a.authority.push_back(it->second);
  return a;
}

}  // namespace dns01::test
