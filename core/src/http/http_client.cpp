// HttpClient: request validation, redirect following, the retry loop and per-request logging.
// The exchange itself (curl options, callbacks) is in transfer.cpp.
#include <algorithm>
#include <cctype>
#include <thread>

#include <fmt/format.h>

#include "dns01/error.hpp"
#include "dns01/log.hpp"
#include "http_internal.hpp"

namespace dns01 {

using namespace http_detail;
using std::chrono::milliseconds;

struct HttpClient::Impl {
  CurlPool pool;
  std::optional<CaBundle> ca;
};

namespace {
constexpr int kMaxRedirects = 5;

// Outcome of one attempt (the request and any redirects it was allowed to follow).
struct Exchange {
  std::optional<HttpResponse> response;
  TransferFailure failure;
};

bool is_token_char(unsigned char c) {
  return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
                                std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return is_token_char(c); });
}

// Refuses requests that would inject into the HTTP framing (CR/LF in a header, odd method).
void validate(const HttpRequest& request, const std::string& component) {
  const std::string step = fmt::format("{} {}", request.method, redact_url(request.url));
  const char* hint = "this is a bug in the caller of the HTTP client; please report it";
  if (!is_token(request.method))
    throw NetworkError(component, "build request", "invalid HTTP method", hint);
  if (request.url.empty() || request.url.find_first_of("\r\n ") != std::string::npos)
    throw NetworkError(component, step, "invalid URL (empty or containing whitespace)", hint);
  for (const auto& [name, value] : request.headers) {
    if (!is_token(name))
      throw NetworkError(component, step, fmt::format("invalid header name '{}'", name), hint);
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
      throw NetworkError(component, step,
                         fmt::format("header '{}' contains a line break or NUL", name), hint);
  }
}

bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

void drop_headers(Headers& headers, bool (*drop)(std::string_view)) {
  headers.erase(std::remove_if(headers.begin(), headers.end(),
                               [drop](const auto& h) { return drop(h.first); }),
                headers.end());
}

bool is_body_header(std::string_view name) {
  auto lower = std::string(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower == "content-type" || lower == "content-length" || lower == "content-encoding";
}

void log_hop(Logger& log, const std::string& component, std::string_view method,
             std::string_view url, const TransferResult& r) {
  if (!log.enabled(LogLevel::debug)) return;
  if (r.response)
    log.debug(component, "{} {} -> {} ({} ms)", method, redact_url(url), r.response->status,
              r.elapsed.count());
  else
    log.debug(component, "{} {} -> failed: {} ({} ms)", method, redact_url(url),
              r.failure.message, r.elapsed.count());
}
}  // namespace

