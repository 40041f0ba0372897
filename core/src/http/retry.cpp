// Retry rules: backoff with full jitter, and which failures/statuses deserve another attempt.
#include <algorithm>
#include <cctype>
#include <random>

#include <fmt/format.h>

#include "http_internal.hpp"

namespace dns01 {

std::chrono::milliseconds retry_delay(const RetryPolicy& policy, int attempt,
                                      std::optional<std::chrono::seconds> retry_after) {
  using std::chrono::milliseconds;
  const long long cap = std::max<long long>(policy.max_delay.count(), 0);
  if (retry_after) {
    // The server said how long to wait: obey it exactly (no jitter), within our cap. Compare in
    // seconds first so a huge Retry-After cannot overflow the conversion to milliseconds.
    const long long seconds = retry_after->count();
    if (seconds <= 0) return milliseconds{0};
    if (seconds >= cap / 1000 + 1) return milliseconds{cap};
    return milliseconds{std::min(seconds * 1000, cap)};
  }
  // Full jitter (uniform over [0, min(cap, base * 2^(attempt-1))]) spreads clients that failed
  // together, so they do not come back in lockstep.
  long long ceiling = std::max<long long>(policy.base_delay.count(), 0);
  for (int i = 1; i < attempt && ceiling > 0 && ceiling < cap; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, cap);
  if (ceiling <= 0) return milliseconds{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<long long> pick(0, ceiling);
  return milliseconds{pick(rng)};
}

namespace http_detail {

bool default_idempotent(std::string_view method) {
  std::string upper(method);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return upper == "GET" || upper == "HEAD" || upper == "PUT" || upper == "DELETE" ||
         upper == "OPTIONS" || upper == "TRACE";
}

bool retryable_status(long status) {
  if (status == 429) return true;
  return status >= 500 && status <= 599 && status != 501 && status != 505;
}

namespace {
// Causes that will not change by trying again.
bool permanent(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_FILESIZE_EXCEEDED:
    case CURLE_WRITE_ERROR:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_LOGIN_DENIED:
    case CURLE_REMOTE_ACCESS_DENIED:
      return true;
    default:
      return false;
  }
}
}  // namespace

bool retryable_failure(const TransferFailure& failure, bool idempotent) {
  if (failure.body_too_large || failure.refused || failure.interrupted || permanent(failure.code))
    return false;
  // A request that never left this host can always be sent again; one that may have reached the
  // server (a timeout while waiting for the answer, a reset mid-reply) could have taken effect,
  // so only an idempotent request may be repeated.
  return !failure.request_sent || idempotent;
}

std::string failure_hint(const TransferFailure& failure) {
  if (failure.body_too_large)
    return fmt::format("the server sent more than {} bytes; raise the request's max_body only if "
                       "such a large answer is expected",
                       failure.limit);
  if (failure.refused)
    return "the server may only be reached over HTTPS at a public address; check the URL";
  switch (failure.code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return "check the host name in the URL and the resolver configuration";
    case CURLE_COULDNT_CONNECT:
      return "check that the server is running and reachable at this address and port "
             "(firewall, proxy settings)";
    case CURLE_OPERATION_TIMEDOUT:
      return "the server did not answer in time; check connectivity or raise the timeout";
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
      return "the server's certificate is not trusted; for a private or test CA set its PEM "
             "bundle (ca_bundle)";
    case CURLE_SSL_CONNECT_ERROR:
      return "the TLS handshake failed; check that the URL's port speaks TLS and the CA bundle";
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return "check the URL (only http:// and https:// are supported)";
    default:
      return "check connectivity to the server and retry later";
  }
}

}  // namespace http_detail
}  // namespace dns01
