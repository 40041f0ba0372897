// The probe loop: all (server, name) pairs in one poll() loop, with a schedule that grows with
// the time spent waiting and a query budget per server address.
#include "dns01/propagation/checker.hpp"

#include <fmt/format.h>

#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <thread>

#include "dns01/error.hpp"
#include "dns01/log.hpp"
#include "dns01/propagation/budget.hpp"

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
    Clock::time_point last_sent{};  // round robin order; never asked sorts first
    bool in_flight = false;
    bool held = false;     // due, waiting for its server's budget (counted once per wait)
    bool resweep = false;  // its server began serving the zone while this query was out
    bool swept = false;    // asked at once, without a token: charged only if not served
    bool free = false;     // the query in flight went out without a token
    std::size_t server = 0;
  };
  std::vector<Slot> slots(probes.size(), Slot{start});
  // One budget and one load entry per server address.
  std::vector<QueryBudget> budgets;
  std::vector<ServerLoad> load;
  std::map<std::string, std::size_t> server_index;
  for (std::size_t i = 0; i < probes.size(); ++i) {
    const std::string key = probes[i].server.address.str();
    auto [it, fresh] = server_index.emplace(key, budgets.size());
    if (fresh) {
      budgets.emplace_back(options.queries_per_second, options.burst, start);
      load.push_back(ServerLoad{.server = key});
    }
    slots[i].server = it->second;
  }
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
  // Backoff floor for a server: one probe per name still pending there per second (the budget
  // caps it in QueryBudget).
  auto pending_at = [&](std::size_t server) {
    double n = 0;
    for (std::size_t j = 0; j < probes.size(); ++j)
      if (slots[j].server == server && probes[j].state != ProbeState::seen) n += 1;
    return std::max(1.0, n);
  };
  // Probe i's server now serves its zone's new version: ask the zone's other pending names
  // there now rather than on their turn. Not while the last sweep's misses are still being
  // paid for: names appearing one transfer at a time would otherwise sweep n times.
  auto sweep = [&](std::size_t i, Clock::time_point at) {
    if (budgets[slots[i].server].in_debt(at)) return;
    for (std::size_t j = 0; j < probes.size(); ++j) {
      if (j == i || slots[j].server != slots[i].server || probes[j].recursive ||
          probes[j].zone != probes[i].zone || probes[j].state == ProbeState::seen)
        continue;
      if (slots[j].in_flight) {
        slots[j].resweep = true;
      } else {
        slots[j].next = std::min(slots[j].next, at);
        slots[j].swept = true;
      }
    }
  };
  auto on_result = [&](std::size_t i, const QueryResult& r) {
    Probe& probe = probes[i];
    Slot& slot = slots[i];
    const auto at = Clock::now();
    slot.in_flight = false;
    ServerLoad& used = load[slot.server];
    QueryBudget& budget = budgets[slot.server];
    if (r.truncated) ++used.truncated;
    if (r.udp_timed_out) {
      ++used.udp_timeouts;
      if (budget.timed_out(at, pending_at(slot.server))) {
        ++used.backoffs;
        Logger::global().debug("propagation", "{} dropped a UDP query: {:.0f} queries/s from now",
                               used.server, budget.rate());
      }
    } else if (r.status == QueryResult::Status::reply) {
      budget.answered(at);
    }
    const bool was_seen = probe.state == ProbeState::seen;
    std::string meaning = apply(probe, r);
    Logger::global().trace("propagation", "TXT {} at {}: {} ({}, {} us)", probe.name,
                           probe.server.label(), probe.detail, r.tcp ? "tcp" : "udp", r.rtt.count());
    if (probe.state == ProbeState::seen) {
      if (!probe.seen_after) probe.seen_after = duration_cast<milliseconds>(at - start);
      if (!slot.free) budget.refund();
      ++used.finished;
      if (!was_seen && !probe.recursive) sweep(i, at);
    } else if (slot.free) {
      budget.charge(at);
    }
    slot.next = slot.resweep ? at : at + interval(at);
    slot.swept = slot.resweep;
    slot.resweep = false;
    if (meaning != meanings[i]) {
      meanings[i] = std::move(meaning);
      if (progress) progress(probe);
    }
  };

  std::vector<std::size_t> due;
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
    due.clear();
    for (std::size_t i = 0; i < probes.size(); ++i) {
      const Probe& p = probes[i];
      const Slot& slot = slots[i];
      if (slot.in_flight || p.state == ProbeState::seen) continue;
      if (p.recursive && !authoritative_done) continue;
      if (slot.next > now) {
        wake = std::min(wake, slot.next);
        continue;
      }
      due.push_back(i);
    }
    // Round robin per server: the name asked least recently goes first.
    std::stable_sort(due.begin(), due.end(), [&](std::size_t a, std::size_t b) {
      return slots[a].last_sent < slots[b].last_sent;
    });
    for (std::size_t i : due) {
      Probe& p = probes[i];
      Slot& slot = slots[i];
      QueryBudget& budget = budgets[slot.server];
      // Swept names go out together, without a token: their answers most likely finish
      // them (refunded anyway), and one that does not is charged when it comes back.
      slot.free = slot.swept;
      slot.swept = false;
      if (!slot.free && !budget.try_take(now)) {
        if (!slot.held) ++load[slot.server].held;
        slot.held = true;
        wake = std::min(wake, budget.next_token(now));
        continue;
      }
      slot.held = false;
      slot.in_flight = true;
      slot.last_sent = now;
      ++p.queries;
      ++load[slot.server].queries;
      transport.start(Query{p.server.address, Question{p.name, rrtype::TXT}, p.recursive},
                      [&, i](const QueryResult& r) { on_result(i, r); });
    }
    transport.run_once(wake);
  }

  CheckResult result;
  result.ok = done(false) && done(true);
  result.elapsed = duration_cast<milliseconds>(Clock::now() - start);
  result.packets_sent = transport.packets_sent() - sent_before;
  result.probes = std::move(probes);
  for (std::size_t k = 0; k < load.size(); ++k)
    load[k].rate = budgets[k].unlimited() ? 0 : budgets[k].rate();
  result.load = std::move(load);
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
