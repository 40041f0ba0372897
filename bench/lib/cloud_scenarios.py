"""The scenarios of bench/cloud: dns01 (and certbot --dns-cloudflare) through the providers' own
API fakes (providers/*/tests/fake_*.py on tests/fakes/apifake.py), whose records land in the
sandbox's BIND after the configured apply delay.

One run = clean state on both servers, then the client started with a ServedWatcher running, so
the run knows when the last nameserver served every value, and the fake's request log tells
what the run cost in API calls. Fakes are imported, never copied (sys.path set by bench/cloud).
"""

import json
import os
import subprocess
import time

from apifake import BindBackend
from cloud_watch import ServedWatcher, challenge_counts, wait_clean
from fake_azure import AzureFake
from fake_cloudflare import BASE as CF_BASE, CloudflareFake
from fake_route53 import Route53Fake

CF_TOKEN = 'bench-token-0123456789abcdef'
AWS_KEY, AWS_SECRET = 'AKIABENCHCLOUD000001', 'bench/Cloud+Secret/0123456789abcdefghij'
AZ_TENANT = '72f988bf-0000-4000-8000-0000000000b1'
AZ_APP = '11111111-2222-4333-8444-5555555555b1'
AZ_SECRET = 'bench-client-secret~1'

# Nothing of the runner's own environment may pick a credential or a CA for a client.
SCRUB_PREFIXES = ('DNS01_', 'CLOUDFLARE_', 'CF_', 'AWS_', 'AZURE_', 'IDENTITY_', 'MSI_')
SCRUB = ('CURL_CA_BUNDLE', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'REQUESTS_CA_BUNDLE')

CERTBOT = '/usr/bin/certbot'


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(SCRUB_PREFIXES) and k not in SCRUB}
    env.update(extra or {})
    return env


