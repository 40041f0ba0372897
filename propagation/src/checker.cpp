// The probe loop: all (server, name) pairs in one poll() loop, with a schedule that grows with
// the time spent waiting.
#include "dns01/propagation/checker.hpp"

#include <fmt/format.h>

#include <fmt/ranges.h>

#include <algorithm>
#include <thread>

#include "dns01/error.hpp"
#include "dns01/log.hpp"

namespace dns01::propagation {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

// Leaves no callback pointing at this frame behind in the transport, however the loop ends.
struct CancelOnExit {
  Transport& transport;
  ~CancelOnExit() { transport.cancel_all(); }
};

// Applies one exchange to its probe and returns what it means for the user: the state with the
// error text, or with the rcode and the SORTED values served. Progress is reported when this
// changes, so a server rotating the order of an RRset between answers (BIND does, with two
// values at one name) is not a change, while a new value or a different error is.
std::string apply(Probe& p, const QueryResult& r) {
  p.rtt = r.rtt;
  p.tcp = r.tcp;
  if (r.status != QueryResult::Status::reply) {
    p.state = ProbeState::error;
    p.rcode.reset();
    p.detail = r.status == QueryResult::Status::timeout ? "no reply (" + r.error + ")" : r.error;
    return "error\n" + (r.status == QueryResult::Status::timeout ? std::string("timeout") : r.error);
  }
  const Reply& reply = *r.reply;
  p.rcode = reply.rcode;
  const std::string summary = summarize(reply, p.name);
  auto served = reply.txt(p.name);
  std::sort(served.begin(), served.end());
  std::string meaning = fmt::format("{}\n{}\n{}", reply.rcode, reply.aa, fmt::join(served, "\n"));
  if (!p.recursive && !reply.aa) {
    p.state = ProbeState::error;
    p.detail = "not authoritative (" + summary + ", AA flag not set: lame delegation?)";
    return "error\n" + meaning;
  }
  if (reply.rcode != rcode::noerror && reply.rcode != rcode::nxdomain) {
    p.state = ProbeState::error;
    p.detail = summary;
    return "error\n" + meaning;
  }
  const bool all = std::all_of(p.values.begin(), p.values.end(), [&](const std::string& v) {
    return std::find(served.begin(), served.end(), v) != served.end();
  });
  p.state = all ? ProbeState::seen : ProbeState::not_yet;
  p.detail = summary;
  return std::string(probe_state_name(p.state)) + "\n" + meaning;
}

// "still waiting after 10 s (290 s left) for 1 of 4 server checks: ns2... for _acme...: not yet (...)"
void heartbeat(const std::vector<Probe>& probes, milliseconds elapsed, milliseconds left) {
  std::vector<std::string> waiting;
  for (const auto& p : probes)
    if (p.state != ProbeState::seen)
      waiting.push_back(fmt::format("{}{} for {}: {}{}", p.recursive ? "resolver " : "", p.server.label(),
                                    p.name, probe_state_name(p.state),
                                    p.detail.empty() ? "" : " (" + p.detail + ")"));
  Logger::global().info("propagation", "still waiting after {} s ({} s left) for {} of {} server checks: {}",
                        elapsed.count() / 1000, (left.count() + 999) / 1000, waiting.size(),
                        probes.size(), fmt::join(waiting, "; "));
}

}  // namespace

const char* probe_state_name(ProbeState state) noexcept {
  switch (state) {
    case ProbeState::waiting: return "waiting";
    case ProbeState::not_yet: return "not yet";
    case ProbeState::seen: return "seen";
    case ProbeState::error: return "error";
  }
  return "?";
}

