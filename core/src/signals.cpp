#include "dns01/signals.hpp"

#include <atomic>

namespace dns01 {

namespace {
// sig_atomic_t-compatible lock-free atomics are safe to touch from a signal handler.
std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_stop_signal(int sig) {
  if (g_signal.load() == sig) {
    // Second identical signal: the user insists. Let the default action end the process.
    std::signal(sig, SIG_DFL);
    std::raise(sig);
    return;
  }
  g_signal.store(sig);
}
}  // namespace

StopOnSignals::StopOnSignals() {
  g_signal.store(0);
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR and notice the request sooner
  sigaction(SIGINT, &sa, &old_int_);
  sigaction(SIGTERM, &sa, &old_term_);
}

StopOnSignals::~StopOnSignals() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
  g_signal.store(0);
}

bool stop_requested() noexcept { return g_signal.load() != 0; }
int stop_signal() noexcept { return g_signal.load(); }

}  // namespace dns01
