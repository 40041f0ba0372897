#pragma once
// Zone routing: which [providers.<name>] instance handles a record.
//
// Each instance lists the zones it serves. A record goes to the instance whose zone is the
// longest suffix of the record's name, compared label by label and case-insensitively
// (`ample.com` is not a suffix of `example.com`). Several instances of one provider type are
// fine (two RFC 2136 servers, two Cloudflare accounts).
//
// Zones come from Config (normalized there: lower-case, no trailing dot). The same zone listed by
// two instances would make the route ambiguous: the constructor throws ConfigError naming both.
//
// Thread-safety: immutable after construction.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns01/config.hpp"

namespace dns01::plugins {

// True when `zone` equals `name` or is a whole-label suffix of it, ignoring case and one
// trailing dot on either. The empty zone (the root) contains every name.
bool name_in_zone(std::string_view name, std::string_view zone);

struct Route {
  std::size_t instance = 0;  // index into the vector the router was built from
  std::string zone;          // the matching zone
};

class ZoneRouter {
 public:
  // Throws ConfigError listing every problem above.
  explicit ZoneRouter(const std::vector<ProviderInstanceConfig>& instances);

  // The instance for `name`, or nullopt when no zone contains it.
  std::optional<Route> route(std::string_view name) const;

  // "example.com (internal), example.net (cf)" for error messages.
  std::string describe() const;

 private:
  struct Entry {
    std::string zone;
    std::size_t instance;
    std::string instance_name;
  };
  std::vector<Entry> entries_;
};

}  // namespace dns01::plugins
