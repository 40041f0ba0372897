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
// Trust (docs/storage.md, "Who may write into the storage"): dns01 often runs as root, so a
// storage directory that someone else can write into would let them choose what root writes
// where. Every directory dns01 uses is checked like OpenSSH's StrictModes (check_private_dir):
// each component of its absolute path must be owned by the running user or root and not be
// writable by group or others (unless sticky, like /tmp); a symbolic link is followed only when
// the running user or root owns it; the directory itself must be owned by the running user.
// Files are opened with O_NOFOLLOW and modes are changed through descriptors, so nothing is
// ever written, truncated or chmod-ed through a link dns01 did not create.
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

// Throws StorageError unless `dir` (which must exist) passes the trust rules above; the message
// names the offending component, its owner or mode, and what to do.
void check_private_dir(const fs::path& dir);

// Creates the directory (and parents) with `mode` if missing, checks it (check_private_dir) and
// tightens the mode of an existing one that is more open than `mode` (never through a link).
void ensure_private_dir(const fs::path& dir, mode_t mode = 0700);

// Opens `path` read-write, creating it with `mode`, without following a link; refuses anything
// but a regular file owned by the running user with no other hard link (StorageError).
UniqueFd open_private_file(const fs::path& path, mode_t mode);

// Atomically replaces `path` with `data`, created with `mode` (umask does not widen it).
// `sync_dir = false` leaves the directory fsync to the caller (one fsync_dir after writing
// several files in one directory).
void write_file_atomic(const fs::path& path, std::string_view data, mode_t mode, bool sync_dir = true);
// Creates `path` with `data` only if it does not exist yet, atomically (complete or absent, and
// never replaced): false when it existed. For write-once files several processes may race to
// create, such as an account key.
bool create_file_atomic(const fs::path& path, std::string_view data, mode_t mode);
// Makes renames in `dir` durable.
void fsync_dir(const fs::path& dir);

// A whole regular file read with a size limit. Devices (/dev/zero), FIFOs (opened without
// blocking), sockets and directories are refused without reading, as is a file over the limit.
struct FileRead {
  enum Problem { none, cannot_open, cannot_read, directory, not_regular, symlink, too_large };
  Problem problem = none;
  int error = 0;     // errno for cannot_open / cannot_read
  std::string data;  // the content when problem == none
  // "'<path>' is not a regular file (a device, FIFO or socket)", ... ("" when none).
  std::string describe(const fs::path& path, std::size_t max_bytes) const;
};
// `follow_links = false` refuses a link at `path` itself (problem symlink).
FileRead read_regular_file(const fs::path& path, std::size_t max_bytes, bool follow_links = true);

inline constexpr std::size_t kMaxStoredFileBytes = 16u << 20;
// Reads a whole regular file of at most `max_bytes`; StorageError if it cannot.
std::string read_file(const fs::path& path, std::size_t max_bytes = kMaxStoredFileBytes);

// Exclusive advisory lock (flock) on a lock file, held for the object's lifetime. The file is
// opened with open_private_file; the holder's PID is written into it for the "busy" message.
// Waiting polls (flock is dropped by the kernel when a holder dies, so a killed run never
// leaves anything locked) and ends early with InterruptedError on SIGINT/SIGTERM
// (signals.hpp). After `wait` it fails with a StorageError saying that another dns01 run (PID)
// holds `what`.
class FileLock {
 public:
  FileLock(const fs::path& path, std::chrono::milliseconds wait, std::string what);
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  UniqueFd fd_;
};

// FileLock on <storage>/locks/<name>.lock: one run per lineage at a time. Taking it checks the
// lineage's directories (check_private_dir) and repairs what a killed run left
// (CertStore::repair), before the holder reads or orders anything.
class LineageLock {
 public:
  LineageLock(const fs::path& storage_dir, const std::string& name,
              std::chrono::milliseconds wait = std::chrono::seconds(0));
  ~LineageLock();
  LineageLock(const LineageLock&) = delete;
  LineageLock& operator=(const LineageLock&) = delete;

 private:
  std::optional<FileLock> lock_;
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
  // false: the four live links point at different versions (a run was killed while switching
  // them) and could not be repaired now (another run holds the lineage, or no version is whole).
  bool complete = true;
  fs::path live_dir, cert, chain, fullchain, privkey;
};

class CertStore {
 public:
  explicit CertStore(fs::path dir);
  const fs::path& dir() const { return dir_; }

  // Validates a lineage name (what --cert-name accepts): 1..255 chars of [A-Za-z0-9._-], starting
  // with a letter, digit or '_' (no hidden names, nothing that reads as an option), no "..". Throws UsageError.
  static void check_name(std::string_view name);

  // Stores a new version: writes archive/<name>/*N.pem (N = 1 + highest existing), then points
  // live/<name>/*.pem at them. Returns the live paths.
  LineagePaths save(const std::string& name, const CertificateFiles& files);

  // The live paths of a lineage, or nullopt if it does not exist. Links not of the shape save()
  // makes are a StorageError. Links that point at different versions are repaired first when no
  // other run holds the lineage (see repair()); otherwise `complete` is false.
  std::optional<LineagePaths> current(const std::string& name) const;
  // What a killed run may have left, made whole; the caller holds the lineage lock (LineageLock
  // calls it). Live links pointing at different versions all go to the newest version that is
  // complete in archive/ and whose key matches its certificate; temporary files (.*.tmp,
  // live/.*.new) and archive versions newer than every link (unused private keys) are removed.
  // Returns what it did ("" = nothing), which it also logs as a warning.
  std::string repair(const std::string& name) const;
  // Names of all lineages (sorted).
  std::vector<std::string> lineages() const;

  fs::path renewal_file(const std::string& name) const { return dir_ / "renewal" / (name + ".toml"); }
  fs::path accounts_dir(const std::string& ca_id) const { return dir_ / "accounts" / ca_id; }
  fs::path journal_dir() const { return dir_ / "journal"; }

 private:
  fs::path dir_;
};

}  // namespace dns01
