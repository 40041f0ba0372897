// Deploy / pre / post hooks through /bin/sh -c (hooks.hpp).
//
// posix_spawn (fork+exec done by libc) rather than a hand-written fork(): the process may have
// threads (HTTP pool, propagation), and after fork() only async-signal-safe calls are allowed,
// so the environment is built before spawning and handed to execve in one piece.
#include "dns01/flow/hooks.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <vector>

#include "dns01/config.hpp"
#include "dns01/log.hpp"
#include "dns01/raii.hpp"
#include "dns01/signals.hpp"

extern char** environ;

namespace dns01::flow {

namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr std::size_t kMaxLine = 4096;  // longer output lines are logged in pieces

}  // namespace

bool hook_may_see(std::string_view name, std::string_view value) {
  // DNS01_* variables are dns01's own configuration (provider credentials, EAB keys, their
  // _FILE paths): none of a hook's business.
  if (name.starts_with("DNS01_")) return false;
  // Anything holding a value dns01 treats as a secret (a provider's CLOUDFLARE_DNS_API_TOKEN read
  // through its env alias, a TSIG secret, ...): the redactor knows them all.
  // Only the value is looked at: a variable the admin set for the hook (HAPROXY_API_TOKEN) stays.
  return Redactor::global().apply(value) == value;
}

namespace {

// "NAME=value" strings: the process environment a hook may see (hook_may_see), then the extras,
// which win.
std::vector<std::string> build_environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view name = entry.substr(0, eq);
    if (extra.count(std::string(name)) || !hook_may_see(name, entry.substr(eq + 1))) continue;
    out.emplace_back(entry);
  }
  for (const auto& [k, v] : extra) out.push_back(k + "=" + v);
  return out;
}

class LineLogger {
 public:
  explicit LineLogger(std::string prefix) : prefix_(std::move(prefix)) {}
  void feed(std::string_view data) {
    buffer_.append(data);
    std::size_t pos;
    while ((pos = buffer_.find('\n')) != std::string::npos) {
      emit(buffer_.substr(0, pos));
      buffer_.erase(0, pos + 1);
    }
    while (buffer_.size() >= kMaxLine) {
      emit(buffer_.substr(0, kMaxLine));
      buffer_.erase(0, kMaxLine);
    }
  }
  void flush() {
    if (!buffer_.empty()) emit(buffer_);
    buffer_.clear();
  }

 private:
  void emit(std::string line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    Logger::global().info("hook", "{}: {}", prefix_, line);
  }
  std::string prefix_;
  std::string buffer_;
};

// Reads what is available; false at end of file.
bool read_some(int fd, LineLogger& lines) {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      lines.feed(std::string_view(buf, static_cast<std::size_t>(n)));
      return true;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("was killed by signal {}", WTERMSIG(status));
  return "ended abnormally";
}

// posix_spawn's attribute and file-action objects, destroyed on every path: building the
// environment and logging, between their init and the spawn, may throw.
class SpawnFileActions {
 public:
  SpawnFileActions() { posix_spawn_file_actions_init(&actions_); }
  ~SpawnFileActions() { posix_spawn_file_actions_destroy(&actions_); }
  SpawnFileActions(const SpawnFileActions&) = delete;
  SpawnFileActions& operator=(const SpawnFileActions&) = delete;
  posix_spawn_file_actions_t* get() noexcept { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

class SpawnAttr {
 public:
  SpawnAttr() { posix_spawnattr_init(&attr_); }
  ~SpawnAttr() { posix_spawnattr_destroy(&attr_); }
  SpawnAttr(const SpawnAttr&) = delete;
  SpawnAttr& operator=(const SpawnAttr&) = delete;
  posix_spawnattr_t* get() noexcept { return &attr_; }

 private:
  posix_spawnattr_t attr_;
};

}  // namespace

std::string run_hook(const HookRun& hook) {
  auto& log = Logger::global();
  const std::string name =
      fmt::format("{} hook '{}'", hook.kind.empty() ? "hook" : hook.kind,
                  Redactor::global().apply(hook.command));
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return fmt::format("{} could not be started: pipe: {}", name, std::strerror(errno));
  UniqueFd read_end(fds[0]), write_end(fds[1]);

  SpawnFileActions actions;
  SpawnAttr attr;
  posix_spawn_file_actions_addopen(actions.get(), 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(actions.get(), write_end.get(), 1);
  posix_spawn_file_actions_adddup2(actions.get(), write_end.get(), 2);
  // Own process group, so a timeout kills whatever the shell started too; default signal
  // dispositions and an empty mask, whatever dns01 itself had installed.
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGCHLD}) sigaddset(&defaults, s);
  posix_spawnattr_setpgroup(attr.get(), 0);
  posix_spawnattr_setsigmask(attr.get(), &none);
  posix_spawnattr_setsigdefault(attr.get(), &defaults);
  posix_spawnattr_setflags(attr.get(), POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> env = build_environment(hook.env);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string sh = "/bin/sh", dash_c = "-c", command = hook.command;
  char* argv[] = {sh.data(), dash_c.data(), command.data(), nullptr};

  log.info("hook", "running {}", name);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, "/bin/sh", actions.get(), attr.get(), argv, envp.data());
  write_end.reset();  // the child has its copy; EOF arrives when every writer is gone
  if (rc != 0) return fmt::format("{} could not be started: {}", name, std::strerror(rc));

  ::fcntl(read_end.get(), F_SETFL, ::fcntl(read_end.get(), F_GETFL) | O_NONBLOCK);
  LineLogger lines(fmt::format("{} hook", hook.kind.empty() ? "hook" : hook.kind));
  const auto deadline = SteadyClock::now() + hook.timeout;
  bool open = true, exited = false, killed = false, interrupted = false;
  int status = 0;
  // Read until the shell has exited and its output is drained. A background process that keeps
  // the pipe open must not hold us: once the shell is gone we only drain briefly.
  SteadyClock::time_point drain_until{};
  for (;;) {
    if (!exited) {
      const pid_t w = ::waitpid(pid, &status, WNOHANG);
      if (w == pid) {
        exited = true;
        drain_until = SteadyClock::now() + std::chrono::milliseconds(200);
      }
    }
    const auto now = SteadyClock::now();
    if (exited && (!open || now >= drain_until)) break;
    if (!exited && (now >= deadline || stop_requested())) {
      interrupted = now < deadline;
      ::kill(-pid, SIGKILL);
      killed = true;
      break;
    }
    if (open) {
      pollfd pfd{read_end.get(), POLLIN, 0};
      if (::poll(&pfd, 1, 50) > 0) open = read_some(read_end.get(), lines);
    } else {
      ::poll(nullptr, 0, 5);  // output closed: the exit follows at once (or the deadline)
    }
  }
  lines.flush();
  if (!exited) {
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (killed) {
    if (interrupted) return fmt::format("{} was stopped by a signal to dns01", name);
    return fmt::format("{} was killed after {}", name, format_duration(hook.timeout));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    log.debug("hook", "{} succeeded", name);
    return {};
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    return fmt::format("{} exited with 127 (command not found?)", name);
  return fmt::format("{} {}", name, describe_status(status));
}

}  // namespace dns01::flow
