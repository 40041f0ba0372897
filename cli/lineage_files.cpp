#include "lineage_files.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "dns01/error.hpp"

namespace dns01::cli {

void delete_lineage(const CertStore& store, const std::string& name, const std::string& hint) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const fs::path& p : {store.dir() / "live" / name, store.dir() / "archive" / name, store.renewal_file(name)}) {
    fs::remove_all(p, ec);
    if (ec) throw StorageError("delete certificate", fmt::format("{}: {}", p.string(), ec.message()), hint);
  }
}

}  // namespace dns01::cli
