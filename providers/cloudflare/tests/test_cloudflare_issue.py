"""dns01 with the cloudflare provider, end to end: `dns01 issue` against pebble through the
Cloudflare fake (records land in the sandbox's BIND), and every credential source issue 13
lists (table, `*_file`, lego's environment variables and their _FILE twins, a certbot
cloudflare.ini with a token or the global key) through dns01-provider-tool.

The generic cases (apex + wildcard issue, Ctrl-C, batches, rate limit on one write) are in
test_cloudflare_conformance.py.
"""

import json
import os
import subprocess

import pytest

from apifake import BindBackend
from fake_cloudflare import BASE, CloudflareFake
from issue_support import EXIT, IssueEnv, assert_clean, describe, pebble_new_orders, render_toml
from test_cloudflare_conformance import LEGO_ENV

TOKEN = 'issue-token-0123456789abcdef'
SCRUB = LEGO_ENV + tuple(v + '_FILE' for v in LEGO_ENV)


@pytest.fixture(scope='module')
def msb(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip('the sandbox needs root: it adds 127.A.B.x addresses to lo and runs named')
    from sandbox import Sandbox
    box = Sandbox(str(tmp_path_factory.mktemp('cloudflare-issue-sandbox')),
                  pebble_env={'PEBBLE_AUTHZREUSE': '0'})
    box.start()
    yield box
    box.stop()


@pytest.fixture
def fake(msb, tmp_path):
    backend = BindBackend.from_sandbox(msb)
    f = CloudflareFake(backend, zones=list(msb.zones), token=TOKEN,
                       workdir=str(tmp_path / 'fake')).start()
    yield f
    f.stop()
    backend.wait_applied()
    f.assert_no_errors()
    assert backend.errors == []


@pytest.fixture
def env(msb, fake, tmp_path, dns01_bin, build_dir):
    path = os.environ.get('DNS01_PROVIDER_PATH') or os.path.join(build_dir, 'providers')
    (tmp_path / 'issue').mkdir()
    return IssueEnv(msb, tmp_path / 'issue', dns01_bin, path)


def table(fake, **extra):
    t = {'type': 'cloudflare', 'zones': ['example.test', 'other.test'],
         'endpoint': fake.api_url, 'ca_bundle': fake.ca_pem}
    if 'credentials' not in extra:
        t['api_token'] = TOKEN
    t.update(extra)
    return t


def secret_file(tmp_path, name, text, mode=0o600):
    path = tmp_path / name
    path.write_text(text)
    os.chmod(path, mode)
    return str(path)


def run_issue(env, domains, extra_env=None, timeout=240):
    args = []
    for d in domains:
        args += ['-d', d]
    clean = {k: v for k, v in os.environ.items() if k not in SCRUB}
    clean['DNS01_PROVIDER_PATH'] = env.provider_path
    clean.update(extra_env or {})
    proc = subprocess.run(env.argv(['issue'] + args), env=clean, capture_output=True, text=True,
                          timeout=timeout)
    return proc


def record_calls(fake):
    """API requests that touched records or zones (not the ones the test itself made)."""
    return [r for r in fake.requests if r.path.startswith(BASE + '/zones')]


# --- dns01 issue ------------------------------------------------------------------------------

def test_five_names_in_two_zones_in_few_calls_and_an_unrelated_record_survives(
        msb, fake, env):
    keep = fake.create_record('example.test', '_acme-challenge.example.test', '"user-owned"')
    env.write_config(providers={'cf': table(fake)})
    domains = ['example.test', '*.example.test', 'www.example.test', 'other.test',
               '*.other.test']
    proc = run_issue(env, domains)
    assert proc.returncode == 0, describe(proc)
    assert os.path.exists(env.live('example.test')), describe(proc)
    calls = record_calls(fake)
    # issue 13: no more than (values + zones + 2) API calls per order
    assert len(calls) <= 5 + 2 + 2, '\n'.join(map(repr, calls))
    assert fake.max_batch_seen >= 2  # the values of a zone went in one request
    assert [r['id'] for r in fake.records_at('_acme-challenge.example.test')] == [keep['id']]
    assert sorted(msb.query_txt('primary', '_acme-challenge.example.test.')) == ['user-owned']
    fake.dns.remove_txt('_acme-challenge.example.test', 'user-owned')
    with fake.lock:
        fake.records.pop(keep['id'])
    assert_clean(msb, ['_acme-challenge.www.example.test', '_acme-challenge.other.test',
                       '_acme-challenge.example.test'], env)


def test_a_429_storm_is_waited_out(msb, fake, env):
    env.write_config(providers={'cf': table(fake)})
    storm = fake.rate_limit('*', BASE + '/zones/{zone_id}/{path*}', count=3, retry_after=1)
    proc = run_issue(env, ['other.test', '*.other.test'])
    assert proc.returncode == 0, describe(proc)
    assert storm.hits == 3
    assert sum(1 for r in fake.requests if r.status == 429) == 3
    assert_clean(msb, ['_acme-challenge.other.test'], env)


def test_a_bad_token_fails_before_any_order_with_a_clear_message(msb, fake, env):
    env.write_config(providers={'cf': table(fake, api_token='wrong-token-SECRET')})
    orders = pebble_new_orders(msb)
    proc = run_issue(env, ['example.test'])
    assert proc.returncode == EXIT['provider'], describe(proc)
    out = proc.stdout + proc.stderr
    assert 'cloudflare' in out and '9109 Invalid access token' in out, out
    assert 'API token' in out  # the hint says what to check
    assert 'wrong-token-SECRET' not in out
    assert pebble_new_orders(msb) == orders
    assert fake.count('POST') == 0 and fake.count('DELETE') == 0


def test_a_lego_environment_works_unchanged(msb, fake, env, tmp_path):
    # lego's split: a DNS:Edit token for records, a Zone:Read token for the lookup; the table
    # has nothing but type and zones (and the fake's CA, which a real endpoint would not need)
    fake.add_token('lego-dns', permissions={'dns:edit'})
    fake.add_token('lego-zone', permissions={'zone:read'})
    env.write_config(providers={'cf': {'type': 'cloudflare', 'zones': ['example.test'],
                                       'ca_bundle': fake.ca_pem}})
    proc = run_issue(env, ['example.test', '*.example.test'], extra_env={
        'CF_DNS_API_TOKEN': 'lego-dns', 'CF_ZONE_API_TOKEN': 'lego-zone',
        'CLOUDFLARE_BASE_URL': fake.api_url})
    assert proc.returncode == 0, describe(proc)
    zones = [r for r in fake.requests if r.path == BASE + '/zones']
    assert zones and all(r.headers['Authorization'] == 'Bearer lego-zone' for r in zones)
    writes = [r for r in fake.requests if r.method in ('POST', 'DELETE')]
    assert writes and all(r.headers['Authorization'] == 'Bearer lego-dns' for r in writes)
    assert_clean(msb, ['_acme-challenge.example.test'], env)


def test_a_certbot_cloudflare_ini_works(msb, fake, env, tmp_path):
    ini = secret_file(tmp_path, 'cloudflare.ini', 'dns_cloudflare_api_token = %s\n' % TOKEN)
    env.write_config(providers={'cf': table(fake, zones=['other.test'], credentials=ini)})
    proc = run_issue(env, ['other.test', '*.other.test'])
    assert proc.returncode == 0, describe(proc)
    assert_clean(msb, ['_acme-challenge.other.test'], env)


# --- every credential source, one add + remove each ---------------------------------------------

def tool(build_dir, tmp_path, provider_table, extra_env=None):
    """run(action, name, value) through dns01-provider-tool with [providers.cf]."""
    path = os.path.join(build_dir, 'tests', 'provider', 'dns01-provider-tool')
    config = tmp_path / 'tool.toml'
    config.write_text(render_toml({'providers.cf': provider_table}))
    os.chmod(config, 0o600)
    environ = {k: v for k, v in os.environ.items() if k not in SCRUB}
    environ.setdefault('DNS01_PROVIDER_PATH', os.path.join(build_dir, 'providers'))
    environ.update(extra_env or {})

    def run(action, name, value):
        proc = subprocess.run([path, '--config', str(config), '--provider', 'cf', '--json',
                               action, name, value], env=environ, capture_output=True,
                              text=True, timeout=60)
        try:
            return proc, json.loads(proc.stdout)
        except ValueError:
            return proc, None
    return run


def add_and_remove(fake, run, name='_acme-challenge.src.example.test'):
    proc, _ = run('add', name, 'credential-check')
    assert proc.returncode == 0, describe(proc)
    assert [r['content'] for r in fake.records_at(name)] == ['"credential-check"']
    proc, _ = run('remove', name, 'credential-check')
    assert proc.returncode == 0, describe(proc)
    assert fake.records_at(name) == []
    return fake.requests_matching('POST', BASE + '/zones/{z}/dns_records')[-1]


def global_key(fake):
    fake.add_global_key('admin@example.test', 'GLOBALKEY0123456789')
    return {'X-Auth-Email': 'admin@example.test', 'X-Auth-Key': 'GLOBALKEY0123456789'}


SOURCES = {
    # name: (table keys, environment, files {name: text}) -> what the fake must see
    'api_token_file': ({'api_token_file': '{f:token}'}, {}, {'token': TOKEN + '\n'}),
    'CLOUDFLARE_DNS_API_TOKEN': ({}, {'CLOUDFLARE_DNS_API_TOKEN': TOKEN}, {}),
    'CF_DNS_API_TOKEN': ({}, {'CF_DNS_API_TOKEN': TOKEN}, {}),
    'CLOUDFLARE_DNS_API_TOKEN_FILE': ({}, {'CLOUDFLARE_DNS_API_TOKEN_FILE': '{f:token}'},
                                      {'token': TOKEN + '\n'}),
    'api_key + email': ({'api_key_file': '{f:key}', 'email': 'admin@example.test'}, {},
                        {'key': 'GLOBALKEY0123456789\n'}),
    'CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY': (
        {}, {'CLOUDFLARE_EMAIL': 'admin@example.test', 'CLOUDFLARE_API_KEY': 'GLOBALKEY0123456789'},
        {}),
    'CF_API_EMAIL + CF_API_KEY': (
        {}, {'CF_API_EMAIL': 'admin@example.test', 'CF_API_KEY': 'GLOBALKEY0123456789'}, {}),
    'certbot ini, token': ({'credentials': '{f:ini}'}, {},
                           {'ini': 'dns_cloudflare_api_token = %s\n' % TOKEN}),
    'certbot ini, global key': ({'credentials': '{f:ini}'}, {}, {
        'ini': '# certbot\ndns_cloudflare_email = admin@example.test\n'
               'dns_cloudflare_api_key = GLOBALKEY0123456789\n'}),
}


@pytest.mark.parametrize('source', sorted(SOURCES))
def test_every_credential_source(source, fake, build_dir, tmp_path):
    keys, environ, files = SOURCES[source]
    paths = {n: secret_file(tmp_path, n, text) for n, text in files.items()}

    def fill(value):
        for n, p in paths.items():
            value = value.replace('{f:%s}' % n, p)
        return value
    t = {'type': 'cloudflare', 'zones': ['example.test'], 'endpoint': fake.api_url,
         'ca_bundle': fake.ca_pem}
    t.update({k: fill(v) for k, v in keys.items()})
    key_headers = global_key(fake)
    post = add_and_remove(fake, tool(build_dir, tmp_path, t, {k: fill(v) for k, v in environ.items()}))
    if 'key' in source.lower() and 'token' not in source.lower():
        for k, v in key_headers.items():
            assert post.headers[k] == v
        assert 'Authorization' not in post.headers
    else:
        assert post.headers['Authorization'] == 'Bearer ' + TOKEN


def test_a_credentials_file_others_can_read_is_refused(fake, build_dir, tmp_path):
    ini = secret_file(tmp_path, 'cloudflare.ini', 'dns_cloudflare_api_token = %s\n' % TOKEN,
                      mode=0o644)
    t = {'type': 'cloudflare', 'zones': ['example.test'], 'endpoint': fake.api_url,
         'ca_bundle': fake.ca_pem, 'credentials': ini}
    proc, result = tool(build_dir, tmp_path, t)('add', '_acme-challenge.example.test', 'x')
    assert proc.returncode == EXIT['config'], describe(proc)
    # (the host redacts the path: it treats every key named *credential* as a secret)
    message = result['error']['message']
    assert 'read the certbot credentials file' in message and 'mode 644' in message, message
    assert 'chmod 600' in result['error']['hint']
    assert TOKEN not in proc.stdout + proc.stderr
    assert fake.requests == []


def test_a_token_without_dns_edit_is_denied_naming_the_permission(fake, build_dir, tmp_path):
    fake.add_token('read-only', permissions={'zone:read'})
    t = {'type': 'cloudflare', 'zones': ['example.test'], 'endpoint': fake.api_url,
         'ca_bundle': fake.ca_pem, 'api_token': 'read-only'}
    proc, result = tool(build_dir, tmp_path, t)('add', '_acme-challenge.example.test', 'x')
    assert proc.returncode == EXIT['provider'], describe(proc)
    assert 'DNS → Edit' in result['error']['message'], describe(proc)


def test_issue_waits_until_a_delayed_change_is_served(msb, fake, env):
    # Cloudflare answers before its edge serves the record: the fake applies changes to BIND
    # 2 s late; dns01 must wait for the nameservers (no fixed sleep), and use 4 API calls.
    fake.dns.delay = 2.0
    env.write_config(providers={'cf': table(fake, zones=['example.test'])})
    proc = run_issue(env, ['example.test', '*.example.test'])
    assert proc.returncode == 0, describe(proc)
    calls = record_calls(fake)
    assert [(r.method, r.path.rsplit('/', 1)[-1]) for r in calls] == [
        ('GET', 'zones'), ('POST', 'batch'), ('GET', 'dns_records'), ('POST', 'batch')], calls
    fake.dns.wait_applied(timeout=30)
    assert_clean(msb, ['_acme-challenge.example.test'], env)
