// Non-blocking UDP/TCP DNS exchanges multiplexed with poll().
#include "dns01/propagation/transport.hpp"
#include "dns01/raii.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <poll.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

#include "dns01/error.hpp"

namespace dns01::propagation {
namespace {

using Fd = UniqueFd;

std::string errno_text(int err) { return std::strerror(err); }

Fd open_socket(const ServerAddress& server, int type) {
  return Fd(::socket(server.storage.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
}

std::string ms_text(std::chrono::milliseconds ms) { return fmt::format("{} ms", ms.count()); }

}  // namespace

std::string ServerAddress::str() const {
  return storage.ss_family == AF_INET6 ? fmt::format("[{}]:{}", ip, port)
                                       : fmt::format("{}:{}", ip, port);
}

std::optional<ServerAddress> make_address(std::string_view ip_text, std::uint16_t port) {
  ServerAddress a;
  std::string ip(ip_text);
  if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a.length = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    a.length = sizeof(sockaddr_in6);
  } else {
    return std::nullopt;
  }
  a.ip = ip;
  a.port = port;
  return a;
}

bool routable(const ServerAddress& server) {
  Fd fd = open_socket(server, SOCK_DGRAM);
  if (fd.get() < 0) return false;
  return ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&server.storage), server.length) == 0;
}

std::uint16_t random_query_id() {
  std::uint16_t id = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&id), sizeof id) != 1) {
    std::random_device rd;  // getrandom(2); only used if the OpenSSL DRBG failed
    id = static_cast<std::uint16_t>(rd());
  }
  return id;
}

struct Transport::Exchange {
  enum class Phase { udp, tcp_connect, tcp_write, tcp_read };
  Query query;
  Callback done;
  std::uint16_t id = 0;
  std::vector<std::uint8_t> wire;
  Phase phase = Phase::udp;
  Fd fd;
  Clock::time_point started, deadline;
  std::string udp_error;
  std::vector<std::uint8_t> out;  // TCP: length-prefixed query
  std::size_t out_done = 0;
  std::vector<std::uint8_t> in;   // TCP: 2-byte length, then the message
  std::size_t in_done = 0;
  bool have_length = false;
  unsigned ignored = 0;
  std::string last_ignored;
  bool udp_timed_out = false, truncated = false;
};

Transport::Transport(TransportOptions options) : options_(options) {}
Transport::~Transport() = default;

void Transport::start(const Query& query, Callback done) {
  auto ex = std::make_unique<Exchange>();
  ex->query = query;
  ex->done = std::move(done);
  ex->id = random_query_id();
  ex->wire = build_query(query.question, ex->id,
                         QueryOptions{query.recursion_desired, options_.edns_udp_size});
  const auto now = Clock::now();
  ex->started = now;
  ex->deadline = now + options_.udp_timeout;
  const std::uint64_t key = next_key_++;
  Exchange& e = *ex;
  exchanges_.emplace(key, std::move(ex));

  // A connected UDP socket: the kernel drops datagrams from other sources and reports ICMP
  // errors (port unreachable) on the next recv().
  e.fd = open_socket(query.server, SOCK_DGRAM);
  if (e.fd.get() < 0) {
    e.udp_error = errno_text(errno);
  } else if (::connect(e.fd.get(), reinterpret_cast<const sockaddr*>(&query.server.storage),
                       query.server.length) != 0) {
    e.udp_error = errno_text(errno);
  } else if (::send(e.fd.get(), e.wire.data(), e.wire.size(), MSG_NOSIGNAL) < 0) {
    e.udp_error = errno_text(errno);
  } else {
    ++packets_sent_;
    return;
  }
  start_tcp(key, e, now);
}

