// The httpreq server (flow/hookmodes/httpreq_server.hpp): request-head parsing and the server
// against raw sockets, hostile clients included.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "dns01/error.hpp"
#include "dns01/flow/hookmodes/httpreq_server.hpp"
#include "dns01/raii.hpp"

using namespace dns01;
using namespace std::chrono_literals;

TEST_CASE("httpreq request heads: valid, and hostile ones refused", "[hooks][httpreq]") {
  std::string why;
  auto req = flow::parse_request_head(
      "POST /present HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type:  application/json \r\n"
      "Content-Length: 12",
      &why);
  REQUIRE(req);
  CHECK(req->method == "POST");
  CHECK(req->target == "/present");
  CHECK(req->headers.at("content-type") == "application/json");
  CHECK(req->headers.at("content-length") == "12");

  for (const char* bad : {"", "POST", "POST /x", "POST x HTTP/1.1", "POST /x HTTP/2",
                          "POST /x HTTP/1.1 extra", "PO ST /x HTTP/1.1",
                          "POST /x HTTP/1.1\r\n folded: yes",
                          "POST /x HTTP/1.1\r\nno-colon",
                          "POST /x HTTP/1.1\r\nbad name: v",
                          "POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2"}) {
    INFO(bad);
    CHECK_FALSE(flow::parse_request_head(bad, &why));
    CHECK(!why.empty());
  }
  // The same Content-Length twice is harmless.
  CHECK(flow::parse_request_head("POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1", &why));
}

namespace {

// One raw exchange with the server: sends `bytes`, returns everything it answered.
std::string http_exchange(std::uint16_t port, const std::string& bytes, bool half_close = true) {
  UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(s.get(), bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer and close before reading everything
    sent += static_cast<std::size_t>(n);
  }
  if (half_close) ::shutdown(s.get(), SHUT_WR);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(s.get(), buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

std::string status_line(const std::string& response) { return response.substr(0, response.find("\r\n")); }

}  // namespace

TEST_CASE("httpreq server: requests answered, hostile ones refused, server survives", "[hooks][httpreq]") {
  flow::HttpServer server(Endpoint{"127.0.0.1", 0});
  REQUIRE(server.port() != 0);
  CHECK(server.address() == "127.0.0.1:" + std::to_string(server.port()));
  std::atomic<bool> stop{false};
  flow::HttpServerLimits limits;
  limits.read_timeout = 500ms;
  std::thread serving([&] {
    server.serve(
        [](const flow::ServerRequest& req) {
          if (req.body == "throw") throw std::runtime_error("handler failed");
          return flow::ServerResponse{200, req.method + " " + req.target + " " + req.body, "text/plain"};
        },
        [&] { return stop.load(); }, limits);
  });
  const auto port = server.port();

  auto ok = http_exchange(port, "POST /present HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
  CHECK(status_line(ok) == "HTTP/1.1 200 OK");
  CHECK_THAT(ok, Catch::EndsWith("POST /present hello"));
  CHECK_THAT(ok, Catch::Contains("Connection: close"));

  CHECK(status_line(http_exchange(port, "HELLO\r\n\r\n")) == "HTTP/1.1 400 Bad Request");
  CHECK(status_line(http_exchange(port, "POST /x HTTP/1.1\r\n\r\n")) == "HTTP/1.1 411 Length Required");
  CHECK(status_line(http_exchange(port, "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")) ==
        "HTTP/1.1 501 Not Implemented");
  CHECK(status_line(http_exchange(port, "POST /x HTTP/1.1\r\nContent-Length: 99999999999999\r\n\r\n")) ==
        "HTTP/1.1 400 Bad Request");
  CHECK(status_line(http_exchange(port, "POST /x HTTP/1.1\r\nContent-Length: 70000\r\n\r\n" +
                                       std::string(70000, 'x'))) == "HTTP/1.1 413 Content Too Large");
  CHECK(status_line(http_exchange(port, "POST /x HTTP/1.1\r\nX: " + std::string(20000, 'a') + "\r\n\r\n")) ==
        "HTTP/1.1 431 Request Header Fields Too Large");
  // A body shorter than announced, and a client that stalls: 408, no hang.
  CHECK(status_line(http_exchange(port, "POST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")) ==
        "HTTP/1.1 408 Request Timeout");
  CHECK(status_line(http_exchange(port, "POST /x HTTP/1.1\r\nContent-Le", false)) ==
        "HTTP/1.1 408 Request Timeout");
  CHECK(http_exchange(port, "").empty());  // connect and close: nothing to answer
  auto failed = http_exchange(port, "POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nthrow");
  CHECK(status_line(failed) == "HTTP/1.1 500 Internal Server Error");
  CHECK_THAT(failed, Catch::Contains("handler failed"));

  // Still serving after all of that.
  CHECK(status_line(http_exchange(port, "POST /cleanup HTTP/1.0\r\nContent-Length: 0\r\n\r\n")) ==
        "HTTP/1.1 200 OK");
  stop = true;
  serving.join();
}

TEST_CASE("httpreq server: refuses a host name and a taken port", "[hooks][httpreq]") {
  CHECK_THROWS_AS(flow::HttpServer(Endpoint{"localhost", 0}), UsageError);
  flow::HttpServer first(Endpoint{"127.0.0.1", 0});
  CHECK_THROWS_AS(flow::HttpServer(Endpoint{"127.0.0.1", first.port()}), NetworkError);
}
