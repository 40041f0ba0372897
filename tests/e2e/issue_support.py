"""Shared pieces of the `dns01 issue` / life-cycle e2e tests (test_issue*.py, test_lifecycle.py).

- `IssueEnv`: one storage + config directory for one test, with a config written for a sandbox
  (RFC 2136 provider tables with the sandbox's TSIG keys, discovery through the primary on the
  sandbox's port), and runners for the dns01 binary (`run` waits, `start` returns a Popen).
- `settle()` / `assert_clean()`: prove that no `_acme-challenge` TXT value was left behind, on the
  primary AND the secondary, without sleeping out the secondary's delay: the delay is set back to
  0 and each zone is changed once more, so the secondary transfers the primary's current state
  at once; then both servers must serve the same SOA serial and no TXT value at the names.
- Small certificate helpers (cryptography) and a counter of pebble's newOrder requests.

Every DNS query names a sandbox server on loopback; the system resolver is never used.
"""

import json
import os
import select
import subprocess
import time

import dns.rdatatype
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from conftest import Sandbox

# Environment variables that must not reach dns01: a config lookup that is not ours, and the
# system CA bundle variables of this machine (dns01 gets the sandbox's CA explicitly).
_SCRUB = ('DNS01_CONFIG', 'CURL_CA_BUNDLE', 'SSL_CERT_FILE', 'SSL_CERT_DIR')

EXIT = {'ok': 0, 'usage': 2, 'config': 3, 'network': 4, 'acme': 5, 'provider': 6,
        'propagation': 7, 'storage': 8, 'interrupted': 130}


