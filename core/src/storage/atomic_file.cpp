#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <vector>

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

void ensure_private_dir(const fs::path& dir, mode_t mode) {
  // Directories this call creates get `mode` (create_directories would give them 0777 & ~umask);
  // of those that exist, only `dir` itself is tightened — never a parent like /var/lib.
  std::vector<fs::path> missing;
  std::error_code ec;
  for (fs::path p = dir; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it)
    if (::mkdir(it->c_str(), mode) != 0 && errno != EEXIST) fail("create directory", *it, errno);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) fail("inspect directory", dir, errno);
  if (!S_ISDIR(st.st_mode)) fail("create directory", dir, ENOTDIR);
  if ((st.st_mode & 07777 & ~mode) != 0 && ::chmod(dir.c_str(), mode) != 0)
    fail("restrict directory permissions", dir, errno);
}

void write_file_atomic(const fs::path& path, std::string_view data, mode_t mode, bool sync_dir) {
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const fs::path tmp = dir / fmt::format(".{}.{}.tmp", path.filename().string(), random_suffix());
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
    if (!fd) fail("create file", tmp, errno);
    // open() applies the umask, which can only narrow; fchmod makes the mode exact.
    if (::fchmod(fd.get(), mode) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      fail("set file permissions", tmp, err);
    }
    std::size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        fail("write file", tmp, err);
      }
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      fail("sync file", tmp, err);
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    fail("replace file", path, err);
  }
  if (sync_dir) fsync_dir(dir);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("read file", path, errno ? errno : ENOENT);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace dns01
