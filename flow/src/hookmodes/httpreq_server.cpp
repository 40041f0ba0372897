// The minimal HTTP/1.1 server behind `dns01 serve-httpreq` (see the header for its limits).
#include "dns01/flow/hookmodes/httpreq_server.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "dns01/error.hpp"
#include "dns01/log.hpp"

namespace dns01::flow {
namespace {

using Steady = std::chrono::steady_clock;

const char* reason(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    default: return "Error";
  }
}

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

int remaining_ms(Steady::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 60000));
}

// Waits for `events` on fd until the deadline; false on timeout or error.
bool wait_fd(int fd, short events, Steady::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int ms = remaining_ms(deadline);
    if (ms == 0) return false;
    int n = ::poll(&p, 1, ms);
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

void send_all(int fd, std::string_view data, Steady::time_point deadline) {
  while (!data.empty()) {
    if (!wait_fd(fd, POLLOUT, deadline)) return;
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

void respond(int fd, const ServerResponse& r, Steady::time_point deadline) {
  std::string out = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
      r.status, reason(r.status), r.content_type, r.body.size());
  out += r.body;
  send_all(fd, out, deadline);
}

// After answering a request whose body was not read (413, 411, ...): stop sending, then read
// and drop what the client still sends for a moment, so closing does not reset the connection
// before the client has read our answer.
void linger_close(int fd) {
  ::shutdown(fd, SHUT_WR);
  const auto deadline = Steady::now() + std::chrono::seconds(1);
  char sink[4096];
  std::size_t drained = 0;
  while (drained < (1u << 20) && wait_fd(fd, POLLIN, deadline)) {
    ssize_t n = ::recv(fd, sink, sizeof sink, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    drained += static_cast<std::size_t>(n);
  }
}

ServerResponse error_response(int status, const std::string& message) {
  return {status, nlohmann::json{{"ok", false}, {"error", message}}.dump() + "\n", "application/json"};
}

}  // namespace

std::optional<ServerRequest> parse_request_head(std::string_view head, std::string* why) {
  auto fail = [&](std::string text) -> std::optional<ServerRequest> {
    if (why) *why = std::move(text);
    return std::nullopt;
  };
  ServerRequest req;
  auto eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  head = eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 2);
  auto sp1 = line.find(' ');
  auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return fail("malformed request line");
  req.method = std::string(line.substr(0, sp1));
  req.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  const auto version = line.substr(sp2 + 1);
  if (req.method.empty() || !std::all_of(req.method.begin(), req.method.end(), is_token_char))
    return fail("malformed method");
  if (req.target.empty() || req.target.front() != '/' ||
      std::any_of(req.target.begin(), req.target.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; }))
    return fail("malformed request target");
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return fail("not HTTP/1.x");
  while (!head.empty()) {
    eol = head.find("\r\n");
    line = head.substr(0, eol);
    head = eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 2);
    if (line.empty()) continue;
    if (line.front() == ' ' || line.front() == '\t') return fail("folded header line");
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return fail("malformed header line");
    std::string name(line.substr(0, colon));
    if (!std::all_of(name.begin(), name.end(), is_token_char)) return fail("malformed header name");
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string value = trim(line.substr(colon + 1));
    if (std::any_of(value.begin(), value.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; }))
      return fail("malformed header value");
    auto [it, inserted] = req.headers.emplace(name, value);
    if (!inserted) {
      // Two differing Content-Length headers are a request-smuggling classic: refuse.
      if (name == "content-length" && it->second != value) return fail("conflicting Content-Length");
      it->second += ", " + value;
    }
  }
  return req;
}

