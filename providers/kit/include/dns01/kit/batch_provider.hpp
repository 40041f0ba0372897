#pragma once
// A Provider whose four record entry points are one operation on a batch: add(), remove(),
// add_all() and remove_all() all call apply(records, add) inside guard(). For backends where a
// single record is just a batch of one (one DNS UPDATE per zone, one Route 53 change batch).
// Part of the provider kit; header-only.
#include <string>
#include <vector>

#include "dns01/provider.hpp"

namespace dns01::kit {

class BatchProvider : public provider::Provider {
 public:
  provider::Status add(const provider::TxtRecord& r) noexcept final {
    return run("add TXT " + r.name, {r}, true);
  }
  provider::Status remove(const provider::TxtRecord& r) noexcept final {
    return run("remove TXT " + r.name, {r}, false);
  }
  provider::Status add_all(const std::vector<provider::TxtRecord>& rs) noexcept final {
    return run("add TXT records", rs, true);
  }
  provider::Status remove_all(const std::vector<provider::TxtRecord>& rs) noexcept final {
    return run("remove TXT records", rs, false);
  }

 protected:
  // Adds (add = true) or removes every record, keeping all other values; may throw (guard()
  // turns exceptions into a Status). The records were routed to one instance, possibly to
  // several of its zones.
  virtual provider::Status apply(const std::vector<provider::TxtRecord>& records, bool add) = 0;

 private:
  provider::Status run(const std::string& step, const std::vector<provider::TxtRecord>& records,
                       bool add) noexcept {
    return provider::guard(step, [&] { return apply(records, add); });
  }
};

}  // namespace dns01::kit