void Transport::start_tcp(std::uint64_t key, Exchange& ex, Clock::time_point now) {
  ex.phase = Exchange::Phase::tcp_connect;
  ex.deadline = now + options_.tcp_timeout;
  ex.out.clear();
  ex.out.push_back(static_cast<std::uint8_t>(ex.wire.size() >> 8));
  ex.out.push_back(static_cast<std::uint8_t>(ex.wire.size() & 0xff));
  ex.out.insert(ex.out.end(), ex.wire.begin(), ex.wire.end());
  ex.out_done = 0;
  ex.in.assign(2, 0);
  ex.in_done = 0;
  ex.have_length = false;
  ex.fd = open_socket(ex.query.server, SOCK_STREAM);
  if (ex.fd.get() >= 0 &&
      (::connect(ex.fd.get(), reinterpret_cast<const sockaddr*>(&ex.query.server.storage),
                 ex.query.server.length) == 0 ||
       errno == EINPROGRESS))
    return;  // completion is reported by POLLOUT
  QueryResult r;
  r.status = QueryResult::Status::error;
  r.tcp = true;
  r.error = fmt::format("udp: {}; tcp: {}", ex.udp_error, errno_text(errno));
  finish(key, std::move(r));
}

void Transport::finish(std::uint64_t key, QueryResult result) {
  auto it = exchanges_.find(key);
  if (it == exchanges_.end()) return;
  Exchange& ex = *it->second;
  result.rtt = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - ex.started);
  result.ignored = ex.ignored;
  result.last_ignored = ex.last_ignored;
  result.udp_timed_out = ex.udp_timed_out;
  result.truncated = ex.truncated;
  completed_.emplace_back(std::move(ex.done), std::move(result));
  exchanges_.erase(it);
}

void Transport::on_udp_readable(std::uint64_t key, Exchange& ex, Clock::time_point now) {
  std::vector<std::uint8_t> buf(65535);
  for (;;) {
    ssize_t n = ::recv(ex.fd.get(), buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      ex.udp_error = errno_text(errno);  // e.g. ICMP port unreachable → "Connection refused"
      start_tcp(key, ex, now);
      return;
    }
    std::string why;
    auto reply = parse_reply(std::span(buf.data(), static_cast<std::size_t>(n)), &why);
    if (!reply) {
      ++ex.ignored;
      ex.last_ignored = "malformed reply: " + why;
      continue;
    }
    if (!reply_matches(*reply, ex.id, ex.query.question)) {
      ++ex.ignored;
      ex.last_ignored = "reply with a wrong ID or question";
      continue;
    }
    if (reply->tc) {
      ex.udp_error = "truncated";
      ex.truncated = true;
      start_tcp(key, ex, now);
      return;
    }
    QueryResult r;
    r.status = QueryResult::Status::reply;
    r.reply = std::move(reply);
    finish(key, std::move(r));
    return;
  }
}

void Transport::on_tcp_event(std::uint64_t key, Exchange& ex, short revents, Clock::time_point) {
  auto fail = [&](std::string why) {
    QueryResult r;
    r.status = QueryResult::Status::error;
    r.tcp = true;
    r.error = fmt::format("udp: {}; tcp: {}", ex.udp_error, why);
    finish(key, std::move(r));
  };
  if (ex.phase == Exchange::Phase::tcp_connect) {
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(ex.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) return fail(errno_text(err));
    if (!(revents & POLLOUT)) return fail("connection failed");
    ex.phase = Exchange::Phase::tcp_write;
  }
  if (ex.phase == Exchange::Phase::tcp_write) {
    ssize_t n = ::send(ex.fd.get(), ex.out.data() + ex.out_done, ex.out.size() - ex.out_done,
                       MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      return fail(errno_text(errno));
    }
    ex.out_done += static_cast<std::size_t>(n);
    if (ex.out_done < ex.out.size()) return;
    ++packets_sent_;
    ex.phase = Exchange::Phase::tcp_read;
    return;
  }
  // tcp_read
  for (;;) {
    ssize_t n = ::recv(ex.fd.get(), ex.in.data() + ex.in_done, ex.in.size() - ex.in_done, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      return fail(errno_text(errno));
    }
    if (n == 0) return fail("connection closed before a complete reply");
    ex.in_done += static_cast<std::size_t>(n);
    if (ex.in_done < ex.in.size()) continue;
    if (!ex.have_length) {
      const std::size_t length = (std::size_t{ex.in[0]} << 8) | ex.in[1];
      if (length < 12) return fail(fmt::format("reply of {} bytes is too short", length));
      ex.have_length = true;
      ex.in.assign(length, 0);
      ex.in_done = 0;
      continue;
    }
    std::string why;
    auto reply = parse_reply(ex.in, &why);
    if (!reply) return fail("malformed reply: " + why);
    // Over TCP nobody else can inject a reply, so a mismatch is a broken server, not noise.
    if (!reply_matches(*reply, ex.id, ex.query.question))
      return fail("reply with a wrong ID or question");
    QueryResult r;
    r.status = QueryResult::Status::reply;
    r.tcp = true;
    r.reply = std::move(reply);
    return finish(key, std::move(r));
  }
}

