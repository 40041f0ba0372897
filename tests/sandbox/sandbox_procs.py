"""Process, address and port helpers for the sandbox (loopback only, stop by PID).

Everything here acts on things the sandbox itself created: addresses it added to `lo`, processes
it spawned (recorded by PID together with a token that must appear in their command line, so a
recycled PID is never signalled). Nothing is ever looked up or killed by name.
"""

import json
import os
import random
import signal
import socket
import subprocess
import time

IP = '/usr/sbin/ip'


class SandboxError(RuntimeError):
    """A sandbox step failed; the message says which step and what to look at."""


# --- loopback addresses ---------------------------------------------------------------------

def lo_addresses():
    """IPv4 addresses currently configured on lo."""
    out = subprocess.run([IP, '-o', '-4', 'addr', 'show', 'dev', 'lo'], check=True,
                         capture_output=True, text=True).stdout
    found = set()
    for line in out.splitlines():
        parts = line.split()
        if 'inet' in parts:
            found.add(parts[parts.index('inet') + 1].split('/')[0])
    return found


def add_address(addr):
    """Adds addr/32 to lo. False if it is already there (possibly added by a concurrent sandbox:
    `ip addr add` is atomic, so exactly one of two racing callers wins)."""
    res = subprocess.run([IP, 'addr', 'add', addr + '/32', 'dev', 'lo'],
                         capture_output=True, text=True)
    if res.returncode == 0:
        return True
    if 'exists' in res.stderr:
        return False
    raise SandboxError('sandbox: add address %s to lo: %s (hint: the sandbox needs root to '
                       'configure loopback addresses)' % (addr, res.stderr.strip()))


def del_address(addr):
    subprocess.run([IP, 'addr', 'del', addr + '/32', 'dev', 'lo'], capture_output=True, text=True)


def claim_address_pair(rng=random):
    """Picks a fresh 127.A.B.0/30-ish pair (127.A.B.1, 127.A.B.2) and adds both to lo."""
    for _ in range(50):
        a, b = rng.randint(100, 250), rng.randint(100, 250)
        primary, secondary = '127.%d.%d.1' % (a, b), '127.%d.%d.2' % (a, b)
        present = lo_addresses()
        if primary in present or secondary in present:
            continue
        if not add_address(primary):
            continue
        if not add_address(secondary):
            del_address(primary)
            continue
        return primary, secondary
    raise SandboxError('sandbox: pick loopback addresses: 50 random 127.A.B.x pairs were taken '
                       '(hint: stale sandboxes? list them with `ip addr show dev lo`)')


# --- ports ----------------------------------------------------------------------------------

def _bindable(addr, port, kind):
    family = socket.AF_INET6 if ':' in addr else socket.AF_INET
    s = socket.socket(family, kind)
    try:
        if kind == socket.SOCK_STREAM:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def port_free_everywhere(port, addrs):
    return all(_bindable(a, port, k) for a in addrs for k in (socket.SOCK_DGRAM, socket.SOCK_STREAM))


def pick_port(addrs, rng=random, low=20000, high=60999):
    """A port free for UDP and TCP on every address in addrs."""
    for _ in range(200):
        port = rng.randint(low, high)
        if port_free_everywhere(port, addrs):
            return port
    raise SandboxError('sandbox: pick a free port on %s: none found in 200 tries' % ', '.join(addrs))


def free_tcp_port(addr='127.0.0.1'):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((addr, 0))
        return s.getsockname()[1]
    finally:
        s.close()


def free_udp_port(addr):
    """A port free for UDP on addr (and TCP, to be safe)."""
    return pick_port([addr])


# --- processes ------------------------------------------------------------------------------

def spawn(argv, *, cwd, log_path, env=None, pid_path=None):
    """Starts argv in its own session (Ctrl-C of a terminal does not reach it), stdout/stderr to
    log_path. Popen execs directly, so the returned Popen.pid is the daemon's own PID."""
    with open(log_path, 'ab') as log:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
    if pid_path:
        with open(pid_path, 'w', encoding='ascii') as f:
            f.write('%d\n' % proc.pid)
    return proc


def pid_matches(pid, token):
    """True if pid is alive (not a zombie) and its command line contains token."""
    try:
        with open('/proc/%d/stat' % pid, 'rb') as f:
            stat = f.read()
        state = stat[stat.rindex(b')') + 2:][:1]
        if state in (b'Z', b'X'):
            return False
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            cmdline = f.read().replace(b'\0', b' ').decode('utf-8', 'replace')
    except (OSError, ValueError):
        return False
    return token in cmdline


