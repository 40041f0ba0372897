"""Smoke tests of the test sandbox itself: if these fail, every other e2e test is suspect."""

import json
import os
import ssl
import stat
import subprocess
import time
import urllib.request

import pytest

from conftest import NsupdateError, SOURCE_DIR

SANDBOX_PY = os.path.join(SOURCE_DIR, 'tests', 'sandbox', 'sandbox.py')
NAME = '_acme-challenge.example.test.'


def lo_addresses():
    out = subprocess.run(['/usr/sbin/ip', '-o', 'addr', 'show', 'dev', 'lo'], check=True,
                         capture_output=True, text=True).stdout
    return out


def alive(pid):
    try:
        with open('/proc/%d/stat' % pid, 'rb') as f:
            s = f.read()
        return s[s.rindex(b')') + 2:][:1] not in (b'Z', b'X')
    except OSError:
        return False


def test_full_key_update_reaches_both_servers(sandbox):
    t0 = time.monotonic()
    sandbox.nsupdate(['update add %s 60 TXT "full-key"' % NAME])
    assert 'full-key' in sandbox.query_txt('primary', NAME)
    seen = sandbox.wait_txt('secondary', NAME, 'full-key', timeout=5)
    assert seen - t0 < 3.0
    # multi-string TXT values are joined; any record type anywhere in the zone is allowed
    sandbox.nsupdate(['update add multi.other.test. 60 TXT "ab" "cd"',
                      'update add host.other.test. 60 A 127.0.0.9'])
    assert sandbox.query_txt('primary', 'multi.other.test.') == ['abcd']
    sandbox.nsupdate(['update delete %s TXT "full-key"' % NAME])
    sandbox.wait_no_txt('secondary', NAME, 'full-key', timeout=5)
    assert sandbox.query_txt('primary', NAME) == []


def test_secondary_lags_by_the_configured_delay(sandbox_factory):
    sb = sandbox_factory(secondary_delay=2.0)
    t0 = time.monotonic()
    sb.nsupdate(['update add %s 60 TXT "lagging"' % NAME])
    assert 'lagging' in sb.query_txt('primary', NAME)
    while time.monotonic() - t0 < 1.5:
        assert 'lagging' not in sb.query_txt('secondary', NAME), 'secondary served it too early'
        time.sleep(0.05)
    seen = sb.wait_txt('secondary', NAME, 'lagging', timeout=8)
    assert 1.8 <= seen - t0 < 6.0
    # changed while running: back to (almost) immediate
    sb.set_secondary_delay(0)
    t1 = time.monotonic()
    sb.nsupdate(['update add %s 60 TXT "fast"' % NAME])
    assert sb.wait_txt("secondary", NAME, "fast", timeout=5) - t1 < 1.8


def test_restricted_key_only_updates_acme_challenge_txt(sandbox):
    for name in (NAME, '_acme-challenge.www.example.test.', '_acme-challenge.internal.test.'):
        sandbox.nsupdate(['update add %s 60 TXT "acme-ok"' % name], key='acme')
        assert 'acme-ok' in sandbox.query_txt('primary', name)
    sandbox.nsupdate(['update delete %s TXT "acme-ok"' % NAME], key='acme')
    refused = [
        ['update add www.example.test. 60 TXT "nope"'],                 # not _acme-challenge
        ['update add _acme-challenge.example.test. 60 CNAME x.other.test.'],  # not TXT
        ['check-names no', 'update add _acme-challenge.example.test. 60 A 127.0.0.7'],
        ['update add x._acme-challenge.example.test. 60 TXT "nope"'],   # below it
    ]
    for cmds in refused:
        with pytest.raises(NsupdateError) as info:
            sandbox.nsupdate(cmds, key='acme')
        assert 'REFUSED' in str(info.value), cmds
    assert sandbox.query_txt('primary', 'www.example.test.') == []


def test_key_files_and_exported_fields(sandbox):
    for path in (sandbox.tsig_key_file, sandbox.acme_tsig_key_file):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(sandbox.tsig_key_file, encoding='ascii') as f:
        text = f.read()
    assert 'key "dns01-key."' in text and 'hmac-sha256' in text and sandbox.tsig_secret in text
    j = json.loads(json.dumps(sandbox.to_json()))
    assert j['dns_port'] == sandbox.dns_port and j['primary_ip'].startswith('127.')
    env = sandbox.env()
    assert all(isinstance(v, str) for v in env.values())
    assert env['DNS01_SANDBOX_DNS_PORT'] == str(sandbox.dns_port)
    with open(os.path.join(sandbox.workdir, 'sandbox.json'), encoding='utf-8') as f:
        assert json.load(f)['acme_directory'] == sandbox.acme_directory


def test_pebble_directory_over_verified_tls(sandbox):
    def opener(ctx):  # no proxy from the environment: loopback only
        return urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                           urllib.request.HTTPSHandler(context=ctx))

    ctx = ssl.create_default_context(cafile=sandbox.ca_bundle)
    with opener(ctx).open(sandbox.acme_directory, timeout=5) as resp:
        directory = json.load(resp)
    for key in ('newNonce', 'newAccount', 'newOrder'):
        assert directory[key].startswith('https://127.0.0.1:')
    with opener(ctx).open(sandbox.pebble_management + '/roots/0', timeout=5) as resp:
        assert b'BEGIN CERTIFICATE' in resp.read()
    # the system trust store must not accept it: verification really uses the generated CA
    with pytest.raises(urllib.error.URLError):
        opener(ssl.create_default_context()).open(sandbox.acme_directory, timeout=5)


