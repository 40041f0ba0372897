#pragma once
// The wait itself: every (server, record name) pair probed concurrently until each server
// serves every expected value, or the timeout.
//
// Schedule: each pair is probed at once, then again after an interval that grows with the time
// spent waiting (interval = clamp(growth × elapsed, min_interval, max_interval)), so a value
// that appears after t seconds is noticed within about growth × t (5 % by default), while a
// long wait settles at one query per max_interval per pair. A pair is never re-queried once its
// server served the values, and only one query per pair is in flight at a time.
//
// Budget: on top of the schedule, each server address has a query budget (budget.hpp: token
// bucket of queries_per_second with a burst, answers that finish a pair refunded, halved on
// UDP timeouts). Probes the schedule says are due but the budget holds back go round robin:
// the name asked least recently at that server first. When a server starts serving one name
// of a zone, every other name of that zone still pending there is asked at once, all together
// (a zone changes on the server in one transfer, so they are most likely there too) instead of
// on its turn; one that is not there yet costs its token afterwards, and while those costs
// exceed the bucket no new sweep starts at that server. With one or two names
// the default budget never holds a probe back: small runs behave exactly as without it.
//
// Authoritative probes (RD=0) count only answers with the AA flag; a reply without it (a lame
// server) is an error state. Recursive probes (policy require_recursive) use RD=1, accept any
// NOERROR answer, and start only once every authoritative server is done, so an early NXDOMAIN
// is not cached by the resolver for the zone's negative TTL.
//
// Threading: runs on the calling thread; the progress callback is called on it.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dns01/error.hpp"
#include "dns01/propagation/discovery.hpp"
#include "dns01/propagation/transport.hpp"

namespace dns01::propagation {

// One TXT value that must be served at one record name.
struct Expectation {
  std::string name;   // record name (CNAMEs are followed by the Checker facade)
  std::string value;  // exact TXT value (the strings of one RR joined)
};

enum class ProbeState {
  waiting,  // no usable answer yet
  not_yet,  // an authoritative answer without (all) the values: NXDOMAIN, NODATA, other values
  seen,     // every expected value served
  error,    // the last attempt failed: timeout, network error, SERVFAIL/REFUSED, not authoritative
};
const char* probe_state_name(ProbeState state) noexcept;  // "waiting", "not yet", "seen", "error"

struct Probe {
  std::string name;                 // record name queried (canonical)
  std::vector<std::string> values;  // expected values at that name
  std::string zone;                 // zone of the name, when known
  AuthServer server;
  bool recursive = false;           // a resolver (RD=1) rather than an authoritative server

  ProbeState state = ProbeState::waiting;
  std::string detail;               // last answer summary or error text
  std::optional<int> rcode;         // of the last reply
  std::chrono::microseconds rtt{0}; // of the last exchange
  bool tcp = false;                 // the last reply came over TCP
  unsigned queries = 0;             // exchanges started
  std::optional<std::chrono::milliseconds> seen_after;  // since the start of the check
};

struct CheckOptions {
  std::chrono::milliseconds timeout{std::chrono::seconds(300)};
  std::chrono::milliseconds min_interval{20};
  std::chrono::milliseconds max_interval{2000};
  double growth = 0.05;
  std::chrono::milliseconds extra_wait{0};  // policy: fixed wait after success (opt-in)
  // While waiting, an info line this often names the server checks not done yet and the time
  // left (0 = never), so a long wait is never silent.
  std::chrono::milliseconds heartbeat{std::chrono::seconds(10)};
  // Polled at least every 100 ms; returning true stops the check with InterruptedError.
  std::function<bool()> cancelled;
  // Per server address ([propagation] queries_per_second): queries per second and how many may
  // be saved up. 0 = no budget (only the schedule). The burst default lets one or two names
  // follow the schedule unhindered (the schedule's first 0.8 s ask two names ~70 times).
  double queries_per_second = 50;
  double burst = 40;
};

// What the wait cost one server address (one entry per address, in first-use order).
struct ServerLoad {
  std::string server{};        // address, "127.0.0.1:53"
  unsigned queries = 0;        // exchanges started
  unsigned finished = 0;       // answers that finished a (server, name) pair (token refunded)
  unsigned held = 0;           // times a due probe waited for the budget
  unsigned udp_timeouts = 0;   // UDP legs that got no answer (then TCP)
  unsigned truncated = 0;      // truncated UDP replies (then TCP); RRL "slips" are these
  unsigned backoffs = 0;       // times the rate was halved after a UDP timeout
  double rate = 0;             // queries/s allowed at the end (0: no budget)
};

struct CheckResult {
  bool ok = false;
  std::vector<Target> targets;  // filled by the Checker facade
  std::vector<Probe> probes;
  std::chrono::milliseconds elapsed{0};   // until success or timeout (extra_wait excluded)
  std::size_t packets_sent = 0;           // DNS messages sent by the wait (discovery excluded)
  std::vector<ServerLoad> load;           // per server address
};

// One progress line for a probe: "ns2.example.test (127.0.0.2:53): _acme-challenge.example.test
// seen after 812 ms (udp, rtt 0.2 ms)" or "...: not yet (NXDOMAIN aa)".
std::string describe_probe(const Probe& probe);

// Called when a probe's answer changes meaning: its state, its rcode, the SET of values served,
// or its error. A server rotating the order of the values is not a change.
using ProgressFn = std::function<void(const Probe&)>;

// Runs the probes until success or timeout. Recursive probes wait for the authoritative ones.
// Returns ok=false on timeout (it does not throw for that); throws InterruptedError when
// options.cancelled says so.
CheckResult run_probes(Transport& transport, std::vector<Probe> probes, const CheckOptions& options,
                       const ProgressFn& progress = {});

// The error for a failed result: names each server that did not serve the values and what it
// last returned, e.g. "ns2.example.test (127.0.0.2:53) for _acme-challenge.example.test:
// not yet (NXDOMAIN aa)".
PropagationError failure_error(const CheckResult& result, std::chrono::milliseconds timeout);

}  // namespace dns01::propagation