def stop_pid(pid, token, proc=None, timeout=5.0):
    """SIGTERM, wait up to timeout, then SIGKILL — only if pid still runs a command containing
    token. Reaps it when proc (our Popen) is given. Returns True if it is gone."""
    if proc is not None and proc.poll() is not None:
        return True
    if not pid_matches(pid, token):
        if proc is not None:
            proc.poll()
        return True
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 2.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if proc is not None:
                if proc.poll() is not None:
                    return True
            elif not pid_matches(pid, token):
                return True
            time.sleep(0.02)
    return not pid_matches(pid, token)


# --- registry of live sandboxes (for cleaning up after a SIGKILLed test run) ----------------
#
# One JSON file per sandbox in REGISTRY (tmpfs: cleared on reboot, like the addresses). An entry
# is stale when the process that created it is gone AND none of its daemons runs any more; only
# then are its addresses removed. A CLI-started sandbox (creator exited, daemons running) stays.

REGISTRY = '/run/dns01-sandbox'


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open('/proc/%d/stat' % pid, 'rb') as f:
            stat = f.read()
        return stat[stat.rindex(b')') + 2:][:1] not in (b'Z', b'X')
    except (OSError, ValueError):
        return False


def register(key, entry):
    os.makedirs(REGISTRY, mode=0o700, exist_ok=True)
    path = os.path.join(REGISTRY, key + '.json')
    with open(path + '.tmp', 'w', encoding='utf-8') as f:
        json.dump(entry, f)
    os.replace(path + '.tmp', path)


def unregister(key):
    try:
        os.unlink(os.path.join(REGISTRY, key + '.json'))
    except FileNotFoundError:
        pass


def gc_stale():
    """Removes the addresses of sandboxes whose creator and daemons are all gone. Returns the
    workdirs cleaned up."""
    cleaned = []
    try:
        names = os.listdir(REGISTRY)
    except FileNotFoundError:
        return cleaned
    for name in names:
        if not name.endswith('.json'):
            continue
        path = os.path.join(REGISTRY, name)
        try:
            with open(path, encoding='utf-8') as f:
                entry = json.load(f)
        except (OSError, ValueError):
            continue
        if _alive(int(entry.get('owner_pid', 0))):
            continue
        workdir = entry.get('workdir', '')
        pids = entry.get('pids', {})
        if workdir and any(pid_matches(int(p), workdir) for p in pids.values()):
            continue
        # Claim the entry by renaming it: of two concurrent collectors only one gets here, and
        # the addresses stay on lo (so nobody can claim them anew) until that one removes them.
        claimed = '%s.gc-%d' % (path, os.getpid())
        try:
            os.rename(path, claimed)
        except FileNotFoundError:
            continue
        for addr in entry.get('addresses', []):
            del_address(addr)
        os.unlink(claimed)
        cleaned.append(workdir)
    return cleaned


def stop_all(entries, timeout=5.0):
    """Stops several processes at once: SIGTERM to all, wait up to timeout for all, SIGKILL the
    rest. entries: list of (pid, token, Popen or None); a pid whose command line lacks token
    (exited, PID recycled) is left alone. Returns the PIDs still alive afterwards."""
    def gone(pid, token, proc):
        if proc is not None:
            return proc.poll() is not None
        return not pid_matches(pid, token)

    live = [e for e in entries if not gone(*e)]
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 2.0)):
        for pid, _token, _proc in live:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while live and time.monotonic() < deadline:
            live = [e for e in live if not gone(*e)]
            if live:
                time.sleep(0.02)
        if not live:
            break
    return [pid for pid, _t, _p in live]


def stop_recorded(workdir, pids, addresses, procs=None, order=('pebble', 'secondary', 'primary',
                                                                  'relay')):
    """Stops a sandbox from its records: its processes (pids: name -> PID, checked against
    workdir in their command line; procs: name -> our Popen, to reap), its addresses, its
    registry entry and <workdir>/state.json. Idempotent."""
    procs = procs or {}
    names = [n for n in order if n in pids] + [n for n in pids if n not in order]
    stop_all([(int(pids[n]), workdir, procs.get(n)) for n in names if pids[n]])
    for addr in addresses:
        del_address(addr)
    if addresses:
        unregister(addresses[0])
    try:
        os.unlink(os.path.join(workdir, 'state.json'))
    except FileNotFoundError:
        pass