def _toml_value(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return '[%s]' % ', '.join(_toml_value(v) for v in value)
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


def render_toml(tables):
    """{'acme': {...}, 'providers.main': {...}} -> TOML text (tables in the given order)."""
    out = []
    for table, keys in tables.items():
        out.append('[%s]' % table)
        out += ['%s = %s' % (k, _toml_value(v)) for k, v in keys.items()]
        out.append('')
    return '\n'.join(out)


class IssueEnv:
    """One test's dns01 setup against one sandbox. Attributes: dir, storage, config."""

    def __init__(self, sandbox, directory, dns01_bin, provider_path):
        self.sb = sandbox
        self.dir = str(directory)
        self.storage = os.path.join(self.dir, 'storage')
        self.config = os.path.join(self.dir, 'dns01.toml')
        self.bin = dns01_bin
        self.provider_path = provider_path
        self.secret_file = self._secret('tsig.secret', sandbox.tsig_secret)
        self.acme_secret_file = self._secret('acme-tsig.secret', sandbox.acme_tsig_secret)

    def _secret(self, name, value):
        path = os.path.join(self.dir, name)
        with open(path, 'w', encoding='ascii') as f:
            f.write(value + '\n')
        os.chmod(path, 0o600)
        return path

    def provider(self, zones, key='full', **extra):
        """A [providers.X] table for the sandbox primary (key 'full' or 'acme')."""
        table = {
            'type': 'rfc2136', 'zones': list(zones),
            'server': '%s:%d' % (self.sb.primary_ip, self.sb.dns_port),
            'key_name': (self.sb.tsig_name if key == 'full' else self.sb.acme_tsig_name).rstrip('.'),
            'secret_file': self.secret_file if key == 'full' else self.acme_secret_file,
        }
        table.update(extra)
        return table

    def write_config(self, providers=None, propagation=None, acme=None, extra=None):
        """Writes dns01.toml. providers: {name: table} (default: one table `main` for every
        sandbox zone); propagation/acme: keys overriding the defaults below."""
        if providers is None:
            providers = {'main': self.provider(self.sb.zones)}
        tables = {
            'acme': {'server': self.sb.acme_directory, 'ca_bundle': self.sb.ca_bundle,
                     'agree_tos': True, 'email': 'hostmaster@example.test'},
            'storage': {'dir': self.storage},
            'propagation': {'resolvers': ['%s:%d' % (self.sb.primary_ip, self.sb.dns_port)],
                            'port': self.sb.dns_port, 'timeout': '20s'},
        }
        tables['acme'].update(acme or {})
        tables['propagation'].update(propagation or {})
        for name, table in providers.items():
            tables['providers.%s' % name] = table
        tables.update(extra or {})
        with open(self.config, 'w', encoding='utf-8') as f:
            f.write(render_toml(tables))
        os.chmod(self.config, 0o600)
        return self.config

    def argv(self, args, json_output=True, quiet=False):
        argv = [self.bin, '--config', self.config]
        if json_output:
            argv.append('--json')
        if quiet:
            argv.append('-q')
        return argv + [str(a) for a in args]

    def environ(self, extra=None):
        env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
        env['DNS01_PROVIDER_PATH'] = self.provider_path
        env.update(extra or {})
        return env

    def run(self, args, json_output=True, timeout=90, env=None, quiet=False):
        """Runs dns01 and returns (CompletedProcess, parsed JSON stdout or None)."""
        proc = subprocess.run(self.argv(args, json_output, quiet), env=self.environ(env),
                              capture_output=True, text=True, timeout=timeout)
        return proc, parse_json(proc)

    def start(self, args, json_output=True, env=None):
        """Starts dns01 without waiting (own process group, so a signal reaches it alone)."""
        return subprocess.Popen(self.argv(args, json_output), env=self.environ(env),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def issue(self, domains, *extra, **kwargs):
        args = ['issue']
        for d in domains:
            args += ['-d', d]
        return self.run(args + list(extra), **kwargs)

    # --- storage ----------------------------------------------------------------------------

    def live(self, name, what='cert'):
        return os.path.join(self.storage, 'live', name, what + '.pem')

    def archive(self, name, what, version):
        return os.path.join(self.storage, 'archive', name, '%s%d.pem' % (what, version))

    def journal_files(self):
        d = os.path.join(self.storage, 'journal')
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def pending_journal_records(self):
        """(name, value) of records added and not removed, over every journal file: JSON lines
        {"op": "add"|"removed", "provider", "zone", "name", "value"} (core/src/storage/journal.cpp)."""
        pending = []
        for fname in self.journal_files():
            with open(os.path.join(self.storage, 'journal', fname), encoding='utf-8') as f:
                for line in f:
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue  # a torn last line
                    key = (entry.get('name'), entry.get('value'))
                    if entry.get('op') == 'add':
                        pending.append(key)
                    elif entry.get('op') == 'removed' and key in pending:
                        pending.remove(key)
        return pending


def parse_json(proc):
    text = proc.stdout.strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def describe(proc):
    """Exit code + stderr + stdout, for assertion messages."""
    return 'exit %s\n--- stderr ---\n%s\n--- stdout ---\n%s' % (
        proc.returncode, proc.stderr, proc.stdout)


def challenge_names(domains):
    """_acme-challenge names of a domain list (the wildcard shares the apex's name)."""
    out = []
    for d in domains:
        name = '_acme-challenge.' + (d[2:] if d.startswith('*.') else d)
        if name not in out:
            out.append(name)
    return out


# --- DNS state ----------------------------------------------------------------------------------

def soa_serial(sb, server, zone):
    resp = sb.query(server, zone + '.', 'SOA')
    for rrset in resp.answer:
        if rrset.rdtype == dns.rdatatype.SOA:
            return rrset[0].serial
    return None


def settle(sb, zones=None, timeout=15.0):
    """Makes the secondary serve the primary's current data now: delay 0, one more change per
    zone (so a fresh NOTIFY goes out without delay), then waits for equal SOA serials."""
    sb.set_secondary_delay(0)
    zones = list(zones or sb.zones)
    for zone in zones:
        # a real change (a new value), so the serial moves and a NOTIFY goes out
        sb.nsupdate(['update delete _settle.%s. TXT' % zone,
                     'update add _settle.%s. 1 TXT "%f"' % (zone, time.time())], key='dns01')
    deadline = time.monotonic() + timeout
    for zone in zones:
        while True:
            primary = soa_serial(sb, 'primary', zone)
            if primary is not None and soa_serial(sb, 'secondary', zone) == primary:
                break
            if time.monotonic() > deadline:
                raise AssertionError('the secondary did not catch up with the primary for %s'
                                     % zone)
            time.sleep(0.02)


def assert_clean(sb, names, env=None):
    """No TXT value at any of names on the primary or the secondary (after settle()), and no
    journal with pending records left in env's storage."""
    settle(sb)
    for name in names:
        fqdn = name.rstrip('.') + '.'
        for server in ('primary', 'secondary'):
            left = sb.query_txt(server, fqdn)
            assert left == [], 'TXT left at %s on the %s: %r' % (name, server, left)
    if env is not None:
        assert env.journal_files() == [], 'journal left: %r' % env.pending_journal_records()


def wait_for_any_txt(sb, name, timeout=20.0, proc=None):
    """Waits until the primary serves some TXT value at name (a run presented its records).
    Fails early if proc exits meanwhile."""
    deadline = time.monotonic() + timeout
    fqdn = name.rstrip('.') + '.'
    while time.monotonic() < deadline:
        if sb.query_txt('primary', fqdn):
            return sb.query_txt('primary', fqdn)
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError('dns01 exited (%d) before presenting %s:\n%s\n%s'
                                 % (proc.returncode, name, err, out))
        time.sleep(0.01)
    raise AssertionError('no TXT record appeared at %s on the primary in %.0f s' % (name, timeout))


# --- pebble -------------------------------------------------------------------------------------

def pebble_new_orders(sb):
    """newOrder requests pebble has handled so far (from its request log)."""
    path = os.path.join(sb.workdir, 'pebble', 'stdout.log')
    with open(path, encoding='utf-8', errors='replace') as f:
        return sum(1 for line in f if 'POST /order-plz' in line)


def pebble_cert_status(sb, serial_hex):
    """pebble's management view of a certificate ('Valid' / 'Revoked'), by hex serial."""
    with sb.urlopen('%s/cert-status-by-serial/%s' % (sb.pebble_management, serial_hex)) as r:
        return json.loads(r.read().decode())


def pebble_root_cn(sb, index):
    with sb.urlopen('%s/roots/%d' % (sb.pebble_management, index)) as r:
        return common_name(x509.load_pem_x509_certificate(r.read()).subject)


# --- certificates -------------------------------------------------------------------------------

def common_name(name):
    attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return attrs[0].value if attrs else ''


def load_certs(path):
    """Every certificate of a PEM file, in order (cryptography 38 has no multi-cert loader)."""
    with open(path, 'rb') as f:
        data = f.read()
    end = b'-----END CERTIFICATE-----'
    blocks = [b + end for b in data.split(end) if b'-----BEGIN CERTIFICATE-----' in b]
    return [x509.load_pem_x509_certificate(b.strip() + b'\n') for b in blocks]


def dns_names(cert):
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    return ext.value.get_values_for_type(x509.DNSName)


def key_type_of(privkey_path):
    with open(privkey_path, 'rb') as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return 'ec%d' % key.curve.key_size
    if isinstance(key, rsa.RSAPrivateKey):
        return 'rsa%d' % key.key_size
    return 'unknown'


def public_key_der(privkey_path_or_cert):
    """DER of the public key of a private key file or of an x509 certificate object."""
    if isinstance(privkey_path_or_cert, x509.Certificate):
        pub = privkey_path_or_cert.public_key()
    else:
        with open(privkey_path_or_cert, 'rb') as f:
            pub = serialization.load_pem_private_key(f.read(), password=None).public_key()
    return pub.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


# --- fixtures (imported by the test modules: `from issue_support import sb, issue_env`) --------

SANDBOX_OPTIONS = {
    # The CA asks the secondary, as in production where it may ask any authoritative server;
    # every authorization stays pending (no reuse) so every test presents its records; alternate
    # roots give --preferred-chain something to choose from.
    'ca_asks': 'secondary',
    'pebble_env': {'PEBBLE_AUTHZREUSE': '0', 'PEBBLE_ALTERNATE_ROOTS': '1'},
}


@pytest.fixture(scope='module')
def sb(tmp_path_factory):
    """One sandbox per test module (each test uses its own names and storage directory)."""
    if os.geteuid() != 0:
        pytest.skip('the sandbox needs root: it adds 127.A.B.x addresses to lo and runs named')
    box = Sandbox(str(tmp_path_factory.mktemp('issue-sandbox')), **SANDBOX_OPTIONS)
    box.start()
    yield box
    box.stop()


@pytest.fixture
def issue_env(sb, tmp_path, dns01_bin, build_dir):
    """An IssueEnv with the default config written; the secondary delay is back to 0 after."""
    provider_path = os.environ.get('DNS01_PROVIDER_PATH') or os.path.join(build_dir, 'providers')
    env = IssueEnv(sb, tmp_path, dns01_bin, provider_path)
    env.write_config()
    yield env
    sb.set_secondary_delay(0)


def wait_for_stderr(proc, needle, timeout=30.0):
    """Reads proc's stderr until it holds `needle`; returns what was read (proc.communicate()
    later returns only the rest). Reads the descriptor directly, so nothing is left in a Python
    buffer. Fails if the process exits first or the line does not come within `timeout`."""
    fd = proc.stderr.fileno()
    seen = b''
    deadline = time.monotonic() + timeout
    while needle.encode() not in seen:
        left = deadline - time.monotonic()
        chunk = os.read(fd, 65536) if left > 0 and select.select([fd], [], [], left)[0] else None
        if not chunk:  # timed out (None) or EOF (b''): the process ended without the line
            proc.kill()
            out, err = proc.communicate(timeout=30)
            raise AssertionError('no stderr line with %r (exit %s):\n%s%s\n%s'
                                 % (needle, proc.returncode, seen.decode(errors='replace'), err, out))
        seen += chunk
    return seen.decode(errors='replace')


def write_set(path, lineages):
    """A certificate set for `dns01 apply`: one [[certificate]] table per (name, domains)."""
    lines = []
    for name, domains in lineages:
        lines += ['[[certificate]]', 'name = %s' % json.dumps(name),
                  'domains = [%s]' % ', '.join(json.dumps(d) for d in domains), '']
    with open(path, 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines))
    return str(path)
