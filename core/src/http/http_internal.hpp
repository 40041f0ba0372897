#pragma once
// Private pieces of the HTTP client, shared by the files of core/src/http/ only. Each section
// names the .cpp that defines it.
#include <curl/curl.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns01/http.hpp"
#include "dns01/raii.hpp"

namespace dns01 {

class Logger;

namespace http_detail {

// ---- retry.cpp: which failures and statuses are worth another attempt ----------------------

// Default idempotency of a method (RFC 9110 §9.2.2): GET, HEAD, PUT, DELETE, OPTIONS, TRACE.
bool default_idempotent(std::string_view method);
// 429 and transient 5xx (every 5xx but 501 Not Implemented and 505 Version Not Supported).
bool retryable_status(long status);

// A failed transfer (no HTTP response was received).
struct TransferFailure {
  CURLcode code = CURLE_OK;
  std::string message;         // curl's detailed text (error buffer), redacted
  bool request_sent = true;    // false only when the request certainly never left this host
  bool body_too_large = false; // aborted by the max_body limit
  bool refused = false;        // refused by the UrlPolicy (never retried)
  bool interrupted = false;    // aborted on SIGINT/SIGTERM (becomes an InterruptedError)
  std::size_t limit = 0;       // the limit, when body_too_large
};

// Whether a failure may be retried: connection-level failures (the request never reached the
// server) always; failures after the request may have been seen only for idempotent requests;
// never for permanent causes (TLS verification, bad URL, size limit).
bool retryable_failure(const TransferFailure& failure, bool idempotent);
// A hint for the final NetworkError of a failure.
std::string failure_hint(const TransferFailure& failure);

// ---- redact_http.cpp: secrets out of log lines ------------------------------------------------

// "Name: value" with the value replaced by [REDACTED] when the header carries a secret.
std::string redact_header(std::string_view name, std::string_view value);
// One raw header or request line as curl shows it ("GET /x?token=... HTTP/1.1", "Name: v").
std::string redact_header_line(std::string_view line);
// Up to `max` bytes of a body for trace logs, control characters shown as '.'.
std::string body_excerpt(std::string_view body, std::size_t max);

// ---- curl_url.cpp: URL resolution through CURLU ---------------------------------------------

// `ref` resolved against `base` (RFC 3986); nullopt unless the result is an http(s) URL.
std::optional<std::string> resolve_url(std::string_view base, std::string_view ref);
// "scheme://host:port" (with the default port made explicit); empty when unparsable.
std::string url_origin(std::string_view url);
// Why a connection to `address` is refused under UrlPolicy::refuse_link_local ("169.254.169.254
// is a link-local address"), or "" when it is not.
std::string refused_address(const struct sockaddr* address);

// ---- curl_pool.cpp: easy handles and the shared caches ---------------------------------------

// Easy handles for one HttpClient. Idle handles keep their live connections; acquire() hands out
// the most recently released one so sequential requests reuse connections. All handles share
// one CURLSH holding the DNS cache and TLS sessions (with a mutex per data kind). Not movable:
// the share's lock callbacks point at this object.
class CurlPool {
 public:
  CurlPool();
  ~CurlPool();
  CurlPool(const CurlPool&) = delete;
  CurlPool& operator=(const CurlPool&) = delete;

  // A handle borrowed for one request; returned (after curl_easy_reset) when destroyed.
  class Lease {
   public:
    Lease(CurlPool& pool, CurlPtr handle) : pool_(&pool), handle_(std::move(handle)) {}
    ~Lease();
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    CURL* get() const { return handle_.get(); }

   private:
    CurlPool* pool_;
    CurlPtr handle_;
  };

  // Throws Error(internal) when libcurl cannot allocate a handle.
  Lease acquire();

 private:
  void release(CurlPtr handle);
  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* self);
  static void unlock(CURL*, curl_lock_data data, void* self);

  std::array<std::mutex, CURL_LOCK_DATA_LAST> locks_;
  CurlSharePtr share_;
  std::mutex idle_mutex_;
  std::vector<CurlPtr> idle_;  // declared after share_: handles go before the share
};

// ---- ca_bundle.cpp: extra trust anchors ------------------------------------------------------

// Certificates of a PEM bundle, parsed once per HttpClient. Throws ConfigError.
struct CaBundle {
  std::string path;
  std::string pem;  // the file's bytes, as read once
  std::vector<X509Ptr> certs;
  static CaBundle load(const std::string& path);
};
// CURLOPT_SSL_CTX_FUNCTION callback: adds the bundle (userptr) to the SSL_CTX's X509_STORE, so
// it extends rather than replaces the system store.
CURLcode add_bundle_to_ssl_ctx(CURL* curl, void* ssl_ctx, void* bundle);

// ---- transfer.cpp: one HTTP exchange on one easy handle ---------------------------------------

struct TransferSpec {
  std::string_view method;
  std::string_view url;
  const Headers* headers = nullptr;
  const std::string* body = nullptr;  // sent when non-null (even empty, for POST)
  std::chrono::milliseconds timeout{0};
  std::chrono::milliseconds connect_timeout{0};
  std::size_t max_body = 0;
  const CaBundle* ca = nullptr;       // extra trust anchors, or nullptr
  bool refuse_link_local = false;     // UrlPolicy::refuse_link_local for the connected address
  const std::function<bool()>* cancelled = nullptr;  // HttpRequest::cancelled, when set
  bool ca_only = false;               // use ca->path as the only store
  Logger* trace = nullptr;            // non-null: log headers and body excerpts at trace level
  std::string_view component;
};

struct TransferResult {
  std::optional<HttpResponse> response;  // set on success (any HTTP status)
  TransferFailure failure;               // meaningful when !response
  std::chrono::milliseconds elapsed{0};
};

// Performs one request (no redirect following, no retry). Never throws for transport problems.
TransferResult perform_transfer(CURL* curl, const TransferSpec& spec);

}  // namespace http_detail
}  // namespace dns01
