// "did you mean" suggestions for unknown keys and variables.
#include <algorithm>
#include <cctype>
#include <vector>

#include "dns01/config.hpp"

namespace dns01 {

namespace {

// Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions),
// case-insensitive: "sever" -> "server" is 1, "timeuot" -> "timeout" is 1.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  auto low = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = low(a[i - 1]) == low(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && low(a[i - 1]) == low(b[j - 2]) && low(a[i - 2]) == low(b[j - 1]))
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

// Short words tolerate one slip, longer ones more: "prot" -> "port", but "dir" never -> "key".
std::size_t threshold(std::size_t length) {
  if (length <= 4) return 1;
  if (length <= 8) return 2;
  return 3;
}

}  // namespace

std::optional<std::string> did_you_mean(std::string_view key,
                                        const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = threshold(key.size()) + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(key, c);
    if (d < best_distance && d < std::max<std::size_t>(c.size(), 1)) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

}  // namespace dns01
