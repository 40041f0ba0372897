#pragma once
// Removing a lineage's files, shared by `delete` and `revoke --delete-after-revoke`.
#include <string>

#include "dns01/storage.hpp"

namespace dns01::cli {

// Removes live/<name>/, archive/<name>/ and renewal/<name>.toml (absent ones are fine). Throws
// StorageError naming the path that could not be removed; `hint` says what is already done.
void delete_lineage(const CertStore& store, const std::string& name, const std::string& hint);

}  // namespace dns01::cli
