#pragma once
// The host side of provider::Host: logging through Logger with the instance's component, the
// core's HttpClient (created on first use, so DNS-only providers never build a curl pool), and
// secret registration with Redactor::global(). Private to libdns01.
#include <memory>
#include <mutex>
#include <string>

#include "dns01/http.hpp"
#include "dns01/log.hpp"
#include "dns01/plugins/loader.hpp"
#include "dns01/provider.hpp"

namespace dns01::plugins {

class HostServices final : public provider::Host {
 public:
  // component: "rfc2136" or "rfc2136[internal]", used for log lines and HTTP errors.
  HostServices(std::string component, const HostOptions& options);
  ~HostServices();

  void log(provider::Severity severity, std::string_view message) noexcept override;
  provider::HttpReply http(const provider::HttpCall& call) noexcept override;
  void add_secret(std::string_view value) noexcept override;

 private:
  HttpClient& client();  // throws ConfigError when the CA bundle is unusable

  std::string component_;
  Logger* logger_;
  std::string ca_bundle_;
  std::mutex mutex_;  // guards the lazy creation of client_
  std::unique_ptr<HttpClient> client_;
};

}  // namespace dns01::plugins
