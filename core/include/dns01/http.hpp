#pragma once
// HTTP client over libcurl, shared by the ACME client and by provider plugins (through the
// host services of provider.hpp).
//
// - Connections are reused across requests (and HTTP/2 is used when the server offers it).
// - Every request has a timeout (HttpOptions::timeout unless the request sets its own).
// - Extra CA bundle for private and test CAs (added to, not replacing, the system store when
//   `ca_bundle_only` is false; with OpenSSL the bundle is loaded into each connection's store).
// - `User-Agent: dns01/<version>` on every request.
// - Bounded retries with exponential backoff and full jitter on connection errors; on 5xx and
//   429 too for idempotent requests (GET/HEAD, or `idempotent = true`), honouring Retry-After
//   (seconds or HTTP date) up to RetryPolicy::max_delay. When retries run out on a 5xx/429 the
//   last response is returned (the caller decides what it means); on a connection error a
//   NetworkError is thrown. Failures where the request never reached the server (cannot
//   resolve, connection refused, connect/TLS-handshake timeout) are retried for every method;
//   failures after it may have been received (timeout waiting for the answer, connection
//   reset) only for idempotent requests; permanent ones (certificate not trusted, bad URL,
//   size limit) never. 501 and 505 are not retried.
// - Redirects are followed (max 5) only when `follow_redirects` is set; a loop or too many
//   redirects throws NetworkError. Each hop is held to the request's UrlPolicy (below).
// - Responses larger than `max_body` throw NetworkError (a hostile server cannot exhaust memory).
// - Request/response logging at debug (one line) and trace (headers) level, with Authorization,
//   X-Auth-*, tokens and secrets redacted through Redactor.
//
// Thread-safety: an HttpClient may be used from several threads at once; each call borrows an
// easy handle from an internal pool. All handles share the DNS and TLS-session caches; live
// connections stay with the handle that opened them (libcurl does not support sharing its
// connection cache between concurrent threads), and the pool hands out the most recently returned
// handle first, so sequential requests to one server reuse one connection.
//
// Errors: send() throws NetworkError (`<component>: <METHOD> <redacted url>: <cause>`, with a
// hint) for transport failures, redirect loops, oversized responses and URLs the UrlPolicy
// refuses, and InterruptedError when HttpRequest::cancelled says so; the constructor throws
// ConfigError when `ca_bundle` cannot be read or holds no certificate. HTTP error statuses are
// never thrown: they come back as responses.
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

// Which servers a request may reach. The ACME client sets it on every request: RFC 8555 §6.1
// requires HTTPS, and a CA (or whoever answers in its name) must not be able to steer signed
// requests to plain HTTP or to a cloud metadata service through a redirect or a URL it hands out.
// The URL of the request and of every redirect is checked before anything is sent, and with
// refuse_link_local also the address each connection actually goes to (a host name may resolve
// to one). A refused URL or address is a NetworkError that is never retried.
struct UrlPolicy {
  bool https_only = false;           // refuse http:// ...
  bool allow_http_loopback = false;  // ... except to 127.0.0.0/8, [::1] and localhost (test fakes)
  bool refuse_link_local = false;    // refuse 169.254.0.0/16, fe80::/10 and the metadata services
                                     // (169.254.169.254, fd00:ec2::254, 100.100.100.200,
                                     // metadata.google.internal)
};

// Why `url` breaks `policy` ("plain http:// is refused ..."), or "" when it does not.
std::string url_policy_violation(std::string_view url, const UrlPolicy& policy);

// Largest CA bundle read (a full public bundle is ~220 KB); it must be a regular file.
inline constexpr std::size_t kMaxCaBundleBytes = 4u << 20;

struct HttpOptions {
  std::chrono::milliseconds timeout{30'000};       // whole-request timeout, per attempt
                                                   // (redirects included)
  std::chrono::milliseconds connect_timeout{10'000};
  std::string ca_bundle;                           // extra PEM bundle; empty = system store only
  bool ca_bundle_only = false;                     // true: trust ca_bundle alone (no system store)
  RetryPolicy retry;
  std::size_t max_body = 8u << 20;                 // default response size limit
  std::string component = "http";                  // prefix of errors and log lines
  UrlPolicy url_policy;                            // default for requests that set none
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
  std::optional<bool> idempotent;                    // default: GET/HEAD/PUT/DELETE/OPTIONS yes,
                                                     // POST/PATCH no
  bool follow_redirects = false;
  std::optional<std::size_t> max_body;               // overrides HttpOptions::max_body
  std::optional<int> max_attempts;                   // overrides RetryPolicy::max_attempts
  std::optional<UrlPolicy> url_policy;               // overrides HttpOptions::url_policy
  // Non-null: asked at least once a second during the transfer (connecting, waiting for a
  // stalled server) and between retries; true ends the request with InterruptedError. The ACME
  // client passes stop_requested (signals.hpp). Requests that must still run after a signal
  // (cleaning up records) leave it empty.
  std::function<bool()> cancelled;
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
  // Targets of `Link: <url>;rel="<rel>"` headers, resolved against effective_url (RFC 8288:
  // several links per header, rel with several space-separated types, case-insensitive match).
  // Targets that do not resolve to an absolute http(s) URL are skipped.
  std::vector<std::string> links(std::string_view rel) const;
  // The Location header resolved against effective_url (a CA may send a relative one); nullopt
  // when absent or not resolvable to an http(s) URL.
  std::optional<std::string> location() const;
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

// The URL with every credential masked as "[REDACTED]": the password of a userinfo part and the
// values of query parameters named like a secret (token, key, secret, sig, password, auth, ...).
// Use it for any URL that goes into a log line or an error message. Never throws.
std::string redact_url(std::string_view url);

// True for header names that carry credentials (Authorization, Cookie, X-Auth-*, *-Token,
// *-Key, Api-Key, ...); their values are logged as "[REDACTED]".
bool is_secret_header(std::string_view name);

}  // namespace dns01
