#pragma once
// Socket plumbing and HTTP/1.1 framing for FakeHttpServer (test support only).
#include <chrono>
#include <string>
#include <string_view>
#include <utility>

#include "fake_http_server.hpp"

#include "dns01/raii.hpp"

namespace dns01::test::wire {

using dns01::UniqueFd;

enum class Wait { ready, timeout, stopped };
// Waits until `fd` is readable (or writable when `write`), the wake fd fires, or the timeout
// (negative = none) expires.
Wait wait_fd(int fd, int wake_fd, bool write, std::chrono::milliseconds timeout);

// One accepted connection: buffered reads, writes that give up when the server stops.
class Connection {
 public:
  Connection(UniqueFd fd, int wake_fd, int number) : fd_(std::move(fd)), wake_(wake_fd),
                                                      number_(number) {}
  // Reads the next request. Returns false on a clean close, error or shutdown; throws
  // std::invalid_argument on a malformed request.
  bool read_request(FakeRequest& out);
  // Writes all bytes; false if the peer went away or the server is stopping.
  bool send(std::string_view data);
  int number() const { return number_; }

 private:
  bool fill();                          // reads more bytes into buffer_
  bool read_line(std::string& line);    // up to CRLF (consumed, not included)
  bool read_exact(std::size_t n, std::string& out);
  bool read_chunked(std::string& body);

  UniqueFd fd_;
  int wake_;
  int number_;
  std::string buffer_;
};

// The status line, headers and framing of a response (without the body).
std::string format_head(const FakeResponse& response, std::size_t body_size);
// Total body length of a response (body or stream_body_size).
std::size_t body_size(const FakeResponse& response);
// Writes the body as configured (plain/chunked/streamed/half). False if the peer went away.
bool send_body(Connection& conn, const FakeResponse& response);

}  // namespace dns01::test::wire
