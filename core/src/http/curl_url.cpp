// URL resolution with libcurl's URL API (CURLU), so relative references (Location, Link) are
// resolved exactly as libcurl itself would.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include <fmt/format.h>

#include "http_internal.hpp"

namespace dns01 {
namespace http_detail {

namespace {

std::optional<std::string> get_part(CURLU* url, CURLUPart part, unsigned flags = 0) {
  char* raw = nullptr;
  if (curl_url_get(url, part, &raw, flags) != CURLUE_OK) return std::nullopt;
  CurlCharPtr owned{raw};
  return std::string(raw);
}

bool is_http_scheme(CURLU* url) {
  auto scheme = get_part(url, CURLUPART_SCHEME);
  if (!scheme) return false;
  std::transform(scheme->begin(), scheme->end(), scheme->begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return *scheme == "http" || *scheme == "https";
}
}  // namespace

std::optional<std::string> resolve_url(std::string_view base, std::string_view ref) {
  CurlUrlPtr url{curl_url()};
  if (!url) return std::nullopt;
  const std::string ref_s(ref);
  if (ref_s.empty() || ref_s.find_first_of("\r\n") != std::string::npos) return std::nullopt;
  if (!base.empty()) {
    const std::string base_s(base);
    if (curl_url_set(url.get(), CURLUPART_URL, base_s.c_str(), 0) != CURLUE_OK)
      return std::nullopt;
  }
  // With a base already set, CURLUPART_URL accepts a relative reference and resolves it.
  if (curl_url_set(url.get(), CURLUPART_URL, ref_s.c_str(), 0) != CURLUE_OK) return std::nullopt;
  if (!is_http_scheme(url.get())) return std::nullopt;
  return get_part(url.get(), CURLUPART_URL);
}

std::string url_origin(std::string_view url_text) {
  CurlUrlPtr url{curl_url()};
  const std::string s(url_text);
  if (!url || curl_url_set(url.get(), CURLUPART_URL, s.c_str(), 0) != CURLUE_OK) return {};
  auto scheme = get_part(url.get(), CURLUPART_SCHEME);
  auto host = get_part(url.get(), CURLUPART_HOST);
  auto port = get_part(url.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (!scheme || !host || !port) return {};
  std::string origin = *scheme + "://" + *host + ":" + *port;
  std::transform(origin.begin(), origin.end(), origin.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return origin;
}

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The host of a URL without IPv6 brackets or zone id, lower case; nullopt when unparsable.
std::optional<std::string> host_of(CURLU* url) {
  auto host = get_part(url, CURLUPART_HOST);
  if (!host) return std::nullopt;
  std::string h = lower(*host);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (auto pct = h.find('%'); pct != std::string::npos) h.erase(pct);
  return h;
}

bool is_loopback_host(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr v4{};
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

}  // namespace

std::string refused_address(const sockaddr* address) {
  if (address == nullptr) return {};
  char text[INET6_ADDRSTRLEN] = {};
  std::uint32_t v4 = 0;
  if (address->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    v4 = ntohl(in->sin_addr.s_addr);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
  } else if (address->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    const unsigned char* b = in6->sin6_addr.s6_addr;
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      v4 = (std::uint32_t{b[12]} << 24) | (std::uint32_t{b[13]} << 16) |
           (std::uint32_t{b[14]} << 8) | b[15];
    } else {
      if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
        return fmt::format("{} is a link-local address", text);
      static const unsigned char kAwsImds[16] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0,
                                                 0,    0,    0,    0,    0, 0, 0x02, 0x54};
      if (std::memcmp(b, kAwsImds, 16) == 0)
        return fmt::format("{} is the cloud instance metadata service", text);
      return {};
    }
  } else {
    return {};
  }
  constexpr std::uint32_t kAlibabaMetadata = 0x646464c8;  // 100.100.100.200
  if (v4 == kAlibabaMetadata) return fmt::format("{} is a cloud instance metadata service", text);
  // 169.254.0.0/16 holds the metadata service of AWS, GCP, Azure, OpenStack (169.254.169.254)
  // and of containers (169.254.170.2): nothing an ACME server lives on.
  if ((v4 >> 16) == 0xa9fe) return fmt::format("{} is a link-local address", text);
  return {};
}

}  // namespace http_detail

std::string url_policy_violation(std::string_view url_text, const UrlPolicy& policy) {
  using namespace http_detail;
  if (!policy.https_only && !policy.refuse_link_local) return {};
  CurlUrlPtr url{curl_url()};
  const std::string s(url_text);
  if (!url || curl_url_set(url.get(), CURLUPART_URL, s.c_str(), 0) != CURLUE_OK)
    return "it is not a valid URL";
  const auto scheme = get_part(url.get(), CURLUPART_SCHEME);
  const auto host = host_of(url.get());
  if (!scheme || !host) return "it is not a valid URL";
  if (policy.https_only && lower(*scheme) != "https" &&
      !(policy.allow_http_loopback && lower(*scheme) == "http" && is_loopback_host(*host)))
    return "only https:// is allowed here (RFC 8555 §6.1 requires HTTPS for ACME)";
  if (policy.refuse_link_local) {
    if (*host == "metadata.google.internal" || *host == "metadata.google.internal.")
      return fmt::format("{} is a cloud instance metadata service", *host);
    sockaddr_storage ss{};
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (inet_pton(AF_INET, host->c_str(), &in->sin_addr) == 1)
      ss.ss_family = AF_INET;
    else if (inet_pton(AF_INET6, host->c_str(), &in6->sin6_addr) == 1)
      ss.ss_family = AF_INET6;
    if (ss.ss_family != 0) return refused_address(reinterpret_cast<const sockaddr*>(&ss));
  }
  return {};
}

}  // namespace dns01
