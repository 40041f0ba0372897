#pragma once
// HTTP client over libcurl, shared by the ACME client and by provider plugins (through the
// host services of provider.hpp).
//
// - Connections are reused across requests (and HTTP/2 is used when the server offers it).
// - Every request has a timeout (HttpOptions::timeout unless the request sets its own).
// - Extra CA bundle for private and test CAs (added to, not replacing, the system store when
//   `ca_bundle_only` is false).
// - `User-Agent: dns01/<version>` on every request.
// - Bounded retries with exponential backoff and full jitter on connection errors; on 5xx and
//   429 too for idempotent requests (GET/HEAD, or `idempotent = true`), honouring Retry-After
//   (seconds or HTTP date) up to RetryPolicy::max_delay. When retries run out on a 5xx/429 the
//   last response is returned (the caller decides what it means); on a connection error a
//   NetworkError is thrown.
// - Redirects are followed (max 5) only when `follow_redirects` is set; a loop or too many
//   redirects throws NetworkError.
// - Responses larger than `max_body` throw NetworkError (a hostile server cannot exhaust memory).
// - Request/response logging at debug (one line) and trace (headers) level, with Authorization,
//   X-Auth-*, tokens and secrets redacted through Redactor.
//
// Thread-safety: an HttpClient may be used from several threads at once; each call borrows an
// easy handle from an internal pool and all handles share one connection cache.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dns01 {

class Logger;

using Headers = std::vector<std::pair<std::string, std::string>>;

struct RetryPolicy {
  int max_attempts = 4;                                   // total tries, 1 = no retry
  std::chrono::milliseconds base_delay{250};              // first backoff before jitter
  std::chrono::milliseconds max_delay{30'000};            // cap for backoff and Retry-After
};

struct HttpOptions {
  std::chrono::milliseconds timeout{30'000};       // whole-request timeout
  std::chrono::milliseconds connect_timeout{10'000};
  std::string ca_bundle;                           // extra PEM bundle; empty = system store only
  RetryPolicy retry;
  std::size_t max_body = 8u << 20;                 // default response size limit
  std::string component = "http";                  // prefix of errors and log lines
  Logger* logger = nullptr;                        // nullptr = Logger::global()
  // How the client waits between retries; tests replace it to record delays without sleeping.
  std::function<void(std::chrono::milliseconds)> sleep;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  std::optional<std::chrono::milliseconds> timeout;  // overrides HttpOptions::timeout
  std::optional<bool> idempotent;                    // default: GET/HEAD/PUT/DELETE yes, POST no
  bool follow_redirects = false;
  std::optional<std::size_t> max_body;               // overrides HttpOptions::max_body
};

struct HttpResponse {
  long status = 0;
  Headers headers;            // in received order, names as sent by the server
  std::string body;
  std::string effective_url;  // after redirects

  // First header with that name (case-insensitive).
  std::optional<std::string> header(std::string_view name) const;
  // All values of that header (e.g. several Link headers).
  std::vector<std::string> header_all(std::string_view name) const;
  // Retry-After as a duration (delta-seconds or HTTP-date relative to now); nullopt if absent
  // or unparsable.
  std::optional<std::chrono::seconds> retry_after() const;
  // Targets of `Link: <url>;rel="<rel>"` headers, resolved against effective_url.
  std::vector<std::string> links(std::string_view rel) const;
};

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends the request (with retries as described above). Throws NetworkError.
  HttpResponse send(const HttpRequest& request);

  HttpResponse get(const std::string& url, Headers headers = {});
  HttpResponse post(const std::string& url, std::string body, Headers headers = {});

  const HttpOptions& options() const { return options_; }

 private:
  struct Impl;
  HttpOptions options_;
  std::unique_ptr<Impl> impl_;
};

// Delay before retry number `attempt` (1-based): Retry-After when given (capped at
// policy.max_delay), else full jitter over base_delay * 2^(attempt-1) capped at max_delay.
std::chrono::milliseconds retry_delay(const RetryPolicy& policy, int attempt,
                                      std::optional<std::chrono::seconds> retry_after);

}  // namespace dns01
