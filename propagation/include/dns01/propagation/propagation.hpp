#pragma once
// The propagation check as the rest of dns01 uses it: "does every authoritative nameserver of
// the zone serve these TXT values?", answered the moment they all do.
//
//   dns01::propagation::Checker checker(config.propagation);
//   auto target = checker.resolve("_acme-challenge.example.com");  // CNAMEs followed
//   provider.add(target.zone, target.effective_name, value);       // write where it matters
//   checker.wait({{target.effective_name, value}, ...}, progress); // one wait for the order
//   checker.wait(records, {.timeout = left, .cancelled = gone, .progress = show});  // per call
//
// Policies (PropagationSettings, [propagation] in dns01.toml):
//  - default: every address of every NS of the zone, found by discovery, must serve the values;
//  - nameservers = [...]: check exactly these servers instead (split horizon, testbeds);
//  - require_recursive: the resolvers must also return the values (asked after the
//    authoritative servers all do);
//  - extra_wait: a fixed wait after success, for CAs with their own caches (opt-in).
// Discovery questions go to `resolvers`; without them to the explicit `nameservers`; without
// either to the nameservers of /etc/resolv.conf.
//
// Cancellation: options().cancelled is dns01::stop_requested() from the start, so a wait ends
// with InterruptedError on SIGINT/SIGTERM wherever a StopOnSignals is alive; callers do not set it.
//
// Threading: a Checker is used by one thread at a time. Its discovery cache lives as long as it.
// Errors: PropagationError (timeout, CNAME loop, zone not found, no NS), ConfigError (a server
// that is not an IP address), InterruptedError (cancelled).
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "dns01/config.hpp"
#include "dns01/propagation/checker.hpp"
#include "dns01/propagation/discovery.hpp"
#include "dns01/propagation/transport.hpp"

namespace dns01::propagation {

// What one check()/wait() call needs beyond the Checker's shared options(), which a call
// never changes (several flows can share one Checker one after another).
struct CallOptions {
  // Instead of options().timeout for this call (e.g. what is left of an outer deadline).
  std::optional<std::chrono::milliseconds> timeout{};
  // Checked besides options().cancelled (stop_requested()), at least every 100 ms; true ends
  // the call with InterruptedError.
  std::function<bool()> cancelled{};
  ProgressFn progress{};
};

class Checker {
 public:
  explicit Checker(const PropagationSettings& settings, TransportOptions transport = {});

  // CNAME following and zone discovery for one record name (cached).
  Target resolve(std::string_view record_name);

  // Resolves every record name, finds the servers to ask and runs one wait for all of them.
  // Returns ok=false on timeout.
  CheckResult check(const std::vector<Expectation>& records, const ProgressFn& progress = {});
  // Like check(), but throws failure_error() on timeout.
  CheckResult wait(const std::vector<Expectation>& records, const ProgressFn& progress = {});
  // The same with per-call timeout, cancellation and progress (CallOptions).
  CheckResult check(const std::vector<Expectation>& records, const CallOptions& call);
  CheckResult wait(const std::vector<Expectation>& records, const CallOptions& call);

  // Schedule, timeout, budget and policies; initialised from the settings, adjustable before
  // check(). Prefer CallOptions to changing them for one call.
  CheckOptions& options() { return options_; }
  const std::vector<ServerAddress>& bootstrap() const { return bootstrap_; }

 private:
  std::vector<AuthServer> servers_for(const Target& target);

  PropagationSettings settings_;
  CheckOptions options_;
  std::unique_ptr<Transport> transport_;
  std::vector<ServerAddress> bootstrap_;
  std::vector<ServerAddress> resolvers_;  // for require_recursive
  std::vector<AuthServer> explicit_;      // from settings.nameservers
  std::unique_ptr<Discovery> discovery_;
};

// The nameservers listed in a resolv.conf file (port 53); empty when none or unreadable.
std::vector<ServerAddress> resolv_conf_servers(const std::filesystem::path& path = "/etc/resolv.conf");

}  // namespace dns01::propagation
