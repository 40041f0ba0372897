#pragma once
// A small blocking HTTP/1.1 server for `dns01 serve-httpreq` (lego's httpreq provider posts
// {fqdn, value} or RAW {domain, token, keyAuth} JSON to /present and /cleanup).
//
// Deliberately minimal: one connection at a time, one request per connection
// (`Connection: close`), Content-Length bodies only (no chunked uploads), bounded header and
// body sizes and a per-request read deadline, so a slow or hostile client can neither exhaust
// memory nor hold the server longer than the deadline. Not TLS: run it on loopback or behind a
// TLS proxy.
//
// Errors: NetworkError when the address cannot be bound. Malformed requests are answered with
// 4xx and never throw. Threading: one thread; the handler runs on it.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "dns01/config.hpp"
#include "dns01/raii.hpp"

namespace dns01::flow {

// A request as the server received it (not dns01::HttpRequest, the HTTP client's, http.hpp).
struct ServerRequest {
  std::string method;                          // "POST"
  std::string target;                          // "/present" (query string kept)
  std::map<std::string, std::string> headers;  // names lower-cased, values trimmed
  std::string body;
};

// The server's answer (not dns01::HttpResponse, the HTTP client's).
struct ServerResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

struct HttpServerLimits {
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 64 * 1024;
  std::chrono::milliseconds read_timeout{10000};  // whole request, from accept
};

// Parses a request head (everything before the blank line, without it). nullopt with `why`
// set when it is not a valid HTTP/1.x request head.
std::optional<ServerRequest> parse_request_head(std::string_view head, std::string* why);

class HttpServer {
 public:
  // Binds and listens on an IP literal and port (port 0: the kernel picks one). Throws
  // NetworkError naming the address.
  explicit HttpServer(const Endpoint& listen);
  // "127.0.0.1:8080" / "[::1]:8080", with the actual port.
  std::string address() const;
  std::uint16_t port() const { return port_; }

  // Serves until stop() returns true (checked at least every 200 ms between requests).
  void serve(const std::function<ServerResponse(const ServerRequest&)>& handler,
             const std::function<bool()>& stop, const HttpServerLimits& limits = {});

 private:
  void handle(int fd, const std::function<ServerResponse(const ServerRequest&)>& handler,
              const HttpServerLimits& limits);
  UniqueFd fd_;
  std::string host_;
  bool v6_ = false;
  std::uint16_t port_ = 0;
};

}  // namespace dns01::flow
