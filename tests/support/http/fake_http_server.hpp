#pragma once
// FakeHttpServer: a small scripted HTTP/1.1 server on 127.0.0.1 for unit tests of the HTTP
// client and of everything built on it (ACME client, provider API clients), including their
// handling of slow, broken and hostile servers.
//
//   dns01::test::FakeHttpServer server([](const dns01::test::FakeRequest& r) {
//     if (r.path == "/directory") return dns01::test::FakeResponse::json(200, R"({...})");
//     return dns01::test::FakeResponse::text(404, "no such thing");
//   });
//   client.get(server.url("/directory"));
//   CHECK(server.requests().at(0).header("User-Agent") == "dns01/0.1.0");
//
// Behaviour:
// - Listens on 127.0.0.1 with an ephemeral port (never any other address). Plain HTTP only.
// - Each request goes to the handler if one is set; otherwise the next canned response queued
//   with enqueue() is used; when the queue is empty the answer is 404. A handler may call
//   enqueue()/requests() (no lock is held while it runs).
// - Every request is recorded (method, target, path, query, headers, body, connection number)
//   before the handler runs; connections() counts TCP connections accepted, so tests can prove
//   connection reuse.
// - Keep-alive as in HTTP/1.1: a connection serves requests until the client closes it, the
//   client sends `Connection: close`, or a response says `close = true`.
// - Request bodies: Content-Length or chunked. Malformed requests get a 400 and a close.
// - FakeResponse knobs: `delay` before answering (for timeouts), `chunked` transfer encoding,
//   `action` to close the connection abruptly before answering or in the middle of the body,
//   `raw` bytes sent verbatim instead of a formatted response (for malformed replies), and
//   `stream_body_size` to generate a large body without building it in memory.
//
// Threading: one acceptor thread plus one thread per connection; the handler runs on the
// connection's thread (so two connections may call it concurrently). All public functions are
// thread-safe. The destructor wakes every thread (including ones in `delay`), closes every
// socket and joins; it does not wait for delays to finish.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dns01::test {

using FakeHeaders = std::vector<std::pair<std::string, std::string>>;

struct FakeRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: "/path?query"
  std::string path;    // "/path"
  std::string query;   // "query" (without '?'), empty if none
  FakeHeaders headers; // in order, names as sent
  std::string body;    // de-chunked
  int connection = 0;  // 1-based number of the TCP connection that carried it

  // First header with that name (case-insensitive).
  std::optional<std::string> header(std::string_view name) const;
};

struct FakeResponse {
  enum class Action {
    reply,              // normal answer
    close_before_reply, // read the request, then close without sending anything
    close_mid_body,     // send headers and half the body (Content-Length says all), then close
  };

  int status = 200;
  std::string reason;   // empty: standard phrase for status
  FakeHeaders headers;  // Content-Length / Transfer-Encoding are added automatically
  std::string body;
  std::chrono::milliseconds delay{0};  // wait before answering (interrupted by shutdown)
  bool chunked = false;                // send the body with Transfer-Encoding: chunked
  std::size_t chunk_size = 1024;
  bool close = false;                  // send `Connection: close` and close afterwards
  Action action = Action::reply;
  std::optional<std::string> raw;      // send exactly these bytes, then keep going as usual
  std::size_t stream_body_size = 0;    // >0: body is this many 'x' bytes, generated on the fly

  static FakeResponse text(int status, std::string body = {});
  static FakeResponse json(int status, std::string body);
  static FakeResponse redirect(int status, std::string location);
  static FakeResponse abort_connection();  // Action::close_before_reply
};

class FakeHttpServer {
 public:
  using Handler = std::function<FakeResponse(const FakeRequest&)>;

  // Starts listening at once. Throws std::runtime_error if the socket cannot be set up.
  explicit FakeHttpServer(Handler handler = {});
  ~FakeHttpServer();
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  void set_handler(Handler handler);
  // Appends a canned response (used only while no handler is set).
  void enqueue(FakeResponse response);

  std::uint16_t port() const;
  std::string base_url() const;                // "http://127.0.0.1:<port>"
  std::string url(std::string_view path) const; // base_url() + path ("/x" or "x")

  std::vector<FakeRequest> requests() const;   // copy of everything received so far
  std::size_t request_count() const;
  int connections() const;                     // TCP connections accepted so far
  void clear_requests();                       // forget requests (connections() is kept)

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace dns01::test