CheckResult run_probes(Transport& transport, std::vector<Probe> probes, const CheckOptions& options,
                       const ProgressFn& progress) {
  CancelOnExit guard{transport};
  const auto start = Clock::now();
  const auto deadline = start + options.timeout;
  const std::size_t sent_before = transport.packets_sent();
  struct Slot {
    Clock::time_point next;
    bool in_flight = false;
  };
  std::vector<Slot> slots(probes.size(), Slot{start});
  std::vector<std::string> meanings(probes.size());
  auto next_heartbeat = start + options.heartbeat;

  auto done = [&](bool recursive) {
    return std::all_of(probes.begin(), probes.end(), [&](const Probe& p) {
      return p.recursive != recursive || p.state == ProbeState::seen;
    });
  };
  auto interval = [&](Clock::time_point now) {
    auto grown = milliseconds(static_cast<long long>(
        options.growth * static_cast<double>(duration_cast<milliseconds>(now - start).count())));
    return std::clamp(grown, options.min_interval, options.max_interval);
  };

  for (;;) {
    auto now = Clock::now();
    const bool authoritative_done = done(false);
    if (authoritative_done && done(true)) break;
    if (options.cancelled && options.cancelled()) throw InterruptedError("propagation check");
    if (now >= deadline) break;
    if (options.heartbeat.count() > 0 && now >= next_heartbeat) {
      heartbeat(probes, duration_cast<milliseconds>(now - start), duration_cast<milliseconds>(deadline - now));
      next_heartbeat = now + options.heartbeat;
    }
    Clock::time_point wake = std::min(deadline, now + milliseconds(100));
    for (std::size_t i = 0; i < probes.size(); ++i) {
      Probe& p = probes[i];
      Slot& slot = slots[i];
      if (slot.in_flight || p.state == ProbeState::seen) continue;
      if (p.recursive && !authoritative_done) continue;
      if (slot.next > now) {
        wake = std::min(wake, slot.next);
        continue;
      }
      slot.in_flight = true;
      ++p.queries;
      transport.start(Query{p.server.address, Question{p.name, rrtype::TXT}, p.recursive},
                      [&, i, start](const QueryResult& r) {
                        Probe& probe = probes[i];
                        const auto at = Clock::now();
                        slots[i].in_flight = false;
                        slots[i].next = at + interval(at);
                        std::string meaning = apply(probe, r);
                        Logger::global().trace("propagation", "TXT {} at {}: {} ({}, {} us)",
                                               probe.name, probe.server.label(), probe.detail,
                                               r.tcp ? "tcp" : "udp", r.rtt.count());
                        if (probe.state == ProbeState::seen && !probe.seen_after)
                          probe.seen_after = duration_cast<milliseconds>(at - start);
                        if (meaning != meanings[i]) {
                          meanings[i] = std::move(meaning);
                          if (progress) progress(probe);
                        }
                      });
    }
    transport.run_once(wake);
  }

  CheckResult result;
  result.ok = done(false) && done(true);
  result.elapsed = duration_cast<milliseconds>(Clock::now() - start);
  result.packets_sent = transport.packets_sent() - sent_before;
  result.probes = std::move(probes);
  if (result.ok && options.extra_wait.count() > 0) {
    Logger::global().info("propagation", "every server serves the values; waiting {} ms more "
                          "(extra_wait policy)", options.extra_wait.count());
    const auto until = Clock::now() + options.extra_wait;
    while (Clock::now() < until) {
      if (options.cancelled && options.cancelled()) throw InterruptedError("propagation extra wait");
      std::this_thread::sleep_for(std::min<Clock::duration>(milliseconds(100), until - Clock::now()));
    }
  }
  return result;
}

std::string describe_probe(const Probe& p) {
  std::string where = (p.recursive ? "resolver " : "") + p.server.label();
  if (p.state == ProbeState::seen)
    return fmt::format("{}: {} seen after {} ms ({}, rtt {:.1f} ms)", where, p.name,
                       p.seen_after ? p.seen_after->count() : 0, p.tcp ? "tcp" : "udp",
                       static_cast<double>(p.rtt.count()) / 1000.0);
  return fmt::format("{}: {} {} ({})", where, p.name, probe_state_name(p.state), p.detail);
}

PropagationError failure_error(const CheckResult& result, std::chrono::milliseconds timeout) {
  std::vector<std::string> lines;
  for (const auto& p : result.probes) {
    if (p.state == ProbeState::seen) continue;
    lines.push_back(fmt::format("{}{} for {}: {}{}", p.recursive ? "resolver " : "",
                                p.server.label(), p.name, probe_state_name(p.state),
                                p.detail.empty() ? "" : " (" + p.detail + ")"));
  }
  const double seconds = static_cast<double>(timeout.count()) / 1000.0;
  return PropagationError(
      "wait for the TXT records",
      fmt::format("{} of {} server checks did not see the values within {:g} s: {}", lines.size(),
                  result.probes.size(), seconds, fmt::join(lines, "; ")),
      "servers answering 'not yet' are lagging: raise [propagation] timeout (for one run: "
      "--propagation-timeout on issue/renew, --timeout on check); for unreachable or REFUSED "
      "servers fix them or, in split-horizon setups, list the servers to check with "
      "[propagation] nameservers (for one run: --nameserver)");
}

}  // namespace dns01::propagation
