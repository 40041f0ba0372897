// HTTP/1.1 framing for FakeHttpServer: just enough of RFC 9112 to talk to libcurl, strict about
// sizes so a test bug cannot make it buffer without bound.
#include "fake_http_wire.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <stdexcept>

namespace dns01::test::wire {

namespace {
constexpr std::size_t kMaxHead = 64 * 1024;        // request line + headers
constexpr std::size_t kMaxBody = 16 * 1024 * 1024; // request body

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

bool has_header(const FakeHeaders& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return iequals(h.first, name); });
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
  }
}
}  // namespace

Wait wait_fd(int fd, int wake_fd, bool write, std::chrono::milliseconds timeout) {
  pollfd fds[2] = {{fd, static_cast<short>(write ? POLLOUT : POLLIN), 0}, {wake_fd, POLLIN, 0}};
  const int nfds = fd >= 0 ? 2 : 1;
  pollfd* first = fd >= 0 ? fds : fds + 1;
  for (;;) {
    const int rc = ::poll(first, static_cast<nfds_t>(nfds), static_cast<int>(timeout.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0 || fds[1].revents) return Wait::stopped;
    if (rc == 0) return Wait::timeout;
    return Wait::ready;
  }
}

bool Connection::fill() {
  if (wait_fd(fd_.get(), wake_, false, std::chrono::milliseconds{-1}) != Wait::ready) return false;
  char chunk[16 * 1024];
  ssize_t n;
  do {
    n = ::recv(fd_.get(), chunk, sizeof chunk, 0);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return false;
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

bool Connection::read_line(std::string& line) {
  std::size_t end;
  while ((end = buffer_.find("\r\n")) == std::string::npos) {
    if (buffer_.size() > kMaxHead) throw std::invalid_argument("line too long");
    if (!fill()) return false;
  }
  line = buffer_.substr(0, end);
  buffer_.erase(0, end + 2);
  return true;
}

bool Connection::read_exact(std::size_t n, std::string& out) {
  while (buffer_.size() < n)
    if (!fill()) return false;
  out.append(buffer_, 0, n);
  buffer_.erase(0, n);
  return true;
}

bool Connection::read_chunked(std::string& body) {
  for (;;) {
    std::string line;
    if (!read_line(line)) return false;
    const std::size_t size = std::stoul(line.substr(0, line.find(';')), nullptr, 16);
    if (body.size() + size > kMaxBody) throw std::invalid_argument("chunked body too large");
    if (size == 0) {  // trailer section up to an empty line
      do {
        if (!read_line(line)) return false;
      } while (!line.empty());
      return true;
    }
    std::string crlf;
    if (!read_exact(size, body) || !read_exact(2, crlf)) return false;
    if (crlf != "\r\n") throw std::invalid_argument("bad chunk terminator");
  }
}

bool Connection::read_request(FakeRequest& out) {
  out = FakeRequest{};
  out.connection = number_;
  std::string line;
  do {  // tolerate stray CRLF between requests (RFC 9112 §2.2)
    if (!read_line(line)) return false;
  } while (line.empty());
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = line.rfind(' ');
  if (sp1 == std::string::npos || sp2 == sp1) throw std::invalid_argument("bad request line");
  out.method = line.substr(0, sp1);
  out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::size_t q = out.target.find('?');
  out.path = out.target.substr(0, q);
  if (q != std::string::npos) out.query = out.target.substr(q + 1);
  std::size_t head_size = line.size();
  for (;;) {
    if (!read_line(line)) return false;
    if (line.empty()) break;
    head_size += line.size();
    if (head_size > kMaxHead) throw std::invalid_argument("headers too large");
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) throw std::invalid_argument("bad header line");
    out.headers.emplace_back(std::string(trim(std::string_view(line).substr(0, colon))),
                             std::string(trim(std::string_view(line).substr(colon + 1))));
  }
  if (auto te = out.header("Transfer-Encoding"); te && iequals(*te, "chunked"))
    return read_chunked(out.body);
  if (auto cl = out.header("Content-Length")) {
    const std::size_t size = std::stoul(*cl);
    if (size > kMaxBody) throw std::invalid_argument("body too large");
    return read_exact(size, out.body);
  }
  return true;
}

bool Connection::send(std::string_view data) {
  while (!data.empty()) {
    if (wait_fd(fd_.get(), wake_, true, std::chrono::milliseconds{-1}) != Wait::ready)
      return false;
    const ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::size_t body_size(const FakeResponse& r) {
  return r.stream_body_size ? r.stream_body_size : r.body.size();
}

std::string format_head(const FakeResponse& r, std::size_t size) {
  std::string head = "HTTP/1.1 " + std::to_string(r.status) + " " +
                     (r.reason.empty() ? reason_phrase(r.status) : r.reason) + "\r\n";
  for (const auto& [name, value] : r.headers) head += name + ": " + value + "\r\n";
  if (r.chunked) {
    if (!has_header(r.headers, "Transfer-Encoding")) head += "Transfer-Encoding: chunked\r\n";
  } else if (!has_header(r.headers, "Content-Length")) {
    head += "Content-Length: " + std::to_string(size) + "\r\n";
  }
  if (r.close && !has_header(r.headers, "Connection")) head += "Connection: close\r\n";
  return head + "\r\n";
}

namespace {
// The body bytes [from, to) of a response, generated when streamed.
std::string body_slice(const FakeResponse& r, std::size_t from, std::size_t to) {
  if (r.stream_body_size) return std::string(to - from, 'x');
  return r.body.substr(from, to - from);
}
}  // namespace

bool send_body(Connection& conn, const FakeResponse& r) {
  std::size_t total = body_size(r);
  if (r.action == FakeResponse::Action::close_mid_body) total /= 2;
  const std::size_t step = r.chunked ? std::max<std::size_t>(r.chunk_size, 1) : 64 * 1024;
  for (std::size_t pos = 0; pos < total; pos += step) {
    const std::size_t end = std::min(total, pos + step);
    std::string piece = body_slice(r, pos, end);
    if (r.chunked) {
      char size_hex[32];
      std::snprintf(size_hex, sizeof size_hex, "%zx\r\n", piece.size());
      piece = size_hex + piece + "\r\n";
    }
    if (!conn.send(piece)) return false;
  }
  if (r.chunked && r.action != FakeResponse::Action::close_mid_body) return conn.send("0\r\n\r\n");
  return true;
}

}  // namespace dns01::test::wire
