#pragma once
// Many DNS queries in flight at once, in one poll() loop, without threads.
//
// Each query gets its own non-blocking socket (so the kernel picks a random source port) and a
// random 16-bit ID. UDP comes first, with EDNS0; the query falls back to TCP when the UDP reply
// is truncated (TC), when UDP times out, and when UDP fails (ICMP port unreachable, ...).
// A UDP datagram is accepted only from the server the socket is connected to, and only when it
// parses and matches the ID and the question; anything else is ignored (counted, and the last
// reason kept) and the query keeps waiting.
//
// Threading: a Transport is used by one thread at a time. Callbacks run inside run_once() on that
// thread and may start new queries.
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "dns01/propagation/message.hpp"

namespace dns01::propagation {

using Clock = std::chrono::steady_clock;

// An IP address and port. Built only from IP literals: names are never resolved here.
struct ServerAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  std::string ip;         // "127.0.0.1", "::1"
  std::uint16_t port = 53;
  std::string str() const;  // "127.0.0.1:53", "[::1]:53"
};
// nullopt when `ip` is not an IPv4 or IPv6 literal.
std::optional<ServerAddress> make_address(std::string_view ip, std::uint16_t port);

struct TransportOptions {
  std::chrono::milliseconds udp_timeout{800};   // then TCP
  std::chrono::milliseconds tcp_timeout{2500};  // connect + send + receive
  std::uint16_t edns_udp_size = 1232;           // advertised; bigger answers come over TCP
};

struct Query {
  ServerAddress server;
  Question question;
  bool recursion_desired = false;
};

struct QueryResult {
  enum class Status { reply, timeout, error };
  Status status = Status::error;
  std::optional<Reply> reply;  // set when status == reply
  bool tcp = false;            // the reply (or the last attempt) came over TCP
  std::chrono::microseconds rtt{0};  // from the first packet sent to the final event
  std::string error;           // "udp: timeout after 800 ms; tcp: connection refused"
  unsigned ignored = 0;        // datagrams ignored (malformed, wrong ID or question)
  std::string last_ignored;    // why the last one was ignored
  // Why UDP gave way to TCP, if it did. A rate-limiting server (BIND's RRL, ...) drops replies
  // (a UDP timeout) or "slips" an empty truncated one; the Checker slows down on timeouts.
  bool udp_timed_out = false;
  bool truncated = false;
};

class Transport {
 public:
  using Callback = std::function<void(const QueryResult&)>;

  explicit Transport(TransportOptions options = {});
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Sends the query now (or records the failure to, delivered by the next run_once()).
  // Throws PropagationError only for a question that cannot be encoded.
  void start(const Query& query, Callback done);

  // Waits for socket events until `until` (or until something finished) and runs the callbacks
  // of the queries that completed, timed out or failed.
  void run_once(Clock::time_point until);

  // Drops every query in flight without calling its callback (their sockets are closed).
  void cancel_all();

  std::size_t active() const { return exchanges_.size(); }
  // Packets written so far (UDP datagrams and TCP messages), for the benchmark.
  std::size_t packets_sent() const { return packets_sent_; }
  const TransportOptions& options() const { return options_; }

 private:
  struct Exchange;
  void finish(std::uint64_t key, QueryResult result);
  void start_tcp(std::uint64_t key, Exchange& ex, Clock::time_point now);
  void on_udp_readable(std::uint64_t key, Exchange& ex, Clock::time_point now);
  void on_tcp_event(std::uint64_t key, Exchange& ex, short revents, Clock::time_point now);
  void on_deadline(std::uint64_t key, Exchange& ex, Clock::time_point now);

  TransportOptions options_;
  std::map<std::uint64_t, std::unique_ptr<Exchange>> exchanges_;
  std::vector<std::pair<Callback, QueryResult>> completed_;
  std::uint64_t next_key_ = 1;
  std::size_t packets_sent_ = 0;
};

// Runs one query to completion on `transport` (used by discovery, which is sequential).
QueryResult query_once(Transport& transport, const Query& query);

// Whether this host has a route to `server` (a UDP connect(), which sends nothing). False on
// e.g. ENETUNREACH for IPv6 addresses on a host without IPv6 connectivity.
bool routable(const ServerAddress& server);

// A random 16-bit query ID from the OpenSSL CSPRNG.
std::uint16_t random_query_id();

}  // namespace dns01::propagation
