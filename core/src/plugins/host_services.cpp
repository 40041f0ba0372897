// Host services handed to providers (see host_services.hpp). Every entry point is noexcept:
// failures become a Status, as the provider ABI requires.
#include "host_services.hpp"

#include <fmt/format.h>

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
      ca_bundle_(options.ca_bundle) {}

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

HttpClient& HostServices::client() {
  std::lock_guard lock(mutex_);
  if (!client_) {
    HttpOptions options;
    options.ca_bundle = ca_bundle_;
    options.component = component_;
    options.logger = logger_;
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
    HttpResponse response = client().send(request);
    reply.code = response.status;
    reply.headers = std::move(response.headers);
    reply.body = std::move(response.body);
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