void Transport::on_deadline(std::uint64_t key, Exchange& ex, Clock::time_point now) {
  if (ex.phase == Exchange::Phase::udp) {
    ex.udp_error = "timeout after " + ms_text(options_.udp_timeout);
    ex.udp_timed_out = true;
    if (ex.ignored) ex.udp_error += " (ignored: " + ex.last_ignored + ")";
    start_tcp(key, ex, now);
    return;
  }
  QueryResult r;
  r.status = QueryResult::Status::timeout;
  r.tcp = true;
  r.error = fmt::format("udp: {}; tcp: timeout after {}", ex.udp_error, ms_text(options_.tcp_timeout));
  finish(key, std::move(r));
}

void Transport::run_once(Clock::time_point until) {
  auto deliver = [this] {
    auto done = std::move(completed_);
    completed_.clear();
    for (auto& [cb, result] : done)
      if (cb) cb(result);
    return !done.empty();
  };
  if (deliver()) return;

  std::vector<pollfd> fds;
  std::vector<std::uint64_t> keys;
  Clock::time_point wake = until;
  for (auto& [key, ex] : exchanges_) {
    wake = std::min(wake, ex->deadline);
    short events = 0;
    switch (ex->phase) {
      case Exchange::Phase::udp:
      case Exchange::Phase::tcp_read: events = POLLIN; break;
      case Exchange::Phase::tcp_connect:
      case Exchange::Phase::tcp_write: events = POLLOUT; break;
    }
    fds.push_back({ex->fd.get(), events, 0});
    keys.push_back(key);
  }
  auto now = Clock::now();
  int timeout_ms = 0;
  if (wake > now) {
    // Round up so a deadline 0.4 ms away does not become a busy loop of poll(0).
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(wake - now).count();
    timeout_ms = static_cast<int>(std::min<long long>((us + 999) / 1000, 60'000));
  }
  int ready = ::poll(fds.data(), fds.size(), timeout_ms);
  now = Clock::now();
  if (ready > 0) {
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      auto it = exchanges_.find(keys[i]);
      if (it == exchanges_.end()) continue;
      Exchange& ex = *it->second;
      if (ex.phase == Exchange::Phase::udp)
        on_udp_readable(keys[i], ex, now);
      else
        on_tcp_event(keys[i], ex, fds[i].revents, now);
    }
  }
  // Deadlines after the socket work, so a reply that arrived in time is never lost to a timeout.
  std::vector<std::uint64_t> expired;
  for (auto& [key, ex] : exchanges_)
    if (ex->deadline <= now) expired.push_back(key);
  for (auto key : expired) {
    auto it = exchanges_.find(key);
    if (it != exchanges_.end()) on_deadline(key, *it->second, now);
  }
  deliver();
}

void Transport::cancel_all() {
  exchanges_.clear();
  completed_.clear();
}

QueryResult query_once(Transport& transport, const Query& query) {
  std::optional<QueryResult> result;
  transport.start(query, [&](const QueryResult& r) { result = r; });
  while (!result) transport.run_once(Clock::now() + std::chrono::seconds(1));
  return *result;
}

}  // namespace dns01::propagation
