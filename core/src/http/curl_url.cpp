// URL resolution with libcurl's URL API (CURLU), so relative references (Location, Link) are
// resolved exactly as libcurl itself would.
#include <algorithm>
#include <cctype>

#include "http_internal.hpp"

namespace dns01::http_detail {

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

}  // namespace dns01::http_detail
