#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "dns01/error.hpp"
#include "dns01/signals.hpp"
#include "dns01/storage.hpp"

namespace dns01 {

FileLock::FileLock(const fs::path& path, std::chrono::milliseconds wait, std::string what)
    : fd_(open_private_file(path, 0600)) {
  const std::string step = "lock " + what;
  // Polling (rather than a blocking flock) keeps the wait bounded and lets a signal end it
  // within one pause.
  const auto deadline = std::chrono::steady_clock::now() + wait;
  auto pause = std::chrono::milliseconds(20);
  while (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR)
      throw StorageError(step, fmt::format("{}: {}", path.string(), std::strerror(errno)));
    if (stop_requested()) throw InterruptedError("wait for " + what);
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      char buf[32] = {};
      ssize_t n = ::pread(fd_.get(), buf, sizeof buf - 1, 0);
      std::string holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "?";
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
      throw StorageError(step,
                         fmt::format("another dns01 run (PID {}) is working on {}", holder, what),
                         "wait for it to finish, then run dns01 again");
    }
    std::this_thread::sleep_for(std::min(
        pause, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) +
                   std::chrono::milliseconds(1)));
    pause = std::min(pause * 2, std::chrono::milliseconds(200));
  }
  // Record the holder for the message above (best effort; the lock itself is what counts). The
  // descriptor is known to be our own regular file, so truncating it harms nothing else.
  std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd_.get(), 0) == 0) {
    [[maybe_unused]] auto ignored = ::pwrite(fd_.get(), pid.data(), pid.size(), 0);
  }
}

LineageLock::LineageLock(const fs::path& storage_dir, const std::string& name,
                         std::chrono::milliseconds wait) {
  const fs::path dir = storage_dir / "locks";
  ensure_private_dir(dir);
  lock_.emplace(dir / (name + ".lock"), wait, "this certificate");
  // The lineage's directories are checked now, before anything is ordered for it, rather than
  // when the certificate is stored.
  for (const char* area : {"archive", "live"}) {
    std::error_code ec;
    if (fs::exists(fs::symlink_status(storage_dir / area / name, ec)))
      check_private_dir(storage_dir / area / name);
  }
  CertStore(storage_dir).repair(name);
}

LineageLock::~LineageLock() = default;

}  // namespace dns01
