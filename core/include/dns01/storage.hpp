#pragma once
// Certificate storage in certbot's layout, so nginx/haproxy configs and admin habits carry over:
//
//   <dir>/archive/<name>/{cert,chain,fullchain,privkey}N.pem   every version ever issued
//   <dir>/live/<name>/{cert,chain,fullchain,privkey}.pem        relative symlinks to the newest
//   <dir>/renewal/<name>.toml                                   what `dns01 renew` needs
//   <dir>/accounts/<ca>/                                        ACME account keys per CA
//   <dir>/journal/                                              records in flight (journal.hpp)
//   <dir>/locks/<name>.lock                                     one run per lineage at a time
//
// Directories are 0700 and private keys 0600. Every file is written atomically (temporary file in
// the same directory, fsync, rename, fsync of the directory), and live/ symlinks are switched by
// renaming a new symlink over the old one, so a reader never sees a half-written file or a
// lineage whose cert and key do not match — even if dns01 is killed mid-way.
//
// Errors: StorageError naming the path and the system error, with a hint.
// Thread-safety: none needed; concurrency between processes is handled by LineageLock.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns01/raii.hpp"

namespace dns01 {

namespace fs = std::filesystem;

// Creates the directory (and parents) with `mode` if missing; tightens the mode of an existing
// one that is more open than `mode`.
void ensure_private_dir(const fs::path& dir, mode_t mode = 0700);

// Atomically replaces `path` with `data`, created with `mode` (umask does not widen it).
// `sync_dir = false` leaves the directory fsync to the caller (one fsync_dir after writing
// several files in one directory).
void write_file_atomic(const fs::path& path, std::string_view data, mode_t mode, bool sync_dir = true);
// Makes renames in `dir` durable.
void fsync_dir(const fs::path& dir);

// Reads a whole file; StorageError if it cannot.
std::string read_file(const fs::path& path);

// Exclusive advisory lock (flock) on <storage>/locks/<name>.lock, held for the object's lifetime.
// A second run for the same lineage waits up to `wait`, then fails with a StorageError that says
// another dns01 run holds the lineage (and its PID, recorded in the lock file).
class LineageLock {
 public:
  LineageLock(const fs::path& storage_dir, const std::string& name,
              std::chrono::milliseconds wait = std::chrono::seconds(0));
  ~LineageLock();
  LineageLock(const LineageLock&) = delete;
  LineageLock& operator=(const LineageLock&) = delete;

 private:
  UniqueFd fd_;
};

struct CertificateFiles {
  std::string cert;       // leaf, PEM
  std::string chain;      // intermediates, PEM
  std::string fullchain;  // leaf + intermediates
  std::string privkey;    // PEM private key
};

struct LineagePaths {
  std::string name;
  int version = 0;  // N of archive/<name>/certN.pem
  fs::path live_dir, cert, chain, fullchain, privkey;
};

class CertStore {
 public:
  explicit CertStore(fs::path dir);
  const fs::path& dir() const { return dir_; }

  // Validates a lineage name (what --cert-name accepts): 1..255 chars of [A-Za-z0-9._-*] minus
  // path tricks ('/', leading '.', ".."). Throws UsageError.
  static void check_name(std::string_view name);

  // Stores a new version: writes archive/<name>/*N.pem (N = 1 + highest existing), then points
  // live/<name>/*.pem at them. Returns the live paths.
  LineagePaths save(const std::string& name, const CertificateFiles& files);

  // The live paths of a lineage, or nullopt if it does not exist.
  std::optional<LineagePaths> current(const std::string& name) const;
  // Names of all lineages (sorted).
  std::vector<std::string> lineages() const;

  fs::path renewal_file(const std::string& name) const { return dir_ / "renewal" / (name + ".toml"); }
  fs::path accounts_dir(const std::string& ca_id) const { return dir_ / "accounts" / ca_id; }
  fs::path journal_dir() const { return dir_ / "journal"; }

 private:
  fs::path dir_;
};

}  // namespace dns01
