// FakeHttpServer: threads, sockets and the scripting of replies. Framing is in fake_http_wire.cpp.
#include "fake_http_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "fake_http_wire.hpp"

namespace dns01::test {

using wire::Connection;
using wire::UniqueFd;
using wire::Wait;

std::optional<std::string> FakeRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](unsigned char a, unsigned char b) {
          return std::tolower(a) == std::tolower(b);
        }))
      return value;
  return std::nullopt;
}

FakeResponse FakeResponse::text(int status, std::string body) {
  FakeResponse r;
  r.status = status;
  r.headers = {{"Content-Type", "text/plain"}};
  r.body = std::move(body);
  return r;
}

FakeResponse FakeResponse::json(int status, std::string body) {
  FakeResponse r;
  r.status = status;
  r.headers = {{"Content-Type", "application/json"}};
  r.body = std::move(body);
  return r;
}

FakeResponse FakeResponse::redirect(int status, std::string location) {
  FakeResponse r;
  r.status = status;
  r.headers = {{"Location", std::move(location)}};
  return r;
}

FakeResponse FakeResponse::abort_connection() {
  FakeResponse r;
  r.action = Action::close_before_reply;
  return r;
}

struct FakeHttpServer::State {
  UniqueFd listener;
  UniqueFd wake_read, wake_write;  // a byte written here wakes (and stops) every thread
  std::uint16_t port = 0;

  mutable std::mutex mutex;
  Handler handler;
  std::deque<FakeResponse> queue;
  std::vector<FakeRequest> requests;
  int connections = 0;
  std::vector<std::thread> workers;
  std::thread acceptor;

  FakeResponse respond(const FakeRequest& request) {
    Handler h;
    {
      std::lock_guard lock(mutex);
      requests.push_back(request);
      h = handler;
      if (!h) {
        if (queue.empty()) return FakeResponse::text(404, "no canned response left");
        FakeResponse next = std::move(queue.front());
        queue.pop_front();
        return next;
      }
    }
    try {
      return h(request);
    } catch (const std::exception& e) {
      return FakeResponse::text(500, std::string("fake server handler threw: ") + e.what());
    }
  }

  // Serves one connection until it closes or the server stops.
  void serve(Connection conn) {
    for (;;) {
      FakeRequest request;
      try {
        if (!conn.read_request(request)) return;
      } catch (const std::exception& e) {
        FakeResponse bad = FakeResponse::text(400, e.what());
        bad.close = true;
        conn.send(wire::format_head(bad, bad.body.size()) + bad.body);
        return;
      }
      const FakeResponse response = respond(request);
      if (response.delay.count() > 0 &&
          wire::wait_fd(-1, wake_read.get(), false, response.delay) == Wait::stopped)
        return;
      if (response.action == FakeResponse::Action::close_before_reply) return;
      if (response.raw) {
        if (!conn.send(*response.raw)) return;
      } else {
        if (!conn.send(wire::format_head(response, wire::body_size(response)))) return;
        if (request.method != "HEAD" && !wire::send_body(conn, response)) return;
      }
      if (response.close || response.action == FakeResponse::Action::close_mid_body) return;
      const auto connection = request.header("Connection");
      if (connection && (*connection == "close" || *connection == "Close")) return;
    }
  }

  void accept_loop() {
    for (;;) {
      if (wire::wait_fd(listener.get(), wake_read.get(), false, std::chrono::milliseconds{-1}) !=
          Wait::ready)
        return;
      UniqueFd fd{::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC)};
      if (!fd) continue;  // EINTR, ECONNABORTED: try again
      // Head and body go out in separate writes: without NODELAY, Nagle plus the client's
      // delayed ACK would add ~40 ms to every response.
      const int one = 1;
      ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::lock_guard lock(mutex);
      const int number = ++connections;
      Connection conn(std::move(fd), wake_read.get(), number);
      workers.emplace_back([this, c = std::move(conn)]() mutable { serve(std::move(c)); });
    }
  }
};

FakeHttpServer::FakeHttpServer(Handler handler) : state_(std::make_shared<State>()) {
  State& s = *state_;
  s.handler = std::move(handler);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("fake http: pipe failed");
  s.wake_read = UniqueFd(pipe_fds[0]);
  s.wake_write = UniqueFd(pipe_fds[1]);
  s.listener = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s.listener) throw std::runtime_error("fake http: socket failed");
  const int one = 1;
  ::setsockopt(s.listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // ephemeral
  socklen_t len = sizeof addr;
  if (::bind(s.listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(s.listener.get(), 64) != 0 ||
      ::getsockname(s.listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error(std::string("fake http: cannot listen on 127.0.0.1: ") +
                             std::strerror(errno));
  s.port = ntohs(addr.sin_port);
  s.acceptor = std::thread([&s] { s.accept_loop(); });
}

FakeHttpServer::~FakeHttpServer() {
  State& s = *state_;
  const char byte = 'x';
  while (::write(s.wake_write.get(), &byte, 1) < 0 && errno == EINTR) {
  }
  if (s.acceptor.joinable()) s.acceptor.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(s.mutex);
    workers.swap(s.workers);
  }
  for (auto& t : workers) t.join();
}

void FakeHttpServer::set_handler(Handler handler) {
  std::lock_guard lock(state_->mutex);
  state_->handler = std::move(handler);
}

void FakeHttpServer::enqueue(FakeResponse response) {
  std::lock_guard lock(state_->mutex);
  state_->queue.push_back(std::move(response));
}

std::uint16_t FakeHttpServer::port() const { return state_->port; }

std::string FakeHttpServer::base_url() const {
  return "http://127.0.0.1:" + std::to_string(state_->port);
}

std::string FakeHttpServer::url(std::string_view path) const {
  std::string out = base_url();
  if (path.empty() || path.front() != '/') out += '/';
  out += path;
  return out;
}

std::vector<FakeRequest> FakeHttpServer::requests() const {
  std::lock_guard lock(state_->mutex);
  return state_->requests;
}

std::size_t FakeHttpServer::request_count() const {
  std::lock_guard lock(state_->mutex);
  return state_->requests.size();
}

int FakeHttpServer::connections() const {
  std::lock_guard lock(state_->mutex);
  return state_->connections;
}

void FakeHttpServer::clear_requests() {
  std::lock_guard lock(state_->mutex);
  state_->requests.clear();
}

}  // namespace dns01::test
