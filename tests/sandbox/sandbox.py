#!/usr/bin/python3
"""The dns01 test sandbox: real BIND (primary + NOTIFY-fed secondary) and real pebble on loopback.

Library (tests import `from sandbox import Sandbox`) and CLI (scripts/demo, bench/):

    /usr/bin/python3 tests/sandbox/sandbox.py start --dir D [--secondary-delay N]
                                              [--ca-asks primary|secondary] [--no-querylog]
                                              [--rate-limit N]
    /usr/bin/python3 tests/sandbox/sandbox.py status --dir D
    /usr/bin/python3 tests/sandbox/sandbox.py set-delay --dir D N
    /usr/bin/python3 tests/sandbox/sandbox.py stop --dir D
    /usr/bin/python3 tests/sandbox/sandbox.py gc        # addresses of sandboxes whose processes died

See docs/sandbox.md for what runs where. Needs root (adds 127.A.B.1/.2 to lo). Everything is
stopped by recorded PID (checked against the command line first), never by name.
"""

import os
import sys

if __name__ == '__main__':
    # CLI first, before the library imports: `stop`/`status` should not pay for dnspython
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from sandbox_cli import main
    sys.exit(main())

import atexit  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import ssl  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402

import dns.exception  # noqa: E402
import dns.flags  # noqa: E402
import dns.rcode  # noqa: E402
import dns.rdatatype  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sandbox_files as files  # noqa: E402
from sandbox_dns import DnsClient, NsupdateError  # noqa: E402,F401  (NsupdateError re-exported)
from sandbox_procs import (SandboxError, claim_address_pair, free_tcp_port,  # noqa: E402
                           gc_stale, pick_port, register, spawn, stop_pid, stop_recorded)

NAMED = '/usr/sbin/named'
NAMED_CHECKCONF = '/usr/bin/named-checkconf'
PEBBLE = '/usr/bin/pebble'
PYTHON = '/usr/bin/python3'
HERE = os.path.dirname(os.path.abspath(__file__))
RELAY = os.path.join(HERE, 'notify_relay.py')
__all__ = ['Sandbox', 'SandboxError', 'NsupdateError']

STOP_ORDER = ('pebble', 'secondary', 'primary', 'relay')
READY_TIMEOUT = 15.0

_running = set()  # started, not stopped, not detached: stopped at interpreter exit


@atexit.register
def _stop_leftovers():
    for sb in list(_running):
        try:
            sb.stop()
        except Exception:  # best effort at interpreter exit
            pass


class _Retryable(SandboxError):
    """Start-up failed in a way a fresh address pair and port may fix (port taken meanwhile)."""


