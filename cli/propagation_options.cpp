#include "propagation_options.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "dns01/error.hpp"
#include "dns01/propagation/propagation.hpp"

namespace dns01::cli {
std::vector<Endpoint> parse_endpoints(const std::vector<std::string>& texts, std::uint16_t port,
                                      const char* option, const char* component) {
  std::vector<Endpoint> out;
  for (const auto& t : texts) {
    std::string why;
    try {
      out.push_back(parse_endpoint(t, port));
      if (propagation::make_address(out.back().host, out.back().port)) continue;
      why = fmt::format("'{}' is not an IP address", out.back().host);
    } catch (const std::invalid_argument& e) {
      why = e.what();
    }
    throw UsageError(component, fmt::format("read {}", option), why,
                     "give IP, IP:port or [IPv6]:port (host names are not resolved here)");
  }
  return out;
}

void add_propagation_options(CLI::App* cmd, PropagationArgs& a) {
  const char* group = "Propagation (override [propagation] of the config)";
  cmd->add_option("--propagation-timeout", a.timeout,
                  "Give up waiting for the nameservers after this long (e.g. 90s, 10m; default "
                  "[propagation] timeout, else 300s)")
      ->group(group);
  cmd->add_option("--nameserver", a.nameservers,
                  "Check exactly these authoritative servers (IP[:port]; repeatable, or "
                  "comma-separated) instead of each zone's NS set: split horizon, hidden primaries")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->group(group);
  cmd->add_option("--resolver", a.resolvers,
                  "Resolver for CNAME, zone and NS discovery (IP[:port]; repeatable, or "
                  "comma-separated; default /etc/resolv.conf)")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->group(group);
  cmd->add_flag("--require-recursive", a.require_recursive,
                "Also wait until the resolvers return the values")
      ->group(group);
}

Config with_propagation(const Config& config, const PropagationArgs& a, const char* component) {
  Config c = config;
  auto& p = c.propagation;
  if (a.timeout) {
    try {
      p.timeout = parse_duration(*a.timeout);
    } catch (const std::invalid_argument& e) {
      throw UsageError(component, "read --propagation-timeout", e.what(),
                       "durations look like 90s, 10m, 500ms or a number of seconds");
    }
  }
  if (!a.nameservers.empty()) p.nameservers = parse_endpoints(a.nameservers, p.port, "--nameserver", component);
  if (!a.resolvers.empty()) p.resolvers = parse_endpoints(a.resolvers, 53, "--resolver", component);
  if (a.require_recursive) p.require_recursive = true;
  return c;
}

}  // namespace dns01::cli