HttpClient::HttpClient(HttpOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {
  if (!options_.ca_bundle.empty()) impl_->ca = CaBundle::load(options_.ca_bundle);
}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::get(const std::string& url, Headers headers) {
  HttpRequest request;
  request.url = url;
  request.headers = std::move(headers);
  return send(request);
}

HttpResponse HttpClient::post(const std::string& url, std::string body, Headers headers) {
  HttpRequest request;
  request.method = "POST";
  request.url = url;
  request.body = std::move(body);
  request.headers = std::move(headers);
  return send(request);
}

namespace {
// Sends the request and follows redirects when allowed. Throws NetworkError for redirect
// loops and unusable locations (not worth retrying); transport failures are returned.
Exchange exchange(CURL* curl, const HttpRequest& request, const HttpOptions& options,
                  const CaBundle* ca, Logger& log) {
  std::string method = request.method;
  std::string url = request.url;
  Headers headers = request.headers;
  const bool bodiless = (method == "GET" || method == "HEAD") && request.body.empty();
  const std::string* body = bodiless ? nullptr : &request.body;
  const std::string origin = url_origin(url);
  const std::string step = fmt::format("{} {}", request.method, redact_url(request.url));
  const UrlPolicy policy = request.url_policy.value_or(options.url_policy);
  if (std::string why = url_policy_violation(url, policy); !why.empty())
    throw NetworkError(options.component, step, fmt::format("refused: {}", why),
                       "check the URL; dns01 talks to ACME servers over HTTPS only");
  const milliseconds timeout = request.timeout.value_or(options.timeout);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<std::string> visited{method + " " + url};

  for (int hop = 0;; ++hop) {
    const auto remaining =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (remaining <= milliseconds{0}) {  // only reachable after a redirect
      TransferFailure failure;
      failure.code = CURLE_OPERATION_TIMEDOUT;
      failure.message = fmt::format("timeout of {} ms reached while following redirects",
                                    timeout.count());
      return {std::nullopt, failure};
    }
    TransferSpec spec;
    spec.method = method;
    spec.url = url;
    spec.headers = &headers;
    spec.body = body;
    spec.timeout = remaining;
    spec.connect_timeout = options.connect_timeout;
    spec.max_body = request.max_body.value_or(options.max_body);
    spec.ca = ca;
    spec.ca_only = options.ca_bundle_only;
    spec.refuse_link_local = policy.refuse_link_local;
    spec.cancelled = &request.cancelled;
    spec.trace = log.enabled(LogLevel::trace) ? &log : nullptr;
    spec.component = options.component;
    TransferResult result = perform_transfer(curl, spec);
    log_hop(log, options.component, method, url, result);
    if (!result.response) return {std::nullopt, result.failure};

    HttpResponse& response = *result.response;
    const auto location = response.header("Location");
    if (!request.follow_redirects || !is_redirect(response.status) || !location)
      return {std::move(response), {}};

    const auto next = resolve_url(response.effective_url, *location);
    if (!next)
      throw NetworkError(options.component, step,
                         fmt::format("redirect to an unusable location '{}'",
                                     redact_url(*location)),
                         "only redirects to http:// and https:// URLs are followed");
    if (hop >= kMaxRedirects)
      throw NetworkError(options.component, step,
                         fmt::format("too many redirects (more than {})", kMaxRedirects),
                         "check the URL; the server keeps redirecting");
    // RFC 9110 §15.4: 303 always, and 301/302 after a POST (as every client does), turn into a
    // GET without body; 307/308 repeat the request as is.
    if (response.status == 303 || ((response.status == 301 || response.status == 302) &&
                                   method == "POST")) {
      if (method != "HEAD") method = "GET";
      body = nullptr;
      drop_headers(headers, &is_body_header);
    }
    if (std::string why = url_policy_violation(*next, policy); !why.empty())
      throw NetworkError(options.component, step,
                         fmt::format("redirect to {} refused: {}", redact_url(*next), why),
                         "the server redirects where dns01 may not follow; check the URL");
    std::string key = method + " " + *next;
    if (std::find(visited.begin(), visited.end(), key) != visited.end())
      throw NetworkError(options.component, step,
                         fmt::format("redirect loop: {} leads back to {}", redact_url(url),
                                     redact_url(*next)),
                         "the server redirects in a circle; check the URL and the server");
    visited.push_back(std::move(key));
    // Credentials were meant for the original server only.
    if (url_origin(*next) != origin) drop_headers(headers, &is_secret_header);
    url = *next;
  }
}
}  // namespace

HttpResponse HttpClient::send(const HttpRequest& request) {
  Logger& log = options_.logger ? *options_.logger : Logger::global();
  validate(request, options_.component);
  const bool idempotent = request.idempotent.value_or(default_idempotent(request.method));
  const int max_attempts = std::max(1, request.max_attempts.value_or(options_.retry.max_attempts));
  const auto wait = [this, &request](milliseconds delay) {
    if (options_.sleep) {
      options_.sleep(delay);
      return;
    }
    // In slices, so a cancelled request ends its backoff (up to 30 s) at once.
    const auto end = std::chrono::steady_clock::now() + delay;
    for (auto now = std::chrono::steady_clock::now(); now < end; now = std::chrono::steady_clock::now()) {
      if (request.cancelled && request.cancelled())
        throw InterruptedError(fmt::format("{} {}", request.method, redact_url(request.url)));
      std::this_thread::sleep_for(std::min<milliseconds>(
          milliseconds(50), std::chrono::duration_cast<milliseconds>(end - now) + milliseconds(1)));
    }
  };
  const CaBundle* ca = impl_->ca ? &*impl_->ca : nullptr;

  for (int attempt = 1;; ++attempt) {
    Exchange outcome;
    {
      // The lease is returned before sleeping, so a waiting request holds no handle.
      CurlPool::Lease lease = impl_->pool.acquire();
      outcome = exchange(lease.get(), request, options_, ca, log);
    }
    if (!outcome.response) {
      const TransferFailure& failure = outcome.failure;
      if (failure.interrupted)
        throw InterruptedError(fmt::format("{} {}", request.method, redact_url(request.url)));
      if (attempt < max_attempts && retryable_failure(failure, idempotent)) {
        const milliseconds delay = retry_delay(options_.retry, attempt, std::nullopt);
        log.info(options_.component, "{} {}: {}; retrying in {} ms (attempt {}/{})",
                 request.method, redact_url(request.url), failure.message, delay.count(),
                 attempt + 1, max_attempts);
        wait(delay);
        continue;
      }
      std::string cause = failure.message;
      if (!failure.body_too_large)
        cause += fmt::format(" after {} attempt{}", attempt, attempt == 1 ? "" : "s");
      throw NetworkError(options_.component,
                         fmt::format("{} {}", request.method, redact_url(request.url)), cause,
                         failure_hint(failure));
    }
    HttpResponse& response = *outcome.response;
    if (idempotent && retryable_status(response.status) && attempt < max_attempts) {
      const milliseconds delay = retry_delay(options_.retry, attempt, response.retry_after());
      log.info(options_.component, "{} {}: HTTP {}; retrying in {} ms (attempt {}/{})",
               request.method, redact_url(request.url), response.status, delay.count(),
               attempt + 1, max_attempts);
      wait(delay);
      continue;
    }
    return std::move(response);
  }
}

}  // namespace dns01
