#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "dns01/error.hpp"
#include "dns01/storage.hpp"

namespace dns01 {

LineageLock::LineageLock(const fs::path& storage_dir, const std::string& name,
                         std::chrono::milliseconds wait) {
  const fs::path dir = storage_dir / "locks";
  ensure_private_dir(dir);
  const fs::path path = dir / (name + ".lock");
  fd_.reset(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd_)
    throw StorageError("lock " + name, fmt::format("{}: {}", path.string(), std::strerror(errno)));

  // flock is dropped by the kernel when the process dies, so a killed run never leaves the
  // lineage locked. Polling (rather than a blocking flock) keeps the wait bounded.
  const auto deadline = std::chrono::steady_clock::now() + wait;
  auto pause = std::chrono::milliseconds(20);
  while (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR)
      throw StorageError("lock " + name, fmt::format("{}: {}", path.string(), std::strerror(errno)));
    if (std::chrono::steady_clock::now() >= deadline) {
      char buf[32] = {};
      ssize_t n = ::pread(fd_.get(), buf, sizeof buf - 1, 0);
      std::string holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "?";
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
      throw StorageError("lock " + name,
                         fmt::format("another dns01 run (PID {}) is working on this certificate",
                                     holder),
                         "wait for it to finish, then run dns01 again");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(500));
  }
  // Record the holder for the message above (best effort; the lock itself is what counts).
  std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd_.get(), 0) == 0) {
    [[maybe_unused]] auto ignored = ::pwrite(fd_.get(), pid.data(), pid.size(), 0);
  }
}

LineageLock::~LineageLock() = default;

}  // namespace dns01
