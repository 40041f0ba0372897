"""When do the authoritative servers serve a run's challenge records? (bench/cloud)

A cloud provider's API answers before its nameservers serve the change (the fakes model that
with BindBackend's apply delay and the sandbox's lagging secondary), so "how fast" means: how
long after the LAST nameserver started serving every value did the client finish? This module
watches the sandbox's primary and secondary from a thread, polling each challenge name every
few milliseconds, and records the first moment each server serves each number of TXT values
there. Runs start from a clean state (wait_clean), so every value seen is the run's own; the
tokens themselves are not known in advance.
"""

import threading
import time

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rdatatype


def challenge_counts(domains):
    """{'_acme-challenge.<name>': number of values} for an order (apex and wildcard share)."""
    counts = {}
    for d in domains:
        name = '_acme-challenge.' + (d[2:] if d.startswith('*.') else d)
        counts[name] = counts.get(name, 0) + 1
    return counts


def txt_count(server, port, name, timeout=0.2):
    """Number of TXT values `server` serves at `name` (RD=0 UDP query; errors count as 0)."""
    q = dns.message.make_query(name.rstrip('.') + '.', 'TXT')
    q.flags &= ~dns.flags.RD
    try:
        resp = dns.query.udp(q, server, port=port, timeout=timeout)
    except Exception:  # a timeout under load is "not seen yet", never a crash of the bench
        return 0
    owner = dns.name.from_text(name.rstrip('.') + '.')
    return sum(len(rrset) for rrset in resp.answer
               if rrset.name == owner and rrset.rdtype == dns.rdatatype.TXT)


class ServedWatcher:
    """Polls every server for every name until stopped, remembering when each server first
    served each number of values there. A client may add fewer values than the order has
    names: pebble can hand back an authorization that is already valid, whose challenge is
    then not solved. So what a run added at a name is the most values any server served there
    during the run, and .served_at() is when the last server first served that many at every
    name (None if some server never did while watching)."""

    def __init__(self, servers, port, names, interval=0.003):
        self.servers = list(servers)
        self.port = port
        self.names = list(names)
        self.interval = interval
        self.first = {}          # (server, name, count) -> monotonic time first seen
        self.cycles = 0
        self.max_gap = 0.0       # longest time between two polling rounds (the resolution)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name='served-watcher', daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self):
        last = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            self.max_gap = max(self.max_gap, now - last)
            last = now
            self.cycles += 1
            for server in self.servers:
                for name in self.names:
                    n = txt_count(server, self.port, name)
                    seen = time.monotonic()
                    for c in range(1, n + 1):
                        self.first.setdefault((server, name, c), seen)
            self._stop.wait(self.interval)

    def added(self):
        """{name: values the run added there} (names where nothing was seen are left out)."""
        out = {}
        for (_, name, c) in self.first:
            out[name] = max(out.get(name, 0), c)
        return out

    def completed(self):
        """{(server, name): time that server first served all the run's values at name}."""
        return {(s, name): self.first[(s, name, want)]
                for name, want in self.added().items() for s in self.servers
                if (s, name, want) in self.first}

    def served_at(self):
        done = self.completed()
        if not done or len(done) < len(self.servers) * len(self.added()):
            return None
        return max(done.values())


def wait_clean(servers, port, names, timeout=60.0):
    """Waits until no server serves a TXT value at any of names (the previous run's removal,
    delayed by the fake and the secondary, has landed). Returns the seconds waited."""
    started = time.monotonic()
    deadline = started + timeout
    while True:
        if all(txt_count(s, port, n) == 0 for s in servers for n in names):
            return time.monotonic() - started
        if time.monotonic() > deadline:
            raise TimeoutError('bench/cloud: challenge records still served after %.0f s: %s'
                               % (timeout, ', '.join(names)))
        time.sleep(0.02)
