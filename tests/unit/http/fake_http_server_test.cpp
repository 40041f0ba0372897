// FakeHttpServer's own checks, with a raw socket client (not HttpClient, which it tests).
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <thread>

#include "http/fake_http_server.hpp"
#include "http/fake_http_wire.hpp"

using namespace dns01::test;

namespace {
// Connects to the server and exchanges raw bytes.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    REQUIRE(::connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  void send(std::string_view data) {
    REQUIRE(::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(data.size()));
  }
  // Reads until `marker` has been seen `count` times or the peer closes.
  std::string read_until(std::string_view marker, int count = 1) {
    std::string out;
    char buf[4096];
    for (;;) {
      int seen = 0;
      for (auto pos = out.find(marker); pos != std::string::npos; pos = out.find(marker, pos + 1))
        ++seen;
      if (seen >= count) return out;
      const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
      if (n <= 0) return out;
      out.append(buf, static_cast<std::size_t>(n));
    }
  }

 private:
  wire::UniqueFd fd_;
};
}  // namespace

TEST_CASE("fake http server: keep-alive, recording, chunked request bodies", "[http]") {
  FakeHttpServer server;
  server.enqueue(FakeResponse::text(200, "first"));
  server.enqueue(FakeResponse::json(202, "{}"));
  RawClient client(server.port());
  client.send("GET /a?x=1 HTTP/1.1\r\nHost: t\r\nX-Test: one\r\n\r\n"
              "POST /b HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
              "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n");
  const std::string replies = client.read_until("{}");
  CHECK_THAT(replies, Catch::Contains("HTTP/1.1 200 OK"));
  CHECK_THAT(replies, Catch::Contains("first"));
  CHECK_THAT(replies, Catch::Contains("HTTP/1.1 202"));
  const auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].path == "/a");
  CHECK(requests[0].query == "x=1");
  CHECK(requests[0].header("x-test") == "one");
  CHECK(requests[1].method == "POST");
  CHECK(requests[1].body == "abcde");
  CHECK(requests[1].connection == 1);
  CHECK(server.connections() == 1);
}

TEST_CASE("fake http server: empty queue answers 404, malformed requests 400", "[http]") {
  FakeHttpServer server;
  {
    RawClient client(server.port());
    client.send("GET / HTTP/1.1\r\n\r\n");
    CHECK_THAT(client.read_until("\r\n\r\n"), Catch::StartsWith("HTTP/1.1 404"));
  }
  RawClient bad(server.port());
  bad.send("NONSENSE\r\n\r\n");
  CHECK_THAT(bad.read_until("\r\n\r\n"), Catch::StartsWith("HTTP/1.1 400"));
  CHECK(server.url("x") == server.base_url() + "/x");
}

TEST_CASE("fake http server: shutdown interrupts a delayed reply", "[http]") {
  auto server = std::make_unique<FakeHttpServer>([](const FakeRequest&) {
    FakeResponse r = FakeResponse::text(200);
    r.delay = std::chrono::minutes{10};
    return r;
  });
  RawClient client(server->port());
  client.send("GET / HTTP/1.1\r\n\r\n");
  // Bounded: a server that never sees the request fails here instead of hanging the suite.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (server->request_count() == 0) {
    if (std::chrono::steady_clock::now() > deadline) FAIL("the server never received the request");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  server.reset();  // must not wait ten minutes
  CHECK(client.read_until("HTTP/1.1").empty());
}
