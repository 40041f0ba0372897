// Redactor: registered secrets plus pattern-based masking of well-known secret carriers.
//
// Every detector reports byte ranges of the ORIGINAL text to mask; the ranges are merged and each
// merged range becomes one "[REDACTED]". Working on ranges instead of replacing in place means
// overlapping secrets (one's tail is another's head) never leave a visible remainder, and the
// detectors cannot be fooled by each other's replacements. Each detector is a single forward
// scan (no std::regex: it is slow and can backtrack), so the cost stays linear in the text size
// times the (small) number of registered secrets.
#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include "dns01/log.hpp"

namespace dns01 {

namespace {

constexpr std::string_view kMask = "[REDACTED]";

using Range = std::pair<std::size_t, std::size_t>;  // [begin, end)

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

// --- registered secrets ------------------------------------------------------------------

void find_secrets(std::string_view text, const std::vector<std::string>& secrets,
                  std::vector<Range>& out) {
  for (const auto& s : secrets)
    for (auto pos = text.find(s); pos != std::string_view::npos; pos = text.find(s, pos + 1))
      out.emplace_back(pos, pos + s.size());
}

// --- headers: "Authorization: Bearer x" ------------------------------------------------------

bool is_secret_header(std::string_view name) {
  const std::string n = to_lower(name);
  if (n == "authorization" || n == "proxy-authorization" || n == "cookie" || n == "set-cookie" ||
      n == "api-key")
    return true;
  if (n.starts_with("x-auth-") || n.starts_with("x-api-")) return true;
  return n.ends_with("-token") || n.ends_with("-key") || n.ends_with("-secret");
}

// Names that are also ordinary words: ACME says "authorization" for what a CA validates, so
// "acme: fetch authorization: the CA answered 404" must stay readable.
bool is_word_header(std::string_view name) {
  const std::string n = to_lower(name);
  return n == "authorization" || n == "cookie";
}

// Whether the header name starting at `begin` stands where a header does: at the start of the
// text or a line (after optional blanks and a "> " / "< " trace prefix), or right after a
// delimiter of a header list or quoted text — not after a word, as in running prose.
bool at_header_position(std::string_view text, std::size_t begin) {
  std::size_t i = begin;
  while (i > 0 && is_space(text[i - 1])) --i;
  if (i > 0 && (text[i - 1] == '>' || text[i - 1] == '<')) {
    --i;
    while (i > 0 && is_space(text[i - 1])) --i;
  }
  if (i == 0) return true;
  return std::string_view("\r\n\"'{[(,;|").find(text[i - 1]) != std::string_view::npos;
}

void find_headers(std::string_view text, std::vector<Range>& out) {
  for (std::size_t colon = text.find(':'); colon != std::string_view::npos;
       colon = text.find(':', colon + 1)) {
    std::size_t begin = colon;
    while (begin > 0 && is_token_char(text[begin - 1])) --begin;
    if (begin == colon || !is_secret_header(text.substr(begin, colon - begin))) continue;
    if (is_word_header(text.substr(begin, colon - begin)) && !at_header_position(text, begin))
      continue;
    std::size_t v = colon + 1;
    while (v < text.size() && is_space(text[v])) ++v;
    std::size_t end = v;
    if (v < text.size() && text[v] == '"') {  // quoted value: up to the closing quote
      ++v;
      end = text.find('"', v);
      if (end == std::string_view::npos) end = text.find_first_of("\r\n", v);
    } else {  // a header value runs to the end of the line (schemes like "Bearer x" included)
      end = text.find_first_of("\r\n", v);
    }
    if (end == std::string_view::npos) end = text.size();
    if (end > v) out.emplace_back(v, end);
  }
}

// --- query / form parameters: "?token=x&..." --------------------------------------------------

bool is_secret_param(std::string_view name) {
  static constexpr std::array<std::string_view, 14> kNames = {
      "token",  "access_token", "refresh_token", "secret",  "client_secret",
      "password", "passwd",     "key",           "api_key", "apikey",
      "sig",    "signature",    "hmac",          "auth"};
  const std::string n = to_lower(name);
  for (auto k : kNames)
    if (n == k) return true;
  return n.ends_with("_token") || n.ends_with("_secret") || n.ends_with("_password") ||
         n.ends_with("_key");
}

void find_params(std::string_view text, std::vector<Range>& out) {
  for (std::size_t eq = text.find('='); eq != std::string_view::npos; eq = text.find('=', eq + 1)) {
    std::size_t begin = eq;
    while (begin > 0 && is_token_char(text[begin - 1])) --begin;
    if (begin == eq || !is_secret_param(text.substr(begin, eq - begin))) continue;
    std::size_t end = eq + 1;
    while (end < text.size()) {
      char c = text[end];
      if (c == '&' || c == '"' || c == '\'' || c == '<' || c == '>' ||
          std::isspace(static_cast<unsigned char>(c)))
        break;
      ++end;
    }
    if (end > eq + 1) out.emplace_back(eq + 1, end);
  }
}

// --- JSON members: "client_secret": "x" ------------------------------------------------------

bool is_secret_member(std::string_view name) {
  const std::string n = to_lower(name);
  return n.find("secret") != std::string::npos || n.find("token") != std::string::npos ||
         n.find("password") != std::string::npos || n == "passwd" || n == "hmac_key" ||
         n == "private_key" || n == "api_key" || n == "apikey" || n == "authorization";
}

// End of the JSON string whose opening quote is at `open` (index of the closing quote), or npos.
std::size_t string_end(std::string_view text, std::size_t open) {
  for (std::size_t i = open + 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      return i;
    }
  }
  return std::string_view::npos;
}

void find_json_members(std::string_view text, std::vector<Range>& out) {
  std::size_t open = text.find('"');
  while (open != std::string_view::npos) {
    std::size_t close = string_end(text, open);
    if (close == std::string_view::npos) return;
    std::size_t k = close + 1;
    while (k < text.size() && std::isspace(static_cast<unsigned char>(text[k]))) ++k;
    if (k < text.size() && text[k] == ':' &&
        is_secret_member(text.substr(open + 1, close - open - 1))) {
      ++k;
      while (k < text.size() && std::isspace(static_cast<unsigned char>(text[k]))) ++k;
      if (k < text.size() && text[k] == '"') {
        std::size_t vend = string_end(text, k);
        if (vend == std::string_view::npos) vend = text.size();  // truncated: mask the rest
        if (vend > k + 1) out.emplace_back(k + 1, vend);
      }
    }
    open = text.find('"', close + 1);
  }
}

// --- BIND key syntax: secret "base64"; -------------------------------------------------------

void find_bind_secrets(std::string_view text, std::vector<Range>& out) {
  constexpr std::string_view kWord = "secret";
  for (std::size_t i = 0; i + kWord.size() <= text.size(); ++i) {
    if (lower(text[i]) != 's' || !iequals(text.substr(i, kWord.size()), kWord)) continue;
    if (i > 0 && is_token_char(text[i - 1])) continue;
    std::size_t v = i + kWord.size();
    if (v >= text.size() || !std::isspace(static_cast<unsigned char>(text[v]))) continue;
    while (v < text.size() && std::isspace(static_cast<unsigned char>(text[v]))) ++v;
    if (v >= text.size() || text[v] != '"') continue;
    std::size_t end = text.find('"', v + 1);
    if (end == std::string_view::npos) end = text.size();
    if (end > v + 1) out.emplace_back(v + 1, end);
    i = end - 1;
  }
}

// Other spellings under which a registered value may show up in output: base64url keys (EAB MAC
// keys) are often echoed in standard base64, and any value may appear percent-encoded in a URL.
std::vector<std::string> variants(const std::string& value) {
  std::vector<std::string> out;
  const bool b64ish = std::all_of(value.begin(), value.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '+' ||
           c == '/' || c == '=';
  });
  if (b64ish && value.size() >= 16) {
    std::string unpadded = value.substr(0, value.find_last_not_of('=') + 1);
    std::string std_alpha = unpadded, url_alpha = unpadded;
    std::replace(std_alpha.begin(), std_alpha.end(), '-', '+');
    std::replace(std_alpha.begin(), std_alpha.end(), '_', '/');
    std::replace(url_alpha.begin(), url_alpha.end(), '+', '-');
    std::replace(url_alpha.begin(), url_alpha.end(), '/', '_');
    out.push_back(std_alpha);
    out.push_back(url_alpha);
  }
  std::string pct;
  for (char c : value) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      pct += c;
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      pct += '%';
      pct += kHex[(static_cast<unsigned char>(c) >> 4) & 0xF];
      pct += kHex[static_cast<unsigned char>(c) & 0xF];
    }
  }
  out.push_back(pct);
  return out;
}

}  // namespace

