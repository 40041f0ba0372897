// Longest-suffix zone routing (see dns01/plugins/routing.hpp).
#include "dns01/plugins/routing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace dns01::plugins {

namespace {

std::string lower_no_dot(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
  });
  return out;
}

}  // namespace

bool name_in_zone(std::string_view name_in, std::string_view zone_in) {
  const std::string name = lower_no_dot(name_in);
  const std::string zone = lower_no_dot(zone_in);
  if (zone.empty()) return true;
  if (name.size() < zone.size()) return false;
  if (name.compare(name.size() - zone.size(), zone.size(), zone) != 0) return false;
  // Whole labels only: "ample.com" must not match "example.com".
  return name.size() == zone.size() || name[name.size() - zone.size() - 1] == '.';
}

ZoneRouter::ZoneRouter(const std::vector<ProviderInstanceConfig>& instances) {
  std::vector<ConfigIssue> issues;
  std::map<std::string, const ProviderInstanceConfig*> owner;
  for (std::size_t i = 0; i < instances.size(); ++i) {
    const auto& instance = instances[i];
    for (const auto& raw : instance.zones) {
      std::string zone = lower_no_dot(raw);
      auto [it, inserted] = owner.emplace(zone, &instance);
      if (!inserted && it->second != &instance) {
        issues.push_back({instance.where.file, instance.where.line, instance.where.column,
                          fmt::format("zone '{}' is listed by both [providers.{}] and "
                                      "[providers.{}]; a zone belongs to one provider",
                                      zone, it->second->name, instance.name)});
        continue;
      }
      if (inserted) entries_.push_back({std::move(zone), i, instance.name});
    }
  }
  if (!issues.empty()) throw ConfigError(std::move(issues));
  // Longest zone first, so the first match is the longest suffix.
  std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
    return a.zone.size() > b.zone.size();
  });
}

std::optional<Route> ZoneRouter::route(std::string_view name) const {
  for (const auto& entry : entries_)
    if (name_in_zone(name, entry.zone)) return Route{entry.instance, entry.zone};
  return std::nullopt;
}

std::string ZoneRouter::describe() const {
  std::string out;
  for (const auto& entry : entries_)
    out += fmt::format("{}{} ({})", out.empty() ? "" : ", ", entry.zone, entry.instance_name);
  return out.empty() ? "none" : out;
}

}  // namespace dns01::plugins
