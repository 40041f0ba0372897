// Who may have written a storage path (StrictModes-style checks), private directories and lock
// files opened without following links, and bounded reads of regular files.
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "dns01/error.hpp"
#include "dns01/raii.hpp"
#include "dns01/storage.hpp"

namespace dns01 {

namespace {

std::string user_name(uid_t uid) {
  // getpwuid_r: no static buffer shared with other threads.
  struct passwd pw {};
  struct passwd* found = nullptr;
  char buffer[1024];
  if (::getpwuid_r(uid, &pw, buffer, sizeof buffer, &found) == 0 && found)
    return fmt::format("{} (uid {})", found->pw_name, uid);
  return fmt::format("uid {}", uid);
}

[[noreturn]] void untrusted(const fs::path& path, const std::string& why, const std::string& hint) {
  throw StorageError("check storage", fmt::format("{}: {}", path.string(), why), hint);
}

[[noreturn]] void fail(const std::string& step, const fs::path& path, int err) {
  throw StorageError(step, fmt::format("{}: {}", path.string(), std::strerror(err)),
                     err == EACCES || err == EPERM
                         ? "run dns01 as a user that owns the storage directory ([storage] dir)"
                         : (err == ENOSPC ? "free some disk space" : ""));
}

// The owner test every component must pass: the running user, or root (who can write anywhere
// anyway). Anyone else could swap the component for something of their choosing.
bool trusted_owner(uid_t owner) { return owner == ::geteuid() || owner == 0; }

// A directory that others may write into: anything in it may have been planted, unless the
// sticky bit stops them from replacing entries they do not own (/tmp).
bool open_to_others(const struct stat& st) {
  return (st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0;
}

// Checks one existing component; `last` is the directory dns01 keeps its data in.
void check_component(const fs::path& p, bool last) {
  struct stat lst {};
  if (::lstat(p.c_str(), &lst) != 0) fail("check storage", p, errno);
  // A link is as trustworthy as its owner: one made by the running user or root (an admin's
  // /srv/dns01 -> /data/dns01) is followed; one made by anybody else is what an attacker plants.
  if (S_ISLNK(lst.st_mode) && !trusted_owner(lst.st_uid))
    untrusted(p,
              fmt::format("is a symbolic link owned by {}; dns01 does not follow links that "
                          "others planted in its storage",
                          user_name(lst.st_uid)),
              "remove the link (and check what else that user put there)");
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) fail("check storage", p, errno);
  if (!S_ISDIR(st.st_mode)) untrusted(p, "is not a directory", "remove it or choose another [storage] dir");
  if (last ? st.st_uid != ::geteuid() : !trusted_owner(st.st_uid))
    untrusted(p,
              fmt::format("is owned by {}, not by the user running dns01 ({})", user_name(st.st_uid),
                          user_name(::geteuid())),
              fmt::format("run dns01 as its owner, or `chown -R {} {}` if its contents are yours",
                          ::geteuid(), p.string()));
  if (open_to_others(st))
    untrusted(p,
              fmt::format("is writable by {} (mode {:04o}), so its contents cannot be trusted",
                          (st.st_mode & S_IWOTH) ? "everyone" : "its group", st.st_mode & 07777),
              fmt::format("`chmod go-w {}` after checking that nothing in it was planted",
                          p.string()));
}

}  // namespace

namespace {

// Every component of `dir` from the root down, so the first offending one is the one reported;
// `own` requires the last one to be the running user's (else it is held to the parent rule).
void check_chain(const fs::path& dir, bool own) {
  std::error_code ec;
  const fs::path abs = fs::absolute(dir, ec).lexically_normal();
  if (ec) fail("check storage", dir, ec.value());
  std::vector<fs::path> chain;
  for (fs::path p = abs; !p.empty(); p = p.parent_path()) {
    chain.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) check_component(*it, own && *it == abs);
}

}  // namespace

void check_private_dir(const fs::path& dir) { check_chain(dir, true); }

void ensure_private_dir(const fs::path& dir, mode_t mode) {
  // Directories this call creates get `mode` (create_directories would give them 0777 & ~umask);
  // of those that exist, only `dir` itself is tightened — never a parent like /var/lib.
  std::vector<fs::path> missing;
  struct stat st {};
  for (fs::path p = dir; !p.empty() && ::lstat(p.c_str(), &st) != 0; p = p.parent_path()) {
    if (errno != ENOENT) fail("inspect directory", p, errno);
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  // Nothing is created inside a directory that someone else controls.
  if (!missing.empty() && missing.back().has_parent_path())
    check_chain(missing.back().parent_path(), false);
  for (auto it = missing.rbegin(); it != missing.rend(); ++it)
    if (::mkdir(it->c_str(), mode) != 0 && errno != EEXIST) fail("create directory", *it, errno);
  check_private_dir(dir);
  // Through a descriptor that cannot be a symlink, so the mode change lands on this directory;
  // a (trusted) link is left as it is: its target was checked above and is not open to others.
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd && (errno == ELOOP || errno == ENOTDIR) && ::lstat(dir.c_str(), &st) == 0 &&
      S_ISLNK(st.st_mode))
    return;
  if (!fd) fail("open directory", dir, errno);
  if (::fstat(fd.get(), &st) != 0) fail("inspect directory", dir, errno);
  if ((st.st_mode & 07777 & ~mode) != 0 && ::fchmod(fd.get(), mode) != 0)
    fail("restrict directory permissions", dir, errno);
}

UniqueFd open_private_file(const fs::path& path, mode_t mode) {
  // O_NOFOLLOW: a link planted at `path` makes open fail (ELOOP) instead of truncating its target.
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode));
  if (!fd) {
    const int err = errno;
    if (err == ELOOP)
      untrusted(path, "is a symbolic link; dns01 does not write through links it did not create",
                "remove the link");
    fail("open file", path, err);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail("inspect file", path, errno);
  if (!S_ISREG(st.st_mode)) untrusted(path, "is not a regular file", "remove it");
  if (st.st_uid != ::geteuid())
    untrusted(path, fmt::format("is owned by {}, not by the user running dns01", user_name(st.st_uid)),
              "remove it; dns01 creates it again");
  if (st.st_nlink != 1)
    untrusted(path, "has other hard links, so writing it would change another file too",
              "remove it; dns01 creates it again");
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags >= 0) ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