class Sandbox(DnsClient):
    """One sandbox: see docs/sandbox.md. Not thread-safe; start()/stop() from one thread."""

    tsig_name = 'dns01-key.'
    acme_tsig_name = 'dns01-acme.'
    tsig_algorithm = 'hmac-sha256'
    ipv6_ip = '::1'

    def __init__(self, workdir, *, secondary_delay=0.0, ca_asks='primary',
                 zones=('example.test', 'internal.test', 'other.test'), pebble_env=None,
                 eab_keys=None, eab_required=False, querylog=True, acme_labels=(),
                 rate_limit=None):
        if ca_asks not in ('primary', 'secondary'):
            raise ValueError("ca_asks must be 'primary' or 'secondary'")
        self.workdir = os.path.abspath(str(workdir))
        self.secondary_delay = float(secondary_delay)
        self.ca_asks = ca_asks
        self.zones = tuple(z.rstrip('.') for z in zones)
        self.pebble_env = dict(pebble_env or {})
        self.eab_keys = dict(eab_keys or {})
        self.eab_required = bool(eab_required)
        self.querylog = bool(querylog)
        # BIND `rate-limit { responses-per-second N; }` on both servers (None: off)
        self.rate_limit = int(rate_limit) if rate_limit else None
        # extra subdomain labels whose _acme-challenge.<label>.<zone> the restricted key may use
        self.acme_labels = tuple(files.ACME_SUBDOMAIN_LABELS) + tuple(
            l.strip('.') for l in acme_labels if l.strip('.') not in files.ACME_SUBDOMAIN_LABELS)
        self.primary_ip = self.secondary_ip = None
        self.dns_port = None
        self.tsig_secret = self.acme_tsig_secret = None
        self.tsig_key_file = self.acme_tsig_key_file = None
        self.acme_directory = self.pebble_management = None
        self.ca_bundle = self.ca_pem = None
        self.query_log_paths = {}
        self.rate_limit_log_paths = {}
        self.pids = {}
        self._procs = {}
        self._addresses = []
        self._relay_port = None
        self._pebble_ports = {}
        self.started = False

    # --- lifecycle --------------------------------------------------------------------------

    def start(self):
        if os.geteuid() != 0:
            raise SandboxError('sandbox: start: needs root (it adds 127.A.B.x addresses to lo)')
        if self.started:
            return self
        gc_stale()
        wanted_delay = self.secondary_delay
        for attempt in range(2):
            try:
                self._start_once(wanted_delay)
                self.started = True
                _running.add(self)
                return self
            except _Retryable as exc:
                try:
                    with open(self._path('start-attempts.log'), 'a', encoding='utf-8') as f:
                        f.write('attempt %d failed: %s\n' % (attempt + 1, exc))
                    self._keep_logs(attempt + 1)
                except OSError:
                    pass  # diagnostics only
                self.stop()
                if attempt == 1:
                    raise
            except BaseException:
                self.stop()
                raise
        return self

    def stop(self):
        """Stops every process (SIGTERM, then SIGKILL) and removes the addresses. Idempotent."""
        stop_recorded(self.workdir, self.pids, self._addresses, self._procs, STOP_ORDER)
        self.pids = {}
        self._procs = {}
        self._addresses = []
        self.started = False
        _running.discard(self)

    def _keep_logs(self, attempt):
        # the next attempt wipes the daemon directories: keep this attempt's for diagnosis
        dest = self._path('failed-attempt-%d' % attempt)
        shutil.rmtree(dest, ignore_errors=True)
        for sub in ('primary', 'secondary', 'pebble', 'relay'):
            if os.path.isdir(self._path(sub)):
                shutil.copytree(self._path(sub), os.path.join(dest, sub), dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns('*.key', 'key.pem', 'ca.key'))

    def detach(self):
        """Leaves the daemons running after this process exits (CLI `start`)."""
        _running.discard(self)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def _path(self, *parts):
        return os.path.join(self.workdir, *parts)

    def _start_once(self, wanted_delay):
        for sub in ('primary', 'secondary', 'pebble', 'relay', 'keys'):
            shutil.rmtree(self._path(sub), ignore_errors=True)
            os.makedirs(self._path(sub), mode=0o700)
        self.primary_ip, self.secondary_ip = claim_address_pair()
        self._addresses = [self.primary_ip, self.secondary_ip]
        self._register()
        self.dns_port = pick_port([self.primary_ip, self.secondary_ip, self.ipv6_ip])
        self._relay_port = pick_port([self.primary_ip])
        while self._relay_port == self.dns_port:
            self._relay_port = pick_port([self.primary_ip])
        self._write_keys()
        self._write_named_files()
        self.set_secondary_delay(0)  # until the primary's start-up NOTIFYs are through
        # pebble first: it generates its CA keys at start, meanwhile the DNS side comes up
        self._write_pebble_files()
        self._start_pebble()
        self._start_relay()
        # The secondary starts once the primary serves every zone: its first refresh would
        # otherwise get SERVFAIL/REFUSED from a primary still loading, and wait to retry.
        self._start_named('primary')
        self._wait_ready(servers=(self.primary_ip, self.ipv6_ip), pebble=False)
        self._start_named('secondary')
        self._wait_ready()
        self._wait_startup_notifies()
        self.set_secondary_delay(wanted_delay)
        self._write_state()

    def _start_named(self, role):
        # -L: messages logged before the `logging` block applies (interface set-up: "listening
        # on", "address in use") would otherwise go to syslog and be lost.
        self._spawn(role, [NAMED, '-f', '-L', self._path(role, 'startup.log'), '-c',
                           self._path(role, 'named.conf')], cwd=self._path(role))

    def _wait_startup_notifies(self):
        # A start-up NOTIFY still queued in the relay with the real delay would make the
        # secondary refresh early and pick up a test's first change before the delay is over.
        log = self._path('relay', 'relay.log')
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with open(log, encoding='utf-8') as f:
                text = f.read()
            if all('forwarded NOTIFY %s.' % z in text for z in self.zones):
                return
            time.sleep(0.02)
        raise _Retryable('sandbox: start: the primary sent no start-up NOTIFY for every zone '
                           '(see %s and %s)' % (log, self._path('primary', 'named.log')))

    def _spawn(self, name, argv, cwd, env=None):
        proc = spawn(argv, cwd=cwd, env=env, log_path=self._path(name, 'stdout.log'),
                     pid_path=self._path(name, 'process.pid'))
        self._procs[name] = proc
        self.pids[name] = proc.pid
        return proc

    def _write_keys(self):
        self.tsig_secret = files.new_tsig_secret()
        self.acme_tsig_secret = files.new_tsig_secret()
        self.tsig_key_file = self._path('keys', 'dns01-key.key')
        self.acme_tsig_key_file = self._path('keys', 'dns01-acme.key')
        files.write_private(self.tsig_key_file, files.key_clause(
            self.tsig_name, self.tsig_algorithm, self.tsig_secret))
        files.write_private(self.acme_tsig_key_file, files.key_clause(
            self.acme_tsig_name, self.tsig_algorithm, self.acme_tsig_secret))

    def _write_named_files(self):
        serial = int(time.time())
        for zone in self.zones:
            with open(self._path('primary', 'db.%s' % zone), 'w', encoding='ascii') as f:
                f.write(files.zone_file(zone, self.primary_ip, self.secondary_ip, serial))
        keys = {'full': (self.tsig_name, self.tsig_algorithm, self.tsig_secret),
                'acme': (self.acme_tsig_name, self.tsig_algorithm, self.acme_tsig_secret)}
        confs = {
            'primary': files.primary_conf(
                self._path('primary'), ip=self.primary_ip, ipv6=self.ipv6_ip, port=self.dns_port,
                secondary_ip=self.secondary_ip, relay_port=self._relay_port, zones=self.zones,
                keys=keys, querylog=self.querylog, acme_labels=self.acme_labels,
                rate_limit=self.rate_limit),
            'secondary': files.secondary_conf(
                self._path('secondary'), ip=self.secondary_ip, port=self.dns_port,
                primary_ip=self.primary_ip, zones=self.zones, querylog=self.querylog,
                rate_limit=self.rate_limit),
        }
        for role, text in confs.items():
            path = self._path(role, 'named.conf')
            files.write_private(path, text)
            res = subprocess.run([NAMED_CHECKCONF, '-z', path], capture_output=True, text=True,
                                 cwd=self._path(role))
            if res.returncode != 0:
                raise SandboxError('sandbox: check %s named.conf: %s' % (role, res.stdout + res.stderr))
        self.query_log_paths = {r: self._path(r, 'query.log') for r in ('primary', 'secondary')}
        self.rate_limit_log_paths = {r: self._path(r, 'rate-limit.log')
                                     for r in ('primary', 'secondary')}

    def _start_relay(self):
        log = self._path('relay', 'relay.log')
        self._spawn('relay', [PYTHON, RELAY, '--listen', self.primary_ip, '--port',
                              str(self._relay_port), '--target', self.secondary_ip,
                              '--target-port', str(self.dns_port), '--delay-file',
                              self._path('relay', 'delay'), '--log', log], cwd=self._path('relay'))
        # NOTIFYs sent before the relay listens are lost: wait for it before starting named.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if os.path.exists(log) and 'listening on' in open(log, encoding='utf-8').read():
                return
            if self._procs['relay'].poll() is not None:
                break
            time.sleep(0.02)
        raise SandboxError('sandbox: start NOTIFY relay: not listening (see %s and %s)'
                           % (log, self._path('relay', 'stdout.log')))

    def _write_pebble_files(self):
        d = self._path('pebble')
        self.ca_bundle, cert, key = files.make_tls(d)
        with open(self.ca_bundle, encoding='ascii') as f:
            self.ca_pem = f.read()
        ports = set()
        while len(ports) < 4:
            ports.add(free_tcp_port())
        listen, mgmt, http, tls = sorted(ports)
        self._pebble_ports = {'listen': listen, 'management': mgmt, 'http': http, 'tls': tls}
        files.pebble_config(self._path('pebble', 'config.json'), listen_port=listen,
                            mgmt_port=mgmt, http_port=http, tls_port=tls, cert=cert, key=key,
                            eab_required=self.eab_required, eab_keys=self.eab_keys)
        self.acme_directory = 'https://127.0.0.1:%d/dir' % listen
        self.pebble_management = 'https://127.0.0.1:%d' % mgmt

    def _start_pebble(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith('PEBBLE_')}
        env['PEBBLE_VA_NOSLEEP'] = '1'
        env.update({k: str(v) for k, v in self.pebble_env.items()})
        dns_ip = self.primary_ip if self.ca_asks == 'primary' else self.secondary_ip
        self._spawn('pebble', [PEBBLE, '-config', self._path('pebble', 'config.json'),
                               '-dnsserver', '%s:%d' % (dns_ip, self.dns_port)],
                    cwd=self._path('pebble'), env=env)

    # --- readiness --------------------------------------------------------------------------

    def _zone_ok(self, ip, zone):
        """ip serves our copy of zone: ns1.<zone> A is this sandbox's own primary address, so
        another sandbox's named answering on a shared address ([::1]) is never taken for ours."""
        try:
            resp = self.query(ip, 'ns1.%s.' % zone, 'A', timeout=0.5)
        except (dns.exception.DNSException, OSError):
            return False
        return resp.rcode() == dns.rcode.NOERROR and bool(resp.flags & dns.flags.AA) and any(
            rd.to_text() == self.primary_ip for rrset in resp.answer
            if rrset.rdtype == dns.rdatatype.A for rd in rrset)

    def _pebble_ok(self):
        try:
            self.acme_directory_json(timeout=1.0)
            return True
        except (OSError, ValueError):
            return False

    def _wait_ready(self, servers=None, pebble=True):
        """Waits until every zone is served by each of servers (default: primary, [::1],
        secondary) and, if pebble, until pebble's directory answers."""
        if servers is None:
            servers = (self.primary_ip, self.ipv6_ip, self.secondary_ip)
        deadline = time.monotonic() + READY_TIMEOUT
        pending = []
        while time.monotonic() < deadline:
            for name, proc in self._procs.items():
                if proc.poll() is not None:
                    self._check_clash()
                    raise SandboxError('sandbox: start: %s exited with %s (see its logs under %s)'
                                       % (name, proc.returncode, self._path(name)))
            pending = []
            for ip in servers:
                pending += ['%s %s' % (ip, z) for z in self.zones if not self._zone_ok(ip, z)]
            if pebble and not self._pebble_ok():
                pending.append('pebble %s' % self.acme_directory)
            if not pending:
                self._check_clash()
                return
            time.sleep(0.05)
        self._check_clash()
        raise _Retryable('sandbox: start: not ready after %.0f s: %s (see logs under %s)'
                         % (READY_TIMEOUT, ', '.join(pending), self.workdir))

    def _check_clash(self):
        for role in ('primary', 'secondary'):
            log = self._path(role, 'startup.log')
            if os.path.exists(log) and 'address in use' in open(log, encoding='utf-8').read():
                raise _Retryable('sandbox: start: port %d already in use (see %s)'
                                 % (self.dns_port, log))

    def _register(self):
        register(self.primary_ip, {'owner_pid': os.getpid(), 'workdir': self.workdir,
                                   'pids': self.pids, 'addresses': self._addresses})

    def _write_state(self):
        self._register()
        state = {'workdir': self.workdir, 'pids': self.pids, 'addresses': self._addresses}
        files.write_private(self._path('state.json'), json.dumps(state, indent=2) + '\n')
        files.write_private(self._path('sandbox.json'), json.dumps(self.to_json(), indent=2) + '\n')

    def set_secondary_delay(self, seconds):
        """Delay (s) between the primary's NOTIFY and the secondary's; read by the relay for
        each NOTIFY it receives, so it applies to changes made from now on."""
        self.secondary_delay = float(seconds)
        files.write_delay(self.workdir, self.secondary_delay)
        if os.path.exists(self._path('sandbox.json')):
            self._write_state()

    def set_ca_asks(self, which):
        """Restarts pebble so it resolves through 'primary' or 'secondary' (pebble's state,
        accounts and orders, is lost)."""
        if which not in ('primary', 'secondary'):
            raise ValueError("ca_asks must be 'primary' or 'secondary'")
        self.ca_asks = which
        if self.pids.get('pebble'):
            stop_pid(self.pids['pebble'], self.workdir, self._procs.get('pebble'))
            self._start_pebble()
            self._wait_ready(servers=())
            self._write_state()

    # --- pebble helpers ---------------------------------------------------------------------

    def ssl_context(self):
        return ssl.create_default_context(cafile=self.ca_bundle)

    def urlopen(self, url, timeout=5.0):
        """GET url verified with ca_bundle, never through a proxy from the environment."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                             urllib.request.HTTPSHandler(context=self.ssl_context()))
        return opener.open(url, timeout=timeout)

    def acme_directory_json(self, timeout=5.0):
        with self.urlopen(self.acme_directory, timeout=timeout) as resp:
            return json.loads(resp.read().decode('utf-8'))

    # --- export -----------------------------------------------------------------------------

    def to_json(self):
        return {
            'workdir': self.workdir,
            'primary_ip': self.primary_ip, 'secondary_ip': self.secondary_ip,
            'ipv6_ip': self.ipv6_ip, 'dns_port': self.dns_port, 'zones': list(self.zones),
            'tsig_name': self.tsig_name, 'tsig_algorithm': self.tsig_algorithm,
            'tsig_secret': self.tsig_secret, 'tsig_key_file': self.tsig_key_file,
            'acme_tsig_name': self.acme_tsig_name, 'acme_tsig_secret': self.acme_tsig_secret,
            'acme_tsig_key_file': self.acme_tsig_key_file,
            'acme_directory': self.acme_directory, 'ca_bundle': self.ca_bundle,
            'pebble_management': self.pebble_management,
            'query_log_paths': dict(self.query_log_paths),
            'secondary_delay': self.secondary_delay, 'ca_asks': self.ca_asks,
            'querylog': self.querylog, 'rate_limit': self.rate_limit,
            'rate_limit_log_paths': dict(self.rate_limit_log_paths), 'pids': dict(self.pids),
            'relay_port': self._relay_port, 'pebble_ports': dict(self._pebble_ports),
        }

    def env(self):
        j = self.to_json()
        keys = ('primary_ip', 'secondary_ip', 'ipv6_ip', 'dns_port', 'tsig_name',
                'tsig_algorithm', 'tsig_secret', 'tsig_key_file', 'acme_tsig_name',
                'acme_tsig_secret', 'acme_tsig_key_file', 'acme_directory', 'ca_bundle',
                'pebble_management', 'workdir', 'secondary_delay', 'ca_asks')
        out = {'DNS01_SANDBOX_' + k.upper(): str(j[k]) for k in keys}
        out['DNS01_SANDBOX_ZONES'] = ','.join(self.zones)
        out['DNS01_SANDBOX_JSON'] = self._path('sandbox.json')
        return out

    @classmethod
    def attach(cls, workdir):
        """A Sandbox object for one started elsewhere (CLI `start`), from D/sandbox.json. Its
        stop() stops the recorded PIDs (checked against their command lines)."""
        with open(os.path.join(workdir, 'sandbox.json'), encoding='utf-8') as f:
            j = json.load(f)
        sb = cls(j['workdir'], secondary_delay=j['secondary_delay'], ca_asks=j['ca_asks'],
                 zones=j['zones'], querylog=j['querylog'], rate_limit=j.get('rate_limit'))
        for k in ('primary_ip', 'secondary_ip', 'dns_port', 'tsig_secret', 'tsig_key_file',
                  'acme_tsig_secret', 'acme_tsig_key_file', 'acme_directory', 'ca_bundle',
                  'pebble_management', 'query_log_paths'):
            setattr(sb, k, j[k])
        sb.rate_limit_log_paths = j.get('rate_limit_log_paths', {})
        with open(sb.ca_bundle, encoding='ascii') as f:
            sb.ca_pem = f.read()
        sb.pids = {k: int(v) for k, v in j['pids'].items()}
        sb._addresses = [j['primary_ip'], j['secondary_ip']]
        sb._relay_port = j.get('relay_port')
        sb._pebble_ports = j.get('pebble_ports', {})
        sb.started = True
        return sb