def test_pebble_external_account_binding(sandbox_factory):
    sb = sandbox_factory(eab_required=True, eab_keys={'kid-1': 'zWNDZM6eQGHWpSRTPal5eIUYFTu7EajV'
                                                      'IoguysqZ9wG44nMEtx3MUAsUDkMTQ12W'})
    assert sb.acme_directory_json()['meta'].get('externalAccountRequired') is True


def test_ipv6_primary_answers_and_accepts_updates(sandbox):
    resp = sandbox.query('::1', 'example.test.', 'SOA')
    assert resp.answer and resp.answer[0].rdtype == 6
    sandbox.nsupdate(['update add six.example.test. 60 TXT "v6"'], server='ipv6')
    assert sandbox.query_txt('::1', 'six.example.test.') == ['v6']


def test_query_log_records_queries(sandbox):
    sandbox.query_txt('primary', NAME)
    sandbox.query_txt('secondary', NAME)
    for role in ('primary', 'secondary'):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if os.path.exists(sandbox.query_log_paths[role]):
                with open(sandbox.query_log_paths[role], encoding='utf-8') as f:
                    if NAME.rstrip('.') in f.read():
                        break
            time.sleep(0.05)
        else:
            pytest.fail('no query logged by the %s' % role)


def test_stop_removes_addresses_and_processes(sandbox_factory):
    sb = sandbox_factory()
    pids = dict(sb.pids)
    addrs = (sb.primary_ip, sb.secondary_ip)
    assert set(pids) == {'relay', 'primary', 'secondary', 'pebble'}
    assert all(alive(p) for p in pids.values())
    assert all(a + '/32' in lo_addresses() for a in addrs)
    sb.stop()
    assert not any(alive(p) for p in pids.values())
    assert not any(a + '/32' in lo_addresses() for a in addrs)
    sb.stop()  # idempotent


def test_cli_start_status_stop(tmp_path):
    if os.geteuid() != 0:
        pytest.skip('the sandbox needs root')
    d = str(tmp_path / 'cli')
    cli = ['/usr/bin/python3', SANDBOX_PY]
    started = subprocess.run(cli + ['start', '--dir', d, '--secondary-delay', '0.5'],
                             capture_output=True, text=True, timeout=60)
    try:
        assert started.returncode == 0, started.stderr
        info = json.loads(started.stdout)
        with open(os.path.join(d, 'sandbox.json'), encoding='utf-8') as f:
            assert json.load(f) == info
        assert info['secondary_delay'] == 0.5
        status = subprocess.run(cli + ['status', '--dir', d], capture_output=True, text=True)
        assert status.returncode == 0 and json.loads(status.stdout)['running'] is True
        assert subprocess.run(cli + ['set-delay', '--dir', d, '0']).returncode == 0
    finally:
        stopped = subprocess.run(cli + ['stop', '--dir', d], capture_output=True, text=True,
                                 timeout=60)
    assert stopped.returncode == 0, stopped.stderr
    assert not any(alive(p) for p in info['pids'].values())
    assert info['primary_ip'] + '/32' not in lo_addresses()
    status = subprocess.run(cli + ['status', '--dir', d], capture_output=True, text=True)
    assert status.returncode == 3


def test_set_ca_asks_restarts_pebble(sandbox):
    old = sandbox.pids['pebble']
    sandbox.set_ca_asks('secondary')
    new = sandbox.pids['pebble']
    assert new != old and not alive(old)
    with open('/proc/%d/cmdline' % new, 'rb') as f:
        argv = f.read().decode().split('\0')
    assert '%s:%d' % (sandbox.secondary_ip, sandbox.dns_port) in argv
    assert 'newOrder' in sandbox.acme_directory_json()


@pytest.mark.skipif(not os.path.exists('/usr/bin/certbot'), reason='certbot not installed')
def test_pebble_validates_dns01_through_the_secondary(sandbox_factory, tmp_path):
    # The whole chain a dns01 run relies on: restricted key → primary → NOTIFY relay → secondary
    # → pebble's VA (-dnsserver) → certificate. certbot is only a convenient ACME client here;
    # PEBBLE_WFE_NONCEREJECT=0 avoids certbot 2.1's crash on two badNonce in a row.
    sb = sandbox_factory(ca_asks='secondary', pebble_env={'PEBBLE_WFE_NONCEREJECT': '0'})
    ini = tmp_path / 'rfc2136.ini'
    ini.write_text('dns_rfc2136_server = %s\ndns_rfc2136_port = %d\ndns_rfc2136_name = %s\n'
                   'dns_rfc2136_secret = %s\ndns_rfc2136_algorithm = HMAC-SHA256\n'
                   % (sb.primary_ip, sb.dns_port, sb.acme_tsig_name, sb.acme_tsig_secret))
    ini.chmod(0o600)
    d = tmp_path / 'certbot'
    res = subprocess.run(
        ['/usr/bin/certbot', 'certonly', '--non-interactive', '--agree-tos',
         '--register-unsafely-without-email', '--server', sb.acme_directory,
         '--config-dir', str(d / 'config'), '--work-dir', str(d / 'work'),
         '--logs-dir', str(d / 'logs'), '--dns-rfc2136', '--dns-rfc2136-credentials', str(ini),
         '--dns-rfc2136-propagation-seconds', '1', '-d', 'example.test', '-d', '*.example.test'],
        env=dict(os.environ, REQUESTS_CA_BUNDLE=sb.ca_bundle), capture_output=True, text=True,
        timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert (d / 'config' / 'live' / 'example.test' / 'fullchain.pem').exists()