HttpServer::HttpServer(const Endpoint& listen) : host_(listen.host) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  std::string host = listen.host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(listen.port);
    len = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(listen.port);
    len = sizeof(sockaddr_in6);
    v6_ = true;
  } else {
    throw UsageError("serve-httpreq", "read --listen", fmt::format("'{}' is not an IP address", listen.host),
                     "listen on an address literal, e.g. 127.0.0.1:8080 or [::1]:8080");
  }
  host_ = host;
  // Non-blocking listener: a connection reset between poll() and accept() must not block us.
  fd_ = UniqueFd(::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  const auto where = fmt::format("{}:{}", listen.host, listen.port);
  if (!fd_) throw NetworkError("serve-httpreq", "create socket", std::strerror(errno));
  int one = 1;
  ::setsockopt(fd_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0)
    throw NetworkError("serve-httpreq", fmt::format("listen on {}", where), std::strerror(errno),
                       "pick a free port and an address configured on this host");
  if (::listen(fd_.get(), 16) != 0)
    throw NetworkError("serve-httpreq", fmt::format("listen on {}", where), std::strerror(errno));
  if (::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&ss), &len) == 0)
    port_ = ntohs(v6_ ? v6->sin6_port : v4->sin_port);
}

std::string HttpServer::address() const {
  return v6_ ? fmt::format("[{}]:{}", host_, port_) : fmt::format("{}:{}", host_, port_);
}

void HttpServer::serve(const std::function<ServerResponse(const ServerRequest&)>& handler,
                       const std::function<bool()>& stop, const HttpServerLimits& limits) {
  while (!(stop && stop())) {
    pollfd p{fd_.get(), POLLIN, 0};
    int n = ::poll(&p, 1, 200);
    if (n <= 0) continue;  // timeout or EINTR (a signal: stop() says whether to end)
    UniqueFd client(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!client) continue;
    handle(client.get(), handler, limits);
    linger_close(client.get());
  }
}

void HttpServer::handle(int fd, const std::function<ServerResponse(const ServerRequest&)>& handler,
                        const HttpServerLimits& limits) {
  const auto deadline = Steady::now() + limits.read_timeout;
  std::string buffer;
  std::size_t head_end = std::string::npos;
  char chunk[4096];
  // Reads until `done` says enough; false on timeout, EOF or error.
  auto read_more = [&]() -> bool {
    if (!wait_fd(fd, POLLIN, deadline)) return false;
    ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
    if (got < 0 && errno == EINTR) return true;
    if (got <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(got));
    return true;
  };
  const auto reply_deadline = [] { return Steady::now() + std::chrono::seconds(5); };
  while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
    if (buffer.size() > limits.max_header_bytes)
      return respond(fd, error_response(431, "request head too large"), reply_deadline());
    if (!read_more()) {
      if (!buffer.empty()) respond(fd, error_response(408, "incomplete request"), reply_deadline());
      return;
    }
  }
  if (head_end > limits.max_header_bytes)
    return respond(fd, error_response(431, "request head too large"), reply_deadline());
  std::string why;
  auto req = parse_request_head(std::string_view(buffer).substr(0, head_end), &why);
  if (!req) return respond(fd, error_response(400, why), reply_deadline());
  if (req->headers.count("transfer-encoding"))
    return respond(fd, error_response(501, "chunked request bodies are not supported: send Content-Length"),
                   reply_deadline());
  std::size_t length = 0;
  if (auto it = req->headers.find("content-length"); it != req->headers.end()) {
    const auto& text = it->second;
    if (text.empty() || text.size() > 12 ||
        !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }))
      return respond(fd, error_response(400, "malformed Content-Length"), reply_deadline());
    length = std::stoull(text);
  } else if (req->method == "POST" || req->method == "PUT") {
    return respond(fd, error_response(411, "Content-Length required"), reply_deadline());
  }
  if (length > limits.max_body_bytes)
    return respond(fd, error_response(413, fmt::format("body larger than {} bytes", limits.max_body_bytes)),
                   reply_deadline());
  if (auto it = req->headers.find("expect"); it != req->headers.end() && buffer.size() == head_end + 4)
    send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n", deadline);
  buffer.erase(0, head_end + 4);
  while (buffer.size() < length)
    if (!read_more()) return respond(fd, error_response(408, "incomplete body"), reply_deadline());
  buffer.resize(length);  // anything after the body (pipelining) is ignored: one request only
  req->body = std::move(buffer);
  ServerResponse response;
  try {
    response = handler(*req);
  } catch (const std::exception& e) {
    response = error_response(500, Redactor::global().apply(e.what()));
  }
  respond(fd, response, reply_deadline());
}

}  // namespace dns01::flow
