"""The benchmark scenarios: how each client is run against the sandbox, and how success is judged.

Every scenario orders one certificate for example.test + *.example.test (two authorizations whose
TXT values share the name _acme-challenge.example.test) from the sandbox's pebble, through RFC 2136
with the sandbox's restricted TSIG key `dns01-acme.`, in a fresh directory (new account each run,
as a first issuance). `prepare(ctx, rundir)` returns a Command; `succeeded(rundir)` looks for the
certificate the client must have written.
"""

import json
import os

import peers  # tests/e2e/peers.py (bench/run puts tests/e2e on sys.path): the hook flags and
              # the certbot rfc2136 INI exactly as the hook tests and docs/hooks.md use them

DOMAINS = ('example.test', '*.example.test')

# Variables that must not leak into a client: proxies (loopback only, never a proxy), the
# machine's CA bundle variables (each client gets the sandbox's CA explicitly), a foreign config.
_SCRUB_PREFIXES = ('DNS01_', 'PEBBLE_', 'LEGO_', 'RFC2136_', 'EXEC_', 'CERTBOT_')
_SCRUB = ('CURL_CA_BUNDLE', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'REQUESTS_CA_BUNDLE', 'http_proxy',
          'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY', 'no_proxy',
          'NO_PROXY')


class Command:
    def __init__(self, argv, env, stdout_json=False):
        self.argv = argv
        self.env = env
        self.stdout_json = stdout_json


class Context:
    """What every scenario needs: the sandbox, the dns01 binary and its provider directory."""

    def __init__(self, sb, dns01_bin, provider_path):
        self.sb = sb
        self.dns01_bin = dns01_bin
        self.provider_path = provider_path

    @property
    def server(self):
        return '%s:%d' % (self.sb.primary_ip, self.sb.dns_port)


def base_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if k not in _SCRUB and not k.startswith(_SCRUB_PREFIXES)}
    env.update(extra or {})
    return env


def _write_private(path, text):
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
    os.chmod(path, 0o600)
    return path


# --- dns01 ------------------------------------------------------------------------------------

def dns01_config(ctx, rundir, timeout='60s'):
    """dns01.toml for the sandbox: the restricted key, discovery of the authoritative servers
    from the zone's NS records through the primary (like lego), on the sandbox's port."""
    sb = ctx.sb
    secret = _write_private(os.path.join(rundir, 'tsig.secret'), sb.acme_tsig_secret + '\n')
    q = json.dumps  # a JSON string is a valid TOML basic string
    text = '\n'.join([
        '[acme]',
        'server = %s' % q(sb.acme_directory),
        'ca_bundle = %s' % q(sb.ca_bundle),
        'agree_tos = true',
        'email = "bench@example.test"',
        'key_type = "ec256"',
        '',
        '[storage]',
        'dir = %s' % q(os.path.join(rundir, 'storage')),
        '',
        '[propagation]',
        'resolvers = [%s]' % q(ctx.server),
        'port = %d' % sb.dns_port,
        'timeout = %s' % q(timeout),
        '',
        '[log]',
        'level = "warn"',
        '',
        '[providers.sandbox]',
        'type = "rfc2136"',
        'zones = ["example.test"]',
        'server = %s' % q(ctx.server),
        'key_name = %s' % q(sb.acme_tsig_name.rstrip('.')),
        'algorithm = "hmac-sha256"',
        'secret_file = %s' % q(secret),
        '',
    ])
    return _write_private(os.path.join(rundir, 'dns01.toml'), text)


def dns01_env(ctx, config):
    return base_env({'DNS01_PROVIDER_PATH': ctx.provider_path, 'DNS01_CONFIG': config})


def prepare_dns01(ctx, rundir):
    config = dns01_config(ctx, rundir)
    argv = [ctx.dns01_bin, '--config', config, '--json', 'issue']
    for d in DOMAINS:
        argv += ['-d', d]
    return Command(argv, dns01_env(ctx, config), stdout_json=True)


