#pragma once
// A scripted DNS server on loopback for unit tests (propagation module, rfc2136 provider).
//
// It listens on UDP and TCP on one address and port and asks a handler what to do with each
// message: answer with given records and flags, drop it (to force a UDP timeout), send decoy or
// malformed datagrams first, or send raw bytes. Every message is recorded so tests can assert
// what was asked, over which transport and how often.
//
// DNS UPDATE (RFC 2136): an UPDATE reaches the handler like a query whose `name` is the zone
// (type SOA), with `opcode` 5 and the update section in `update`. With a TSIG key set
// (set_tsig_key), a signed message's TSIG is verified against it (`tsig->verified`); an action
// can sign the reply with that key (`sign`) or attach an unsigned TSIG error (`tsig_error`, the
// RFC 8945 §5.3.2 replies to BADKEY/BADSIG). UpdatableZone (fake_update_zone.hpp) is a handler
// that applies updates and serves the result, like a primary server.
//
// Threading: one server thread per instance; the handler runs on it. queries()/count() are safe
// from any thread. The destructor stops the thread and closes the sockets.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace dns01::test {

// One RR of an UPDATE's update section.
struct DnsUpdateRecord {
  std::string name;  // lower case, no trailing dot
  std::uint16_t type = 0;
  std::uint16_t rclass = 0;  // 1 IN: add; 254 NONE: delete this RR; 255 ANY: delete an RRset
  std::uint32_t ttl = 0;
  std::string rdata;  // presentation format, e.g. "\"token\"" for a TXT; empty without RDATA
};

// The TSIG RR of a message (RFC 8945).
struct DnsTsig {
  std::string key_name;   // lower case, no trailing dot
  std::string algorithm;  // lower case, no trailing dot: "hmac-sha256"
  bool verified = false;  // the MAC checks out against the server's key (same name and algorithm)
};

struct DnsQuery {
  std::string name;  // lower case, no trailing dot; for an UPDATE, the zone
  std::uint16_t type = 0;
  std::uint16_t id = 0;
  bool rd = false;
  bool tcp = false;
  int opcode = 0;  // 0 QUERY, 5 UPDATE
  std::vector<DnsUpdateRecord> update{};  // UPDATE only: the update section
  std::optional<DnsTsig> tsig{};          // present when the message carries a TSIG RR
};

// The server's TSIG key (tsig-keygen's name, algorithm and base64 secret).
struct DnsTsigKey {
  std::string name;       // "dns01-acme"
  std::string algorithm;  // "hmac-sha256" or "hmac-md5.sig-alg.reg.int" (ldns names)
  std::string secret;     // base64
};

struct DnsAction {
  bool drop = false;  // send nothing
  int rcode = 0;
  bool aa = true;
  bool tc = false;
  // Records in presentation format, e.g. "_acme-challenge.example.test. 60 IN TXT \"abc\"".
  std::vector<std::string> answer{}, authority{}, additional{};
  // Datagrams (or TCP messages) sent before the real reply: decoys with a wrong ID, garbage...
  std::vector<std::vector<std::uint8_t>> before{};
  bool wrong_id_decoy = false;      // also send a copy of the reply with ID+1 first
  bool wrong_question_decoy = false;  // also send a copy answering another name first
  std::optional<std::vector<std::uint8_t>> raw{};  // send these bytes instead of the reply
  bool wrong_id = false;  // the reply carries ID+1 (and no correct reply follows)
  bool sign = false;      // sign the reply with the server's TSIG key (the query must be signed)
  int tsig_error = 0;     // attach an unsigned TSIG RR with this error (16 BADSIG, 17 BADKEY, ...)
};

class FakeDnsServer {
 public:
  using Handler = std::function<DnsAction(const DnsQuery&)>;

  // Binds ip:port on UDP and TCP (port 0: a free port). Throws std::runtime_error when the
  // port is taken.
  explicit FakeDnsServer(Handler handler, std::string ip = "127.0.0.1", std::uint16_t port = 0);
  ~FakeDnsServer();
  FakeDnsServer(const FakeDnsServer&) = delete;
  FakeDnsServer& operator=(const FakeDnsServer&) = delete;

  const std::string& ip() const { return ip_; }
  std::uint16_t port() const { return port_; }
  std::string endpoint() const;  // "127.0.0.1:5353"

  void set_handler(Handler handler);
  // The key signed messages are verified with and replies signed with (see DnsAction::sign).
  void set_tsig_key(DnsTsigKey key);
  std::vector<DnsQuery> queries() const;
  std::size_t count(std::string_view name, std::uint16_t type,
                    std::optional<bool> tcp = std::nullopt) const;

 private:
  void run();
  std::vector<std::uint8_t> respond(const std::vector<std::uint8_t>& query, bool tcp,
                                    std::vector<std::vector<std::uint8_t>>& extra);
  void serve_tcp(int fd);

  std::string ip_;
  std::uint16_t port_ = 0;
  int udp_ = -1, tcp_ = -1, wake_[2] = {-1, -1};
  mutable std::mutex mutex_;
  Handler handler_;
  std::optional<DnsTsigKey> tsig_key_;
  std::vector<DnsQuery> queries_;
  std::thread thread_;
};

// Builds several servers on the same port at different loopback addresses (as discovered
// nameservers share the configured port). Retries with new ports when one is taken.
std::vector<std::unique_ptr<FakeDnsServer>> make_servers_on_one_port(
    const std::vector<std::string>& ips, const FakeDnsServer::Handler& handler);

// A handler serving static data: records by (name, type), NXDOMAIN with the zone's SOA in the
// authority section for names under `zone` that have no records, NODATA for names with other
// types, REFUSED outside the zone.
class StaticZone {
 public:
  explicit StaticZone(std::string zone);
  StaticZone& add(const std::string& rr);  // presentation format, owner fully qualified
  DnsAction operator()(const DnsQuery& q) const;

 private:
  std::string zone_;
  std::multimap<std::pair<std::string, std::uint16_t>, std::string> records_;
};

}  // namespace dns01::test
