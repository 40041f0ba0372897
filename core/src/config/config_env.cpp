// DNS01_* environment variables as config overrides.
#include <algorithm>
#include <array>
#include <cctype>

#include "config_internal.hpp"

extern char** environ;

namespace dns01 {

Environment process_environment() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

namespace config_detail {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "my-cf" -> "MY_CF": how a table name is spelled inside a variable name.
std::string env_spelling(std::string_view name) {
  std::string out(name);
  for (char& c : out) c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::vector<EnvOverride> env_overrides(const Environment& env,
                                       const std::vector<std::string>& provider_names) {
  static constexpr std::array<std::string_view, 6> kSections = {
      "ACME", "STORAGE", "PROPAGATION", "LOG", "SECURITY", "PROVIDERS"};
  // Longest table name first, so [providers.my_cf] wins over [providers.my] for MY_CF_...
  std::vector<std::string> names = provider_names;
  std::sort(names.begin(), names.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });

  std::vector<EnvOverride> out;
  for (const auto& [var, value] : env) {
    if (!var.starts_with("DNS01_") || value.empty()) continue;  // empty means unset
    const std::string_view rest = std::string_view(var).substr(6);
    for (std::string_view section : kSections) {
      if (!rest.starts_with(section) || rest.size() <= section.size() ||
          rest[section.size()] != '_')
        continue;
      EnvOverride o;
      o.var = var;
      o.section = lower(section);
      o.value = value;
      std::string_view key = rest.substr(section.size() + 1);
      if (section == "PROVIDERS") {
        bool matched = false;
        for (const auto& n : names) {
          const std::string spelled = env_spelling(n) + "_";
          if (key.starts_with(spelled)) {
            o.provider = n;
            key.remove_prefix(spelled.size());
            matched = true;
            break;
          }
        }
        if (!matched) {
          const auto underscore = key.find('_');
          o.provider = lower(key.substr(0, underscore));
          key = underscore == std::string_view::npos ? std::string_view{}
                                                     : key.substr(underscore + 1);
        }
      }
      o.key = lower(key);
      if (o.key.size() > 5 && o.key.ends_with("_file")) {
        o.is_file = true;
        o.key.resize(o.key.size() - 5);
      }
      out.push_back(std::move(o));
      break;
    }
  }
  return out;
}

}  // namespace config_detail

}  // namespace dns01
