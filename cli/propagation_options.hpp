#pragma once
// The propagation options `issue` and `renew` share (certbot's --dns-*-propagation-seconds and
// lego's --dns.propagation-* / --dns.resolvers users look for them). They override
// [propagation] of dns01.toml for this run only; `check` has its own, older spellings
// (--timeout, --nameserver, --resolver), see docs/cli.md.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "dns01/config.hpp"

namespace dns01::cli {

struct PropagationArgs {
  std::optional<std::string> timeout;    // --propagation-timeout 5m
  std::vector<std::string> nameservers;  // --nameserver IP[:port] (repeatable)
  std::vector<std::string> resolvers;    // --resolver IP[:port] (repeatable)
  bool require_recursive = false;        // --require-recursive
};

// Declares the options on `cmd`; `args` must outlive the parse.
void add_propagation_options(CLI::App* cmd, PropagationArgs& args);

// IP[:port] / [IPv6]:port texts as endpoints (`port` when none is given); host names are
// refused. Throws UsageError "<component>: read <option>: ...".
std::vector<Endpoint> parse_endpoints(const std::vector<std::string>& texts, std::uint16_t port,
                                      const char* option, const char* component);

// `config` with [propagation] overridden by what was given. Throws UsageError naming the option
// (`component` is the verb) for a malformed duration or address.
Config with_propagation(const Config& config, const PropagationArgs& args, const char* component);

}  // namespace dns01::cli
