// choose_lineage(): the lineage an issuance writes to (issue_lineage.hpp).
#include "dns01/flow/issue_lineage.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>
#include <system_error>

#include "dns01/error.hpp"
#include "dns01/flow/issue.hpp"
#include "dns01/flow/renewal.hpp"

namespace dns01::flow {
namespace {

using Names = std::set<std::string>;

struct Held {
  Names names;
  std::optional<CertInfo> cert;
};

// What a lineage holds now; nullopt when it has neither a certificate nor a renewal file.
std::optional<Held> held_by(const CertStore& store, const std::string& name) {
  Held h;
  if (auto paths = store.current(name)) {
    h.cert = inspect_certificate(read_file(paths->cert), paths->cert.string());
    h.names.insert(h.cert->dns_names.begin(), h.cert->dns_names.end());
    return h;
  }
  std::error_code ec;
  if (!std::filesystem::exists(store.renewal_file(name), ec)) return std::nullopt;
  const RenewalConfig r = load_renewal(store, name);
  h.names.insert(r.domains.begin(), r.domains.end());
  return h;
}

std::vector<std::string> minus(const Names& a, const Names& b) {
  std::vector<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

LineageChoice existing(const std::string& name, const Held& held, const Names& wanted) {
  LineageChoice c;
  c.cert_name = name;
  c.exists = held.cert.has_value();
  c.current = held.cert;
  c.added = minus(wanted, held.names);
  c.dropped = minus(held.names, wanted);
  c.same_names = c.added.empty() && c.dropped.empty();
  return c;
}

std::string list(const std::vector<std::string>& v) { return fmt::format("{}", fmt::join(v, ", ")); }

}  // namespace

LineageChoice choose_lineage(const CertStore& store, const std::vector<std::string>& domains,
                             const std::string& requested_name, bool expand, bool shrink) {
  const Names wanted(domains.begin(), domains.end());
  if (!requested_name.empty()) {
    auto held = held_by(store, requested_name);
    if (!held) return LineageChoice{requested_name, false, false, {}, {}, std::nullopt, ""};
    LineageChoice c = existing(requested_name, *held, wanted);
    if (!c.dropped.empty() && !shrink)
      throw UsageError("issue", "choose the lineage",
                       fmt::format("certificate '{}' holds {} which this request drops", requested_name,
                                   list(c.dropped)),
                       fmt::format("name them again with -d, pass --shrink to remove them from '{}', "
                                   "or choose another --cert-name",
                                   requested_name));
    if (!c.added.empty() && !expand)
      throw UsageError("issue", "choose the lineage",
                       fmt::format("certificate '{}' does not hold {}", requested_name, list(c.added)),
                       fmt::format("pass --expand to add them to '{}', or choose another --cert-name",
                                   requested_name));
    return c;
  }

  const std::string base = default_cert_name(domains);
  // A lineage holding exactly these names, whatever it is called (the default name first).
  std::vector<std::string> names = store.lineages();
  std::stable_partition(names.begin(), names.end(), [&](const std::string& n) { return n == base; });
  for (const auto& name : names) {
    std::optional<Held> held;
    try {
      held = held_by(store, name);
    } catch (const Error&) {
      // A damaged lineage elsewhere must not block this issuance (`certificates` reports it);
      // the default name is read again below, and its errors do count.
      continue;
    }
    if (held && held->names == wanted) return existing(name, *held, wanted);
  }
  auto held = held_by(store, base);
  if (!held) return LineageChoice{base, false, false, {}, {}, std::nullopt, ""};
  LineageChoice c = existing(base, *held, wanted);
  if (c.dropped.empty()) {  // a strict superset of what the lineage holds
    if (expand) return c;
    throw UsageError("issue", "choose the lineage",
                     fmt::format("certificate '{}' holds {}; this request adds {}", base,
                                 list(std::vector<std::string>(held->names.begin(), held->names.end())), list(c.added)),
                     fmt::format("pass --expand to add the names to '{}', or --cert-name NAME for a "
                                 "separate certificate",
                                 base));
  }
  if (shrink) {
    if (!c.added.empty() && !expand)
      throw UsageError("issue", "choose the lineage",
                       fmt::format("certificate '{}' does not hold {}", base, list(c.added)),
                       "pass --expand too, or --cert-name NAME for a separate certificate");
    return c;
  }
  // Names would be dropped: keep that lineage as it is and start a new one, like certbot.
  for (int i = 1; i < 10000; ++i) {
    const std::string name = fmt::format("{}-{:04}", base, i);
    std::error_code ec;
    // Taken when anything of it exists, readable or not (one holding exactly these names was
    // found above).
    if (store.current(name) || std::filesystem::exists(store.renewal_file(name), ec) ||
        std::filesystem::exists(store.dir() / "archive" / name, ec))
      continue;
    LineageChoice n{name, false, false, {}, {}, std::nullopt, ""};
    n.note = fmt::format("certificate '{}' holds {}, which this request drops; storing it as a new "
                         "certificate '{}' (--shrink would replace the names of '{}' instead)",
                         base, list(c.dropped), name, base);
    return n;
  }
  throw UsageError("issue", "choose the lineage", fmt::format("no free name '{}-NNNN' is left", base),
                   "name the certificate with --cert-name");
}

}  // namespace dns01::flow
