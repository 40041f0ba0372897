// HTTP helpers of the provider kit (see dns01/kit/http.hpp).
#include "dns01/kit/http.hpp"

#include <algorithm>
#include <charconv>
#include <random>

namespace dns01::kit {

namespace {

using provider::Failure;
using provider::HttpReply;
using provider::StatusCode;

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool default_retryable(const HttpReply& reply) {
  return reply.code == 429 || (reply.code >= 500 && reply.code != 501 && reply.code != 505);
}

// Retry-After as delta-seconds; an HTTP date (rare from APIs) falls back to the backoff.
std::optional<std::chrono::milliseconds> retry_after(const HttpReply& reply) {
  auto value = reply.header("Retry-After");
  if (!value) return std::nullopt;
  long seconds = 0;
  auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), seconds);
  if (ec != std::errc() || end != value->data() + value->size() || seconds < 0)
    return std::nullopt;
  return std::chrono::seconds(seconds);
}

std::chrono::milliseconds backoff(const RetryPolicy& policy, int attempt) {
  const auto cap = policy.max_delay.count();
  long long delay = policy.base_delay.count();
  for (int i = 1; i < attempt && delay < cap; ++i) delay *= 2;
  delay = std::min<long long>(delay, cap);
  // Half fixed, half jitter: concurrent runs spread out, yet every wait is at least half the
  // nominal one (a throttled API needs the pause).
  thread_local std::minstd_rand random{std::random_device{}()};
  std::uniform_int_distribution<long long> jitter(0, delay / 2);
  return std::chrono::milliseconds(delay / 2 + jitter(random));
}

}  // namespace

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (unreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [key, value] : fields) {
    if (!out.empty()) out.push_back('&');
    out += url_encode(key) + "=" + url_encode(value);
  }
  return out;
}

Request::Request(std::string method, std::string url) {
  call_.method = std::move(method);
  call_.url = std::move(url);
  has_query_ = call_.url.find('?') != std::string::npos;
}

Request& Request::query(std::string_view key, std::string_view value) {
  call_.url += has_query_ ? '&' : '?';
  call_.url += url_encode(key) + "=" + url_encode(value);
  has_query_ = true;
  return *this;
}

Request& Request::header(std::string name, std::string value) {
  call_.headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

Request& Request::json(const nlohmann::json& body) {
  return this->body(body.dump(), "application/json");
}

Request& Request::form(const std::vector<std::pair<std::string, std::string>>& fields) {
  return body(form_encode(fields), "application/x-www-form-urlencoded");
}

Request& Request::body(std::string body, std::string content_type) {
  call_.body = std::move(body);
  auto& headers = call_.headers;
  headers.erase(std::remove_if(headers.begin(), headers.end(),
                               [](const auto& h) {
                                 std::string name = h.first;
                                 for (auto& c : name) c = static_cast<char>(c | 0x20);
                                 return name == "content-type";
                               }),
                headers.end());
  headers.emplace_back("Content-Type", std::move(content_type));
  return *this;
}

Request& Request::timeout(std::chrono::milliseconds timeout) {
  call_.timeout = timeout;
  return *this;
}

Request& Request::attempts(int max_attempts) {
  call_.max_attempts = max_attempts;
  return *this;
}

Request& Request::idempotent(bool idempotent) {
  call_.idempotent = idempotent;
  return *this;
}

HttpReply send(provider::Host& host, const Request& request, std::string_view step) {
  if (host.stop_requested())
    throw Failure(StatusCode::network, std::string(step), "interrupted");
  HttpReply reply = host.http(request.call());
  if (!reply.status.ok()) {
    provider::Status status = reply.status;
    status.step = std::string(step) + (status.step.empty() ? "" : ": " + status.step);
    throw Failure(std::move(status));
  }
  return reply;
}

HttpReply send_with_retry(provider::Host& host, const Request& request, std::string_view step,
                          const RetryPolicy& policy) {
  const auto& retryable = policy.retryable ? policy.retryable : default_retryable;
  for (int attempt = 1;; ++attempt) {
    HttpReply reply = send(host, request, step);
    if (attempt >= policy.max_attempts || !retryable(reply)) return reply;
    auto delay = retry_after(reply).value_or(backoff(policy, attempt));
    delay = std::min(delay, policy.max_delay);
    host.log(provider::Severity::info,
             std::string(step) + ": HTTP " + std::to_string(reply.code) + "; retrying in " +
                 std::to_string(delay.count()) + " ms (attempt " + std::to_string(attempt + 1) +
                 "/" + std::to_string(policy.max_attempts) + ")");
    if (!host.sleep(delay))
      throw Failure(StatusCode::network, std::string(step), "interrupted while waiting to retry");
  }
}

StatusCode status_code_for(long http_code) noexcept {
  switch (http_code) {
    case 401: return StatusCode::auth;
    case 403: return StatusCode::denied;
    case 404: return StatusCode::zone;
    default: return StatusCode::server;
  }
}

Failure http_failure(const HttpReply& reply, std::string step, std::string message,
                     std::string hint) {
  if (message.empty()) message = "the API answered HTTP " + std::to_string(reply.code);
  return Failure(status_code_for(reply.code), std::move(step), std::move(message), std::move(hint));
}

}  // namespace dns01::kit
