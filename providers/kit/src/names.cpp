// DNS-name helpers of the provider kit (see dns01/kit/names.hpp).
#include "dns01/kit/names.hpp"

#include <stdexcept>

namespace dns01::kit {

std::string normalize_name(std::string_view name) {
  std::string out(name);
  if (!out.empty() && out.back() == '.') out.pop_back();
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool in_zone(std::string_view name, std::string_view zone) {
  const std::string n = normalize_name(name);
  const std::string z = normalize_name(zone);
  if (z.empty()) return true;  // the root holds everything
  if (n == z) return true;
  return n.size() > z.size() && n.ends_with(z) && n[n.size() - z.size() - 1] == '.';
}

std::string relative_name(std::string_view name, std::string_view zone) {
  const std::string n = normalize_name(name);
  const std::string z = normalize_name(zone);
  if (!in_zone(n, z))
    throw std::invalid_argument("'" + n + "' is not in zone '" + z + "'");
  if (n == z) return "@";
  return z.empty() ? n : n.substr(0, n.size() - z.size() - 1);
}

std::vector<std::string> zone_candidates(std::string_view name) {
  std::vector<std::string> out;
  std::string n = normalize_name(name);
  while (true) {
    const auto dot = n.find('.');
    if (dot == std::string::npos) break;  // a single label (a TLD) is never a customer zone
    out.push_back(n);
    n = n.substr(dot + 1);
  }
  return out;
}

std::string quote_txt(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string unquote_txt(std::string_view text) {
  if (text.size() < 2 || text.front() != '"') return std::string(text);
  std::string out;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      quoted = !quoted;
    } else if (quoted && c == '\\' && i + 1 < text.size()) {
      out.push_back(text[++i]);
    } else if (quoted) {
      out.push_back(c);
    }  // whitespace between strings is dropped
  }
  return out;
}

}  // namespace dns01::kit
