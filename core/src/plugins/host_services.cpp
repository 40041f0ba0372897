// Host services handed to providers (see host_services.hpp). Every entry point is noexcept:
// failures become a Status, as the provider ABI requires.
#include "host_services.hpp"

#include <fmt/format.h>

#include <thread>

#include "dns01/signals.hpp"

namespace dns01::plugins {

namespace {

LogLevel level_of(provider::Severity severity) {
  switch (severity) {
    case provider::Severity::trace: return LogLevel::trace;
    case provider::Severity::debug: return LogLevel::debug;
    case provider::Severity::info: return LogLevel::info;
    case provider::Severity::warn: return LogLevel::warn;
    case provider::Severity::error: return LogLevel::error;
  }
  return LogLevel::info;
}

}  // namespace

HostServices::HostServices(std::string component, const HostOptions& options)
    : component_(std::move(component)),
      logger_(options.logger ? options.logger : &Logger::global()),
      ca_bundle_(options.ca_bundle),
      env_(options.env ? *options.env : process_environment()) {}

HostServices::~HostServices() = default;

void HostServices::log(provider::Severity severity, std::string_view message) noexcept {
  try {
    logger_->log(level_of(severity), component_, message);
  } catch (...) {
    // Logging must never take a provider down.
  }
}

void HostServices::add_secret(std::string_view value) noexcept {
  try {
    Redactor::global().add_secret(std::string(value));
  } catch (...) {
  }
}

bool HostServices::stop_requested() const noexcept {
  return !cleaning_ && dns01::stop_requested();
}

bool HostServices::sleep(std::chrono::milliseconds duration) noexcept {
  // Short slices so a signal ends the wait within ~50 ms, as the ABI promises.
  const auto until = std::chrono::steady_clock::now() + duration;
  while (!stop_requested()) {
    const auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        left, std::chrono::milliseconds(50)));
  }
  return false;
}

std::optional<std::string> HostServices::env(std::string_view name) const noexcept {
  try {
    auto it = env_.find(std::string(name));
    logger_->debug(component_, "environment variable {} read ({})", name,
                   it == env_.end() ? "unset" : "set");
    if (it == env_.end()) return std::nullopt;
    return it->second;
  } catch (...) {
    return std::nullopt;
  }
}

HttpClient& HostServices::client() {
  std::lock_guard lock(mutex_);
  if (!client_) {
    HttpOptions options;
    options.ca_bundle = ca_bundle_;
    options.component = component_;
    options.logger = logger_;
    // Retry back-off that a Ctrl-C cuts short, like every other provider wait.
    options.sleep = [this](std::chrono::milliseconds delay) { sleep(delay); };
    client_ = std::make_unique<HttpClient>(std::move(options));
  }
  return *client_;
}

provider::HttpReply HostServices::http(const provider::HttpCall& call) noexcept {
  provider::HttpReply reply;
  try {
    HttpRequest request;
    request.method = call.method;
    request.url = call.url;
    request.headers = call.headers;
    request.body = call.body;
    if (call.timeout.count() > 0) request.timeout = call.timeout;
    request.idempotent = call.idempotent;
    if (call.max_attempts > 0) request.max_attempts = call.max_attempts;
    // A stop ends a stalled exchange within a second (except while cleaning up, see Cleanup).
    request.cancelled = [this] { return stop_requested(); };
    if (stop_requested())
      return {provider::Status::failure(provider::StatusCode::network,
                                        fmt::format("{} {}", call.method, redact_url(call.url)),
                                        "interrupted before the request was sent"),
              0, {}, {}};
    HttpResponse response = client().send(request);
    reply.code = response.status;
    reply.headers = std::move(response.headers);
    reply.body = std::move(response.body);
  } catch (const InterruptedError& e) {
    reply.status = provider::Status::failure(provider::StatusCode::network, e.step(),
                                             "interrupted by a stop request");
  } catch (const NetworkError& e) {
    reply.status = provider::Status::failure(provider::StatusCode::network, e.step(), e.cause(),
                                             e.hint());
  } catch (const Error& e) {
    reply.status = provider::Status::failure(
        e.category() == ErrorCategory::config ? provider::StatusCode::config
                                              : provider::StatusCode::internal,
        e.step(), e.cause(), e.hint());
  } catch (const std::exception& e) {
    reply.status = provider::Status::failure(provider::StatusCode::internal,
                                             fmt::format("{} {}", call.method, redact_url(call.url)),
                                             e.what());
  }
  return reply;
}

}  // namespace dns01::plugins
