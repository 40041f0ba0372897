#pragma once
// SIGINT/SIGTERM as a cancellation request instead of an abrupt exit, so that a run interrupted
// while its TXT records exist still removes them.
//
//   dns01::StopOnSignals stop;                       // installs handlers for its lifetime
//   options.cancelled = [] { return dns01::stop_requested(); };
//   ...
//   if (dns01::stop_requested()) throw dns01::InterruptedError("wait for propagation");
//
// The handler only sets a flag (async-signal-safe). A second signal of the same kind while the
// flag is set restores the default action and re-raises it, so an impatient Ctrl-C twice still
// ends the process (the journal lets the next run clean up).
//
// Threading: stop_requested() may be called from any thread. Only one StopOnSignals may be alive.
#include <csignal>

namespace dns01 {

class StopOnSignals {
 public:
  StopOnSignals();
  ~StopOnSignals();  // restores the previous handlers and clears the flag
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

// True once SIGINT or SIGTERM arrived while a StopOnSignals was alive.
bool stop_requested() noexcept;
// The signal that requested the stop (SIGINT / SIGTERM), 0 if none.
int stop_signal() noexcept;

}  // namespace dns01