def dns01_succeeded(rundir):
    return os.path.isfile(os.path.join(rundir, 'storage', 'live', 'example.test', 'fullchain.pem'))


# --- certbot ----------------------------------------------------------------------------------

def _certbot_argv(rundir, sb):
    argv = ['certbot', 'certonly', '--non-interactive', '--agree-tos',
            '--register-unsafely-without-email', '--server', sb.acme_directory,
            '--config-dir', os.path.join(rundir, 'config'),
            '--work-dir', os.path.join(rundir, 'work'),
            '--logs-dir', os.path.join(rundir, 'logs'),
            '--key-type', 'ecdsa', '--cert-name', 'example.test']
    for d in DOMAINS:
        argv += ['-d', d]
    return argv


def _certbot_env(sb, extra=None):
    env = base_env({'REQUESTS_CA_BUNDLE': sb.ca_bundle})
    env.update(extra or {})
    return env


def certbot_rfc2136(propagation_seconds):
    """certbot's own dns-rfc2136 plugin; None = its default (a fixed 60 s sleep)."""
    def prepare(ctx, rundir):
        # an IP as server, the port on its own line, HMAC-SHA256 in upper case (lower case
        # silently falls back to HMAC-MD5 in certbot-dns-rfc2136 2.1.0: testbed-notes gotcha 6)
        ini = peers.certbot_rfc2136_ini(ctx.sb, rundir, key='acme')
        argv = _certbot_argv(rundir, ctx.sb) + ['--dns-rfc2136', '--dns-rfc2136-credentials', ini]
        if propagation_seconds is not None:
            argv += ['--dns-rfc2136-propagation-seconds', str(propagation_seconds)]
        return Command(argv, _certbot_env(ctx.sb))
    return prepare


def prepare_certbot_manual(ctx, rundir):
    """certbot --manual with dns01's hook modes, flags as in docs/hooks.md."""
    config = dns01_config(ctx, rundir)
    argv = _certbot_argv(rundir, ctx.sb) + peers.certbot_hook_flags(ctx.dns01_bin, config)
    env = _certbot_env(ctx.sb, {'DNS01_PROVIDER_PATH': ctx.provider_path})
    return Command(argv, env)


def certbot_succeeded(rundir):
    return os.path.isfile(os.path.join(rundir, 'config', 'live', 'example.test', 'fullchain.pem'))


# --- lego -------------------------------------------------------------------------------------

def _lego_argv(ctx, rundir, provider, extra=()):
    argv = ['lego', '--accept-tos', '--email', 'bench@example.test',
            '--server', ctx.sb.acme_directory, '--path', os.path.join(rundir, 'lego'),
            '--key-type', 'ec256', '--dns', provider,
            # zone (SOA) lookups and the first recursive check; the per-NS check always uses
            # port 53 (the forwarder) whatever this says
            '--dns.resolvers', ctx.server] + list(extra)
    for d in DOMAINS:
        argv += ['--domains', d]
    return argv + ['run']


def lego_rfc2136(tuned):
    def prepare(ctx, rundir):
        sb = ctx.sb
        env = base_env({
            'LEGO_CA_CERTIFICATES': sb.ca_bundle,
            'RFC2136_NAMESERVER': ctx.server,
            'RFC2136_TSIG_KEY': sb.acme_tsig_name,
            'RFC2136_TSIG_SECRET': sb.acme_tsig_secret,
            # lego's default is hmac-sha1 (gotcha 5)
            'RFC2136_TSIG_ALGORITHM': 'hmac-sha256.',
        })
        if tuned:
            env.update({'RFC2136_SEQUENCE_INTERVAL': '0', 'RFC2136_POLLING_INTERVAL': '1',
                        'RFC2136_PROPAGATION_TIMEOUT': '30'})
        return Command(_lego_argv(ctx, rundir, 'rfc2136'), env)
    return prepare


