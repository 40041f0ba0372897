// HttpResponse accessors: case-insensitive headers, Retry-After (RFC 9110 §10.2.3) and Link
// (RFC 8288). All of them read untrusted server data and must never throw on odd input.
#include <algorithm>
#include <cctype>
#include <ctime>

#include "http_internal.hpp"

namespace dns01 {

namespace {
bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Cursor over one Link header value:  <uri> *( ";" param ) *( "," <uri> ... ).
class LinkParser {
 public:
  explicit LinkParser(std::string_view text) : s_(text) {}

  // Next link: target and its rel value (unquoted; empty if none). False at the end.
  bool next(std::string& target, std::string& rel) {
    while (pos_ < s_.size()) {
      skip(" \t,");
      if (pos_ >= s_.size()) return false;
      if (s_[pos_] != '<') {  // garbage: skip to the next link-value
        skip_to_comma();
        continue;
      }
      const std::size_t close = s_.find('>', pos_);
      if (close == std::string_view::npos) return false;
      target.assign(s_.substr(pos_ + 1, close - pos_ - 1));
      pos_ = close + 1;
      rel.clear();
      read_params(rel);
      return true;
    }
    return false;
  }

 private:
  void skip(std::string_view chars) {
    while (pos_ < s_.size() && chars.find(s_[pos_]) != std::string_view::npos) ++pos_;
  }

  // Skips to the next top-level comma, stepping over quoted strings.
  void skip_to_comma() {
    while (pos_ < s_.size() && s_[pos_] != ',') {
      if (s_[pos_] == '"') {
        std::string ignored;
        read_quoted(ignored);
      } else {
        ++pos_;
      }
    }
  }

  // At an opening quote: reads a quoted-string with backslash escapes.
  void read_quoted(std::string& out) {
    ++pos_;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
      out.push_back(s_[pos_++]);
    }
    if (pos_ < s_.size()) ++pos_;  // closing quote
  }

  // Parameters up to the next top-level comma; keeps the first rel (RFC 8288 §3.3).
  void read_params(std::string& rel) {
    bool have_rel = false;
    while (pos_ < s_.size()) {
      skip(" \t");
      if (pos_ >= s_.size() || s_[pos_] == ',') return;
      if (s_[pos_] != ';') {
        skip_to_comma();
        return;
      }
      ++pos_;
      skip(" \t");
      const std::size_t name_start = pos_;
      while (pos_ < s_.size() && s_[pos_] != '=' && s_[pos_] != ';' && s_[pos_] != ',') ++pos_;
      const std::string_view name = trim(s_.substr(name_start, pos_ - name_start));
      std::string value;
      if (pos_ < s_.size() && s_[pos_] == '=') {
        ++pos_;
        skip(" \t");
        if (pos_ < s_.size() && s_[pos_] == '"') {
          read_quoted(value);
        } else {
          const std::size_t v = pos_;
          while (pos_ < s_.size() && s_[pos_] != ';' && s_[pos_] != ',') ++pos_;
          value.assign(trim(s_.substr(v, pos_ - v)));
        }
      }
      if (!have_rel && iequals(name, "rel")) {
        rel = value;
        have_rel = true;
      }
    }
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

// True when the space-separated relation list contains `wanted` (case-insensitive).
bool has_relation(std::string_view list, std::string_view wanted) {
  std::size_t pos = 0;
  while (pos < list.size()) {
    const std::size_t start = list.find_first_not_of(" \t", pos);
    if (start == std::string_view::npos) break;
    std::size_t end = list.find_first_of(" \t", start);
    if (end == std::string_view::npos) end = list.size();
    if (iequals(list.substr(start, end - start), wanted)) return true;
    pos = end;
  }
  return false;
}
}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (iequals(key, name)) return value;
  return std::nullopt;
}

std::vector<std::string> HttpResponse::header_all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [key, value] : headers)
    if (iequals(key, name)) out.push_back(value);
  return out;
}

std::optional<std::chrono::seconds> HttpResponse::retry_after() const {
  const auto raw = header("Retry-After");
  if (!raw) return std::nullopt;
  const std::string_view value = trim(*raw);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); })) {
    // delta-seconds; clamp absurd values instead of overflowing (callers cap them anyway).
    constexpr long long kMax = 100LL * 365 * 24 * 3600;
    long long seconds = 0;
    for (char c : value) {
      seconds = seconds * 10 + (c - '0');
      if (seconds > kMax) return std::chrono::seconds{kMax};
    }
    return std::chrono::seconds{seconds};
  }
  // HTTP-date (IMF-fixdate, or the obsolete RFC 850 / asctime forms) through libcurl's parser.
  const std::string date(value);
  const time_t when = curl_getdate(date.c_str(), nullptr);
  if (when == -1) return std::nullopt;
  const time_t now = std::time(nullptr);
  return std::chrono::seconds{when > now ? static_cast<long long>(when - now) : 0};
}

std::vector<std::string> HttpResponse::links(std::string_view rel) const {
  std::vector<std::string> out;
  for (const auto& value : header_all("Link")) {
    LinkParser parser(value);
    std::string target, relations;
    while (parser.next(target, relations)) {
      if (!has_relation(relations, rel)) continue;
      if (auto resolved = http_detail::resolve_url(effective_url, target))
        out.push_back(std::move(*resolved));
    }
  }
  return out;
}

std::optional<std::string> HttpResponse::location() const {
  const auto raw = header("Location");
  if (!raw) return std::nullopt;
  return http_detail::resolve_url(effective_url, trim(*raw));
}

}  // namespace dns01