def write_private(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w', encoding='utf-8') as f:
        f.write(text)
    return path


def _toml(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return '[%s]' % ', '.join(_toml(v) for v in value)
    return json.dumps(str(value))  # a JSON string is a TOML basic string


def write_dns01_config(sb, path, storage, provider):
    """dns01.toml: the sandbox's pebble, nameservers discovered through the primary."""
    tables = [
        ('acme', {'server': sb.acme_directory, 'ca_bundle': sb.ca_bundle, 'agree_tos': True}),
        ('storage', {'dir': storage}),
        ('propagation', {'resolvers': ['%s:%d' % (sb.primary_ip, sb.dns_port)],
                         'port': sb.dns_port, 'timeout': '60s'}),
        ('providers.cloud', provider),
    ]
    lines = []
    for name, keys in tables:
        lines.append('[%s]' % name)
        for k, v in keys.items():
            lines.append('%s = %s' % (k, _toml(v)))
        lines.append('')
    return write_private(path, '\n'.join(lines))


class Setup:
    """One provider fake on one sandbox: what a scenario needs to run dns01 through it."""
    key = ''
    domains = ()

    def __init__(self, sb, workdir):
        self.sb = sb
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.backend = BindBackend.from_sandbox(sb)
        self.fake = None
        self.env = {}

    def counters(self):
        """Cumulative counters of the fake; a run reports the difference."""
        return {'requests': len(self.fake.requests)}

    def requests_since(self, before):
        return self.fake.requests[before['requests']:]

    def stop(self):
        if self.fake:
            self.fake.stop()
            self.backend.wait_applied()


class CloudflareSetup(Setup):
    key = 'cloudflare'
    domains = ('example.test', '*.example.test')

    def __init__(self, sb, workdir, apply_delay):
        super().__init__(sb, workdir)
        self.fake = CloudflareFake(self.backend, zones=list(sb.zones), token=CF_TOKEN,
                                   workdir=os.path.join(workdir, 'fake')).start()
        self.backend.delay = apply_delay
        self.table = {'type': 'cloudflare', 'zones': ['example.test'],
                      'endpoint': self.fake.api_url, 'ca_bundle': self.fake.ca_pem,
                      'api_token': CF_TOKEN}

    def api_calls(self, requests):
        return {'api_calls': len(requests),
                'record_calls': sum(1 for r in requests if r.path.startswith(CF_BASE + '/zones'))}


class Route53Setup(Setup):
    key = 'route53'
    domains = ('example.test', '*.example.test', 'a.example.test', 'b.example.test',
               'c.example.test', 'other.test', '*.other.test', 'x.other.test', 'y.other.test',
               'z.other.test')

    def __init__(self, sb, workdir, insync_after):
        super().__init__(sb, workdir)
        # the fake sets the backend's delay to insync_after: BIND serves a change at INSYNC
        self.fake = Route53Fake(self.backend, os.path.join(workdir, 'fake'),
                                insync_after=insync_after)
        self.zone_names = {self.fake.add_zone('example.test'): 'example.test',
                           self.fake.add_zone('other.test'): 'other.test'}
        self.fake.add_key(AWS_KEY, AWS_SECRET)
        self.fake.start()
        self.env = {'AWS_EC2_METADATA_DISABLED': 'true',
                    'AWS_SHARED_CREDENTIALS_FILE': os.path.join(workdir, 'none'),
                    'AWS_CONFIG_FILE': os.path.join(workdir, 'none')}
        self.table = {'type': 'route53', 'zones': ['example.test', 'other.test'],
                      'access_key_id': AWS_KEY,
                      'secret_access_key_file': write_private(
                          os.path.join(workdir, 'aws.secret'), AWS_SECRET + '\n'),
                      'endpoint': self.fake.url, 'ca_bundle': self.fake.ca_pem}

    def counters(self):
        with self.fake.lock:
            return {'requests': len(self.fake.requests), 'batches': len(self.fake.batches),
                    'polls': self.fake.polls}

    def api_calls(self, requests, before):
        with self.fake.lock:
            batches = self.fake.batches[before['batches']:]
            polls = self.fake.polls - before['polls']
        per_zone = {}
        for zid, _n in batches:
            zone = self.zone_names.get(zid, zid)
            per_zone[zone] = per_zone.get(zone, 0) + 1
        return {'api_calls': len(requests), 'change_batches': per_zone,
                'changes_per_batch': [n for _, n in batches], 'getchange_polls': polls}


class AzureSetup(Setup):
    key = 'azure'
    domains = ('example.test', '*.example.test', 'www.example.test', 'other.test',
               '*.other.test', 'www.other.test')

    def __init__(self, sb, workdir, apply_delay):
        super().__init__(sb, workdir)
        self.fake = AzureFake(self.backend, workdir=os.path.join(workdir, 'fake'))
        self.fake.add_zone('example.test', 'rg-dns')
        self.fake.add_zone('other.test', 'rg-other')
        self.fake.add_client(AZ_TENANT, AZ_APP, secret=AZ_SECRET)
        self.fake.start()
        self.backend.delay = apply_delay
        self.table = {'type': 'azure', 'zones': ['example.test', 'other.test'],
                      'subscription_id': self.fake.subscription, 'tenant_id': AZ_TENANT,
                      'client_id': AZ_APP,
                      'client_secret_file': write_private(os.path.join(workdir, 'az.secret'),
                                                          AZ_SECRET + '\n'),
                      'authority_host': self.fake.authority_host,
                      'arm_endpoint': self.fake.arm_endpoint, 'ca_bundle': self.fake.ca_pem}

    def api_calls(self, requests):
        arm = [r for r in requests if r.path.lower().startswith('/subscriptions')]
        return {'api_calls': len(requests), 'arm_calls': len(arm),
                'token_calls': len(requests) - len(arm),
                'arm_per_name': round(len(arm) / float(len(self.domains)), 2)}


def timed(argv, env, timeout):
    started = time.monotonic()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    return proc, started, time.monotonic()


def last_line(text, limit=300):
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    for word in ('detail:', 'error', 'fail'):
        for l in reversed(lines):
            if word in l.lower():
                return l[:limit]
    return lines[-1][:limit] if lines else ''


ID_BEFORE = ('subscriptions', 'resourcegroups', 'providers', 'dnszones', 'privatednszones',
             'txt', 'hostedzone', 'change', 'zones')


def call_kinds(requests):
    """{'METHOD /path/with/{id}': n}: what a run's API calls were (ids and names collapsed)."""
    out = {}
    for r in requests:
        parts = []
        for seg in r.path.split('/'):
            if (parts and parts[-1].lower() in ID_BEFORE or '.' in seg
                    or len(seg) >= 12 and any(c.isdigit() for c in seg)):
                seg = '{x}'
            parts.append(seg)
        key = '%s %s' % (r.method, '/'.join(parts))
        out[key] = out.get(key, 0) + 1
    return out


def one_run(setup, argv, env, timeout=180):
    """Runs argv once against setup from a clean state. Returns the run's record."""
    servers = (setup.sb.primary_ip, setup.sb.secondary_ip)
    names = sorted(challenge_counts(setup.domains))
    setup.backend.wait_applied(timeout=60)
    wait_clean(servers, setup.sb.dns_port, names)
    before = setup.counters()
    with ServedWatcher(servers, setup.sb.dns_port, names) as watch:
        proc, started, ended = timed(argv, env, timeout)
    requests = setup.requests_since(before)
    calls = (setup.api_calls(requests, before) if isinstance(setup, Route53Setup)
             else setup.api_calls(requests))
    served = watch.served_at()
    run = {'ok': proc.returncode == 0, 'rc': proc.returncode,
           'wall_ms': (ended - started) * 1000.0,
           'served_ms': None if served is None else (served - started) * 1000.0,
           'tail_ms': None if served is None else (ended - served) * 1000.0}
    run.update(calls)
    role = {setup.sb.primary_ip: 'primary', setup.sb.secondary_ip: 'secondary'}
    run['served_by_ms'] = {'%s %s' % (role[srv], name): round((t - started) * 1000.0, 1)
                           for (srv, name), t in sorted(watch.completed().items())}
    run['values_added'] = sum(watch.added().values())
    run['calls_by_kind'] = call_kinds(requests)
    run['watch'] = {'rounds': watch.cycles, 'max_gap_ms': round(watch.max_gap * 1000.0, 1)}
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        result = None
    if isinstance(result, dict):
        run['ok'] = run['ok'] and bool(result.get('ok'))
        run['timings_ms'] = result.get('timings_ms')
    if run['ok'] and served is None:
        # the client succeeded but the watcher missed a server (a lost poll): no tail for
        # this run, said so rather than hidden or counted as the client's failure
        run['note'] = 'records not seen on every server by the watcher: no served/tail'
    if not run['ok']:
        run['error'] = last_line(proc.stderr + '\n' + proc.stdout)
    return run


def dns01_argv(binary, config, domains, cert_name):
    # --force-renewal: every run orders (the lineage from the previous run is not due);
    # one lineage per provider, all in one storage, so the account is created once.
    argv = [binary, '--config', config, '--json', '-q', 'issue', '--force-renewal',
            '--cert-name', cert_name]
    for d in domains:
        argv += ['-d', d]
    return argv


class CertbotCloudflare:
    """certbot certonly --dns-cloudflare (Debian's plugin over python3-cloudflare), pointed at
    the fake with CLOUDFLARE_API_URL, as providers/cloudflare/tests/test_cloudflare_peers.py
    does. One account for all runs (registered before the first, unmeasured, as dns01's)."""

    def __init__(self, sb, setup, workdir):
        self.sb = sb
        self.setup = setup
        self.workdir = workdir
        bundle = os.path.join(workdir, 'ca-bundle.pem')
        with open(bundle, 'w', encoding='ascii') as out:
            for pem in (sb.ca_bundle, setup.fake.ca_pem):
                with open(pem, encoding='ascii') as f:
                    out.write(f.read())
        self.ini = write_private(os.path.join(workdir, 'cloudflare.ini'),
                                 'dns_cloudflare_api_token = %s\n' % CF_TOKEN)
        self.env = clean_env({'REQUESTS_CA_BUNDLE': bundle, 'HOME': workdir,
                              'CLOUDFLARE_API_URL': setup.fake.api_url})
        self.runs = 0

    def _common(self):
        return ['--non-interactive', '--agree-tos', '--register-unsafely-without-email',
                '--server', self.sb.acme_directory,
                '--config-dir', os.path.join(self.workdir, 'config'),
                '--work-dir', os.path.join(self.workdir, 'work'),
                '--logs-dir', os.path.join(self.workdir, 'logs')]

    def register(self):
        proc = subprocess.run([CERTBOT, 'register'] + self._common(), env=self.env,
                              capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise RuntimeError('certbot register: ' + last_line(proc.stderr + proc.stdout))

    def argv(self, propagation_seconds=None):
        self.runs += 1
        argv = [CERTBOT, 'certonly', '--dns-cloudflare', '--dns-cloudflare-credentials', self.ini,
                '--cert-name', 'bench%d' % self.runs]
        if propagation_seconds is not None:
            argv += ['--dns-cloudflare-propagation-seconds', str(propagation_seconds)]
        for d in self.setup.domains:
            argv += ['-d', d]
        return argv + self._common()
