// Keeps credentials out of HTTP log lines and error messages. The logger's Redactor also masks
// known patterns, but the HTTP code knows which parts are headers and query parameters, so it
// masks them itself rather than relying on a regex catching every spelling.
#include <algorithm>
#include <cctype>

#include "http_internal.hpp"

namespace dns01 {

namespace {
constexpr std::string_view kRedacted = "[REDACTED]";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Query parameter names whose values are credentials (access_token, api_key, X-Amz-Signature,
// client_secret, password, auth, ...).
bool is_secret_param(std::string_view name) {
  const std::string n = lower(name);
  for (std::string_view word : {"token", "key", "secret", "sig", "pass", "pwd", "auth",
                                "credential", "session"})
    if (contains(n, word)) return true;
  return false;
}

// Masks the values of secret parameters in "a=1&token=x&b" (no leading '?').
std::string redact_query(std::string_view query) {
  std::string out;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view pair = query.substr(start, end - start);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && is_secret_param(pair.substr(0, eq))) {
      out.append(pair.substr(0, eq + 1));
      out.append(kRedacted);
    } else {
      out.append(pair);
    }
    if (end == query.size()) break;
    out.push_back('&');
    start = end + 1;
  }
  return out;
}
}  // namespace

bool is_secret_header(std::string_view name) {
  const std::string n = lower(name);
  if (n == "authorization" || n == "proxy-authorization" || n == "cookie" || n == "set-cookie")
    return true;
  if (n.rfind("x-auth", 0) == 0) return true;  // X-Auth-Key, X-Auth-Token, X-Auth-Email...
  return contains(n, "token") || contains(n, "secret") || contains(n, "password") ||
         contains(n, "signature") || ends_with(n, "key");  // Api-Key, X-Api-Key, *-Key
}

std::string redact_url(std::string_view url) {
  std::string out;
  // Userinfo: "scheme://user:password@host" -> "scheme://user:[REDACTED]@host".
  std::size_t authority = url.find("://");
  authority = authority == std::string_view::npos ? 0 : authority + 3;
  const std::size_t authority_end = std::min(url.find_first_of("/?#", authority), url.size());
  const std::size_t at = url.substr(0, authority_end).rfind('@');
  std::size_t pos = 0;
  if (at != std::string_view::npos && at >= authority) {
    const std::size_t colon = url.substr(0, at).find(':', authority);
    if (colon != std::string_view::npos) {
      out.append(url.substr(0, colon + 1));
      out.append(kRedacted);
      pos = at;
    }
  }
  const std::size_t q = url.find('?', pos);
  if (q == std::string_view::npos) {
    out.append(url.substr(pos));
    return out;
  }
  out.append(url.substr(pos, q + 1 - pos));
  // The query ends at the fragment, or at a space when this is a request line.
  std::size_t hash = url.find_first_of("# ", q);
  if (hash == std::string_view::npos) hash = url.size();
  out.append(redact_query(url.substr(q + 1, hash - q - 1)));
  out.append(url.substr(hash));
  return out;
}

namespace http_detail {

std::string redact_header(std::string_view name, std::string_view value) {
  std::string out(name);
  out.append(": ");
  out.append(is_secret_header(name) ? kRedacted : value);
  return out;
}

std::string redact_header_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  const std::size_t colon = line.find(':');
  const std::size_t space = line.find(' ');
  // A request line ("GET /path?x HTTP/1.1") or a status line has a space before any colon.
  if (colon == std::string_view::npos || (space != std::string_view::npos && space < colon))
    return redact_url(line);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  return redact_header(line.substr(0, colon), value);
}

std::string body_excerpt(std::string_view body, std::size_t max) {
  // One log line per excerpt: line breaks are shown escaped, other control bytes as '.'.
  std::string out;
  for (char c : body.substr(0, max)) {
    if (c == '\n')
      out.append("\\n");
    else if (c == '\r')
      out.append("\\r");
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      out.push_back('.');
    else
      out.push_back(c);
  }
  if (body.size() > max) out.append("...");
  return out;
}

}  // namespace http_detail
}  // namespace dns01
