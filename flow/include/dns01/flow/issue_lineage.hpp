#pragma once
// Which lineage an `issue` writes to, so a run never silently changes what a lineage holds
// (certbot's rules, non-interactive).
//
// The names a lineage holds are those of its live certificate (the renewal file's when it has
// none yet). With an explicit cert_name:
//   - absent, or holding exactly the requested names: that lineage;
//   - names would be added: only with `expand`; names would be dropped: only with `shrink`;
//     otherwise UsageError naming what would be added / dropped.
// Without one:
//   - a lineage holding exactly the requested names (any lineage name) is reused;
//   - else the default name (first domain without "*."): absent -> new lineage;
//     holding a subset of the requested names -> only with `expand` (else UsageError, like
//     certbot's "--expand" question); holding names the request drops -> with `shrink` that
//     lineage, else a NEW lineage "<name>-0001" (the first free number), like certbot.
//
// Errors: UsageError as above; StorageError/ConfigError when the files of the named or default
// lineage are unreadable (damaged OTHER lineages are skipped in the search for the same names).
// Pure apart from reading the store. Thread-safe for distinct stores.
#include <optional>
#include <string>
#include <vector>

#include "dns01/flow/certinfo.hpp"
#include "dns01/storage.hpp"

namespace dns01::flow {

struct LineageChoice {
  std::string cert_name;
  bool exists = false;                 // the lineage has a live certificate
  bool same_names = false;             // it holds exactly the requested names
  std::vector<std::string> added, dropped;  // names the issuance adds to / drops from it
  std::optional<CertInfo> current;     // its live certificate, when it exists
  std::string note;                    // why a new "-NNNN" lineage was chosen, else ""
};

LineageChoice choose_lineage(const CertStore& store, const std::vector<std::string>& domains,
                             const std::string& requested_name, bool expand, bool shrink);

}  // namespace dns01::flow
