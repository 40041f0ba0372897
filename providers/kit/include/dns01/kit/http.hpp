#pragma once
// HTTP for provider modules, over Host::http(): a request builder (query encoding, JSON and form
// bodies), a retry loop on the *reply* that sleeps through Host::sleep() (so Ctrl-C ends it),
// and the usual mapping of HTTP statuses to the ABI's StatusCode. Part of the provider kit.
//
//   auto reply = kit::send(host, kit::Request("GET", base + "/zones").query("name", zone),
//                          "find zone example.com");
//   if (reply.code == 403) throw kit::http_failure(reply, "find zone example.com", "...");
//
// Errors: send() throws provider::Failure — StatusCode::network when the host could not get an
// answer (its own retries exhausted), and when interrupted by a stop request. HTTP error
// statuses are returned, never thrown: the provider knows what a 404 means for its API.
// Thread-safety: a Request is a value; send() is as thread-safe as Host::http().
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "dns01/provider.hpp"

namespace dns01::kit {

// RFC 3986 percent-encoding of everything but the unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string url_encode(std::string_view text);
// application/x-www-form-urlencoded: like url_encode, pairs joined with '&'.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

class Request {
 public:
  Request(std::string method, std::string url);

  Request& query(std::string_view key, std::string_view value);  // appended, percent-encoded
  Request& header(std::string name, std::string value);
  Request& json(const nlohmann::json& body);  // also sets Content-Type: application/json
  Request& form(const std::vector<std::pair<std::string, std::string>>& fields);
  Request& body(std::string body, std::string content_type);
  Request& timeout(std::chrono::milliseconds timeout);
  Request& attempts(int max_attempts);  // HttpCall::max_attempts (1 = the host never retries)
  Request& idempotent(bool idempotent);

  const std::string& url() const noexcept { return call_.url; }  // with the query
  const provider::HttpCall& call() const noexcept { return call_; }

 private:
  provider::HttpCall call_;
  bool has_query_ = false;
};

// One exchange through the host. Throws Failure (network) when there is no reply or a stop was
// requested. `step` names what is being done, for the error.
provider::HttpReply send(provider::Host& host, const Request& request, std::string_view step);

// Retry on the reply: for throttling the host does not recognise (Route 53's HTTP 400
// Throttling, Azure's 412 etag race) or for non-idempotent calls the host will not repeat.
struct RetryPolicy {
  int max_attempts = 5;                                    // total tries
  std::chrono::milliseconds base_delay{500};               // doubled each time, then jittered
  std::chrono::milliseconds max_delay{20'000};             // cap, Retry-After included
  // Which replies are worth another try; default: 429 and 5xx except 501/505.
  std::function<bool(const provider::HttpReply&)> retryable;
};

// send() until the reply is not retryable or attempts run out (the last reply is returned).
// Waits honour Retry-After (seconds) up to max_delay and end early on a stop request, which
// throws Failure. Logs each retry at info level through the host.
provider::HttpReply send_with_retry(provider::Host& host, const Request& request,
                                    std::string_view step, const RetryPolicy& policy = {});

// The StatusCode an HTTP error status usually means: 401 → auth, 403 → denied, 404 → zone,
// 408/429/5xx → server, other 4xx → server (a request the provider built wrong, or the API
// refused a value). Providers that know better map codes themselves.
provider::StatusCode status_code_for(long http_code) noexcept;

// A Failure for an unexpected reply: "<api message or 'HTTP <code>'>" with the mapped code.
provider::Failure http_failure(const provider::HttpReply& reply, std::string step,
                               std::string message, std::string hint = {});

}  // namespace dns01::kit