def prepare_lego_exec(ctx, rundir):
    """lego --dns exec with EXEC_PATH=dns01 (`dns01 present|cleanup <fqdn.> <value>`), set up as
    docs/hooks.md recommends: sequence 0 and polling 1 s (the exec provider is sequential like
    rfc2136) and --dns.disable-cp, since dns01 present already waited for every server."""
    config = dns01_config(ctx, rundir)
    env = base_env({
        'LEGO_CA_CERTIFICATES': ctx.sb.ca_bundle,
        'EXEC_PATH': ctx.dns01_bin,
        'EXEC_SEQUENCE_INTERVAL': '0', 'EXEC_POLLING_INTERVAL': '1',
        'EXEC_PROPAGATION_TIMEOUT': '300',
        'DNS01_PROVIDER_PATH': ctx.provider_path, 'DNS01_CONFIG': config,
    })
    return Command(_lego_argv(ctx, rundir, 'exec', ['--dns.disable-cp']), env)


def lego_succeeded(rundir):
    return os.path.isfile(os.path.join(rundir, 'lego', 'certificates', 'example.test.crt'))


class Scenario:
    def __init__(self, key, label, short, client, prepare, succeeded, slow=False, lego=False,
                 uses_dns01=False, note=''):
        self.key = key
        self.label = label
        self.short = short            # the chart's legend
        self.client = client          # 'dns01' | 'certbot' | 'lego' (the ACME client)
        self.prepare = prepare
        self.succeeded = succeeded
        self.slow = slow              # default settings with a fixed 60 s sleep: --runs-slow
        self.lego = lego              # needs the port-53 forwarder and a private resolv.conf
        self.uses_dns01 = uses_dns01  # needs the dns01 binary
        self.note = note


SCENARIOS = [
    Scenario('dns01', 'dns01 issue (rfc2136)', 'dns01 issue', 'dns01', prepare_dns01,
             dns01_succeeded, uses_dns01=True,
             note='waits until every authoritative server serves both values'),
    Scenario('certbot-default', 'certbot --dns-rfc2136 (default: 60 s sleep)',
             'certbot rfc2136 (60 s)', 'certbot',
             certbot_rfc2136(None), certbot_succeeded, slow=True,
             note='fixed sleep, never queries a nameserver'),
    Scenario('certbot-1s', 'certbot --dns-rfc2136 --dns-rfc2136-propagation-seconds 1',
             'certbot rfc2136 (1 s)', 'certbot',
             certbot_rfc2136(1), certbot_succeeded, note='fixed 1 s sleep'),
    Scenario('certbot-manual', 'certbot --manual + dns01 certbot-auth/cleanup hooks',
             'certbot + dns01 hooks', 'certbot',
             prepare_certbot_manual, certbot_succeeded, uses_dns01=True,
             note='dns01 waits for every server on the last auth call'),
    Scenario('lego-default', 'lego --dns rfc2136 (defaults)', 'lego rfc2136 (default)', 'lego',
             lego_rfc2136(False), lego_succeeded, slow=True, lego=True,
             note='sequential: 60 s between the two authorizations; polls every NS every 2 s'),
    Scenario('lego-tuned', 'lego --dns rfc2136 (sequence 0, polling 1 s, timeout 30 s)',
             'lego rfc2136 (tuned)', 'lego',
             lego_rfc2136(True), lego_succeeded, lego=True),
    Scenario('lego-exec',
             'lego --dns exec --dns.disable-cp, EXEC_PATH=dns01 (sequence 0, polling 1 s)',
             'lego exec + dns01', 'lego',
             prepare_lego_exec, lego_succeeded, lego=True, uses_dns01=True,
             note='dns01 present waits for every server; lego sleeps 1 s, asks a resolver once'),
]

BY_KEY = {s.key: s for s in SCENARIOS}
