#pragma once
// The host side of provider::Host: logging through Logger with the instance's component, the
// core's HttpClient (created on first use, so DNS-only providers never build a curl pool), and
// secret registration with Redactor::global(), cancellation through dns01::stop_requested()
// (SIGINT/SIGTERM) and an injectable environment. Private to libdns01.
#include <atomic>
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
  bool stop_requested() const noexcept override;
  bool sleep(std::chrono::milliseconds duration) noexcept override;
  std::optional<std::string> env(std::string_view name) const noexcept override;

  // The environment this instance sees (HostOptions::env, or the process's at construction).
  const Environment& environment() const noexcept { return env_; }

  // While one lives, stop_requested() and sleep() ignore a pending stop: removing records is the
  // cleanup a stop asks for, so it must still run (HTTP timeouts bound it; a second Ctrl-C ends
  // the process, see signals.hpp). ProviderInstance holds one around remove()/remove_all().
  class Cleanup {
   public:
    explicit Cleanup(HostServices& host) : host_(host) { host_.cleaning_ = true; }
    ~Cleanup() { host_.cleaning_ = false; }
    Cleanup(const Cleanup&) = delete;
    Cleanup& operator=(const Cleanup&) = delete;

   private:
    HostServices& host_;
  };

 private:
  HttpClient& client();  // throws ConfigError when the CA bundle is unusable

  std::string component_;
  Logger* logger_;
  std::string ca_bundle_;
  Environment env_;
  std::atomic<bool> cleaning_{false};
  std::mutex mutex_;  // guards the lazy creation of client_
  std::unique_ptr<HttpClient> client_;
};

}  // namespace dns01::plugins
