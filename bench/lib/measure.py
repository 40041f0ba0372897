"""One timed run of one scenario: wall time, peak RSS (GNU time -v), DNS queries (BIND query logs).

Runs are strictly one at a time, so every query in the logs between two marks belongs to the run
(the client's own queries plus the CA's validation lookups). The secondary's zone maintenance
(its SOA checks and IXFRs to the primary after each NOTIFY) is not a client query and is left
out: those lines are the ones in the primary's log whose client address is the secondary's.
"""

import atexit
import json
import os
import re
import signal
import subprocess
import time

GNU_TIME = '/usr/bin/time'
_RSS = re.compile(r'Maximum resident set size \(kbytes\):\s*(\d+)')
# "... client @0x7f.. 127.1.2.2#54926 (example.test): query: example.test IN SOA -E(0) (127.1.2.1)"
# signed queries: "... 127.1.2.1#48110/key dns01-acme (example.test): query: ... SOA -ST (...)"
_QUERY = re.compile(r'client @\S+ (\S+?)#\d+(?:/key \S+)? \(([^)]*)\): query: (\S+) IN (\S+) (\S+)')


_live = set()  # process groups of runs in progress (bench/run's own children)


@atexit.register
def _kill_live_runs():
    """On an early exit (Ctrl-C, SIGTERM turned into SystemExit) no client outlives the
    benchmark: each run is its own process group, created by run_timed."""
    for pgid in list(_live):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


class QueryLogs:
    """Counts query-log lines appended since mark()."""

    def __init__(self, sb):
        self.paths = dict(sb.query_log_paths)
        self.secondary_ip = sb.secondary_ip
        self.offsets = {}

    def mark(self):
        self.offsets = {role: _size(p) for role, p in self.paths.items()}

    def count(self):
        """{'primary': n, 'secondary': n, 'total': n, 'ca': n}. 'ca' counts recursion-desired TXT
        queries at the secondary (pebble's lookups: the CA asks the secondary; no client here
        sends RD=1 queries to the secondary), so 'total' - 'ca' is what the client sent."""
        out = {'primary': 0, 'secondary': 0, 'ca': 0}
        for role, path in self.paths.items():
            with open(path, 'rb') as f:
                f.seek(self.offsets.get(role, 0))
                text = f.read().decode('utf-8', 'replace')
            for line in text.splitlines():
                m = _QUERY.search(line)
                if not m:
                    continue
                client, _, _, rdtype, flags = m.groups()
                if role == 'primary' and client == self.secondary_ip:
                    continue  # zone maintenance: the secondary's SOA check / IXFR
                out[role] += 1
                if role == 'secondary' and rdtype == 'TXT' and flags.startswith('+'):
                    out['ca'] += 1
        out['total'] = out['primary'] + out['secondary']
        return out


def _size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def run_timed(cmd, rundir, prefix=(), timeout=300.0):
    """Runs cmd.argv (after prefix) under GNU time -v in its own process group.

    Returns {'rc', 'wall_s', 'rss_kb', 'stdout', 'stderr', 'json', 'timed_out'}; stdout/stderr
    are also saved in rundir. On timeout the process group (ours) is killed."""
    time_file = os.path.join(rundir, 'time.txt')
    argv = [GNU_TIME, '-v', '-o', time_file] + list(prefix) + list(cmd.argv)
    started = time.monotonic()
    proc = subprocess.Popen(argv, env=cmd.env, cwd=rundir, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    _live.add(proc.pid)
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the group we created for this run only
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
    finally:
        _live.discard(proc.pid)
    wall = time.monotonic() - started
    for name, text in (('stdout.txt', out), ('stderr.txt', err)):
        with open(os.path.join(rundir, name), 'w', encoding='utf-8') as f:
            f.write(text)
    rss = None
    try:
        with open(time_file, encoding='utf-8') as f:
            m = _RSS.search(f.read())
            rss = int(m.group(1)) if m else None
    except OSError:
        pass
    parsed = None
    if cmd.stdout_json:
        try:
            parsed = json.loads(out)
        except ValueError:
            parsed = None
    return {'rc': proc.returncode, 'wall_s': wall, 'rss_kb': rss, 'stdout': out, 'stderr': err,
            'json': parsed, 'timed_out': timed_out}


def last_error_line(text, limit=240):
    """The most telling line of a failed client's output, for the failure notes: the CA's
    problem detail (certbot "Detail:"), else the last error-ish line, else the last line."""
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    for word in ('detail:', 'unauthorized', 'error', 'exceeded', 'fail', 'invalid'):
        for l in reversed(lines):
            if word in l.lower():
                return l[:limit]
    return lines[-1][:limit] if lines else ''