Redactor& Redactor::global() {
  static Redactor redactor;
  return redactor;
}

void Redactor::add_secret(std::string value) {
  if (value.size() < 4) return;
  std::vector<std::string> all = variants(value);
  all.push_back(std::move(value));
  std::lock_guard lock(mutex_);
  for (auto& v : all) {
    if (v.size() < 4 || std::find(secrets_.begin(), secrets_.end(), v) != secrets_.end())
      continue;
    secrets_.push_back(std::move(v));
  }
}

std::string Redactor::apply(std::string_view text) const {
  std::vector<Range> ranges;
  {
    std::lock_guard lock(mutex_);
    find_secrets(text, secrets_, ranges);
  }
  find_headers(text, ranges);
  find_params(text, ranges);
  find_json_members(text, ranges);
  find_bind_secrets(text, ranges);
  if (ranges.empty()) return std::string(text);

  std::sort(ranges.begin(), ranges.end());
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  for (std::size_t i = 0; i < ranges.size();) {
    std::size_t begin = ranges[i].first, end = ranges[i].second;
    for (++i; i < ranges.size() && ranges[i].first <= end; ++i)
      end = std::max(end, ranges[i].second);
    out.append(text.substr(pos, begin - pos));
    out.append(kMask);
    pos = end;
  }
  out.append(text.substr(pos));
  return out;
}

void Redactor::clear() {
  std::lock_guard lock(mutex_);
  secrets_.clear();
}

}  // namespace dns01
