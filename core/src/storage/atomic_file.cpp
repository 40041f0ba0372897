#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include <fmt/format.h>

#include "dns01/error.hpp"
#include "dns01/raii.hpp"
#include "dns01/storage.hpp"

namespace dns01 {

namespace {

[[noreturn]] void fail(const std::string& step, const fs::path& path, int err) {
  throw StorageError(step, fmt::format("{}: {}", path.string(), std::strerror(err)),
                     err == EACCES || err == EPERM
                         ? "run dns01 as a user that owns the storage directory ([storage] dir)"
                         : (err == ENOSPC ? "free some disk space" : ""));
}

}  // namespace

void fsync_dir(const fs::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) fail("open directory", dir, errno);
  // Makes the rename durable; some file systems refuse fsync on directories, which is harmless.
  if (::fsync(fd.get()) != 0 && errno != EINVAL) fail("sync directory", dir, errno);
}

namespace {

std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{:016x}", rng());
}

}  // namespace

namespace {

// Writes `data` into a new temporary file next to `path` (mode exact, fsynced); returns its name.
fs::path write_temp(const fs::path& dir, const fs::path& path, std::string_view data, mode_t mode) {
  // The PID keeps processes forked from one parent (same generator state) apart.
  const fs::path tmp =
      dir / fmt::format(".{}.{}.{}.tmp", path.filename().string(), ::getpid(), random_suffix());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!fd) fail("create file", tmp, errno);
  auto give_up = [&](const char* step) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail(step, tmp, err);
  };
  // open() applies the umask, which can only narrow; fchmod makes the mode exact.
  if (::fchmod(fd.get(), mode) != 0) give_up("set file permissions");
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) give_up("write file");
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) give_up("sync file");
  return tmp;
}

fs::path dir_of(const fs::path& path) {
  return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

}  // namespace

void write_file_atomic(const fs::path& path, std::string_view data, mode_t mode, bool sync_dir) {
  const fs::path dir = dir_of(path);
  const fs::path tmp = write_temp(dir, path, data, mode);
  // rename() replaces a link at `path` itself; it never writes through it.
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    fail("replace file", path, err);
  }
  if (sync_dir) fsync_dir(dir);
}

bool create_file_atomic(const fs::path& path, std::string_view data, mode_t mode) {
  const fs::path dir = dir_of(path);
  const fs::path tmp = write_temp(dir, path, data, mode);
  // link() never replaces: of several processes creating the same file, exactly one wins and
  // every other one sees EEXIST — the complete file of the winner, never a half-written one.
  const int rc = ::link(tmp.c_str(), path.c_str());
  const int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0 && err == EEXIST) return false;
  if (rc != 0) fail("create file", path, err);
  fsync_dir(dir);
  return true;
}

}  // namespace dns01