FileRead read_regular_file(const fs::path& path, std::size_t max_bytes, bool follow_links) {
  FileRead r;
  // O_NONBLOCK: opening a FIFO must not wait for a writer; the type check below refuses it.
  const int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (follow_links ? 0 : O_NOFOLLOW);
  UniqueFd fd(::open(path.c_str(), flags));
  if (!fd) {
    r.error = errno;
    r.problem = r.error == ELOOP && !follow_links ? FileRead::symlink : FileRead::cannot_open;
    return r;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    r.error = errno;
    r.problem = FileRead::cannot_read;
    return r;
  }
  if (!S_ISREG(st.st_mode)) {
    r.problem = S_ISDIR(st.st_mode) ? FileRead::directory : FileRead::not_regular;
    return r;
  }
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    r.problem = FileRead::too_large;
    return r;
  }
  const int fl = ::fcntl(fd.get(), F_GETFL);
  if (fl >= 0) ::fcntl(fd.get(), F_SETFL, fl & ~O_NONBLOCK);
  r.data.reserve(static_cast<std::size_t>(st.st_size));
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      r.error = errno;
      r.problem = FileRead::cannot_read;
      r.data.clear();
      return r;
    }
    if (n == 0) break;
    // The file may grow while it is read (a log, a hostile writer): the limit holds anyway.
    if (r.data.size() + static_cast<std::size_t>(n) > max_bytes) {
      r.problem = FileRead::too_large;
      r.data.clear();
      return r;
    }
    r.data.append(buffer, static_cast<std::size_t>(n));
  }
  return r;
}

std::string FileRead::describe(const fs::path& path, std::size_t max_bytes) const {
  switch (problem) {
    case none: return {};
    case cannot_open:
      return error == ENOENT ? fmt::format("'{}' does not exist", path.string())
                             : fmt::format("cannot open '{}': {}", path.string(), std::strerror(error));
    case cannot_read: return fmt::format("cannot read '{}': {}", path.string(), std::strerror(error));
    case directory: return fmt::format("'{}' is a directory, not a file", path.string());
    case not_regular:
      return fmt::format("'{}' is not a regular file (a device, FIFO or socket)", path.string());
    case symlink: return fmt::format("'{}' is a symbolic link", path.string());
    case too_large: return fmt::format("'{}' is larger than {} bytes", path.string(), max_bytes);
  }
  return {};
}

std::string read_file(const fs::path& path, std::size_t max_bytes) {
  FileRead r = read_regular_file(path, max_bytes);
  if (r.problem == FileRead::none) return std::move(r.data);
  if (r.problem == FileRead::cannot_open || r.problem == FileRead::cannot_read)
    fail("read file", path, r.error);
  throw StorageError("read file", r.describe(path, max_bytes), "remove it or restore it from a backup");
}

}  // namespace dns01
