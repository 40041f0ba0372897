// Small value parsers of the configuration: endpoints, durations, DNS names.
#include <arpa/inet.h>
#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <stdexcept>

#include "dns01/config.hpp"

namespace dns01 {

namespace {

[[noreturn]] void bad_endpoint(std::string_view text, std::string_view why) {
  throw std::invalid_argument(fmt::format("'{}' is not a valid endpoint: {}", text, why));
}

bool is_ipv4(const std::string& s) {
  in_addr a{};
  return ::inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool is_ipv6(const std::string& s) {
  in6_addr a{};
  return ::inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

std::uint16_t parse_port(std::string_view text, std::string_view port) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
      value > 65535)
    bad_endpoint(text, fmt::format("port '{}' is not a number in 1..65535", port));
  return static_cast<std::uint16_t>(value);
}

// Host names in endpoints follow the same label rules as zones; a trailing dot is kept out.
std::string check_hostname(std::string_view text, std::string_view host) {
  try {
    return normalize_dns_name(host);
  } catch (const std::invalid_argument& e) {
    bad_endpoint(text, fmt::format("'{}' is neither an IP address nor a host name ({})", host,
                                   e.what()));
  }
}

}  // namespace

std::string Endpoint::str() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

Endpoint parse_endpoint(std::string_view text, std::uint16_t default_port) {
  if (text.empty()) bad_endpoint(text, "it is empty");
  Endpoint ep;
  ep.port = default_port;
  if (text.front() == '[') {  // [v6] or [v6]:port
    auto close = text.find(']');
    if (close == std::string_view::npos) bad_endpoint(text, "missing ']'");
    ep.host = std::string(text.substr(1, close - 1));
    if (!is_ipv6(ep.host)) bad_endpoint(text, fmt::format("'{}' is not an IPv6 address", ep.host));
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') bad_endpoint(text, "expected ':port' after ']'");
      ep.port = parse_port(text, rest.substr(1));
    }
    return ep;
  }
  const auto first = text.find(':');
  if (first != std::string_view::npos && text.find(':', first + 1) != std::string_view::npos) {
    // Two colons or more: a bare IPv6 address, which cannot carry a port without brackets.
    ep.host = std::string(text);
    if (!is_ipv6(ep.host))
      bad_endpoint(text, "not an IPv6 address (write \"[v6]:port\" to give a port)");
    return ep;
  }
  std::string_view host = text.substr(0, first);
  if (first != std::string_view::npos) ep.port = parse_port(text, text.substr(first + 1));
  if (host.empty()) bad_endpoint(text, "the host is empty");
  ep.host = std::string(host);
  if (is_ipv4(ep.host)) return ep;
  const bool digits_and_dots = host.find_first_not_of("0123456789.") == std::string_view::npos;
  if (digits_and_dots) bad_endpoint(text, fmt::format("'{}' is not an IPv4 address", host));
  ep.host = check_hostname(text, host);
  return ep;
}

std::chrono::milliseconds parse_duration(std::string_view text) {
  auto bad = [&](std::string_view why) -> std::invalid_argument {
    return std::invalid_argument(fmt::format(
        "'{}' is not a duration ({}); write e.g. \"90s\", \"2m\", \"500ms\", \"1h30m\"", text, why));
  };
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  if (text.empty()) throw bad("it is empty");
  if (text.front() == '-') throw bad("it is negative");

  constexpr long long kMax = 1000LL * 3600 * 24 * 365 * 100;  // a century is plenty
  long long total_ms = 0;
  std::size_t i = 0;
  bool bare = true;
  while (i < text.size()) {
    long long number = 0;
    auto [end, ec] = std::from_chars(text.data() + i, text.data() + text.size(), number);
    if (ec == std::errc::result_out_of_range) throw bad("it is too large");
    if (ec != std::errc()) throw bad(fmt::format("expected a number at '{}'", text.substr(i)));
    if (number < 0) throw bad("it is negative");
    i = static_cast<std::size_t>(end - text.data());
    if (i < text.size() && text[i] == '.') throw bad("fractions are not supported, use ms");
    std::size_t unit_begin = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_begin, i - unit_begin);
    long long factor = 0;
    if (unit.empty()) {
      if (i != text.size() || !bare) throw bad("a number without a unit");
      factor = 1000;  // a bare integer means seconds
    } else if (unit == "ms") {
      factor = 1;
    } else if (unit == "s") {
      factor = 1000;
    } else if (unit == "m") {
      factor = 60'000;
    } else if (unit == "h") {
      factor = 3'600'000;
    } else {
      throw bad(fmt::format("unknown unit '{}', use ms, s, m or h", unit));
    }
    bare = false;
    if (number > kMax / factor || total_ms + number * factor > kMax) throw bad("it is too large");
    total_ms += number * factor;
  }
  return std::chrono::milliseconds(total_ms);
}

std::string format_duration(std::chrono::milliseconds duration) {
  const long long ms = duration.count();
  if (ms == 0) return "0s";
  if (ms % 3'600'000 == 0) return fmt::format("{}h", ms / 3'600'000);
  if (ms % 60'000 == 0) return fmt::format("{}m", ms / 60'000);
  if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}ms", ms);
}

std::string normalize_dns_name(std::string_view name) {
  auto bad = [&](std::string_view why) {
    return std::invalid_argument(fmt::format("'{}' is not a valid DNS name: {}", name, why));
  };
  std::string n(name);
  if (!n.empty() && n.back() == '.') n.pop_back();
  if (n.empty()) throw bad("it is empty");
  if (n.size() > 253) throw bad("longer than 253 characters");
  std::size_t label_start = 0;
  for (std::size_t i = 0; i <= n.size(); ++i) {
    if (i == n.size() || n[i] == '.') {
      const std::size_t len = i - label_start;
      if (len == 0) throw bad("it has an empty label");
      if (len > 63) throw bad("a label is longer than 63 characters");
      if (n[label_start] == '-' || n[i - 1] == '-')
        throw bad("a label starts or ends with '-'");
      label_start = i + 1;
      continue;
    }
    const auto u = static_cast<unsigned char>(n[i]);
    if (u >= 0x80) throw bad("non-ASCII characters; write the xn-- (punycode) form");
    if (!std::isalnum(u) && n[i] != '-' && n[i] != '_')
      throw bad(fmt::format("character '{}' is not allowed (letters, digits, '-', '_')", n[i]));
    n[i] = static_cast<char>(std::tolower(u));
  }
  return n;
}

}  // namespace dns01
