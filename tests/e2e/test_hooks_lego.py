"""dns01 as lego's exec provider and httpreq server (issue 7), with the real lego 4.9.1.

The CA asks a secondary that lags behind the primary: lego only gets its certificate because
`dns01 present` (and /present) return once every authoritative server serves the value. lego's
own propagation check is off (--dns.disable-cp, see peers.py for why).
"""

import base64
import glob
import http.client
import json
import os
import signal
import subprocess

import pytest

import peers
from issue_support import wait_for_stderr

APEX = '_acme-challenge.example.test'


def hook_files(workdir):
    return glob.glob(os.path.join(workdir, 'storage', 'journal', 'hooks', '*.json'))


def assert_clean(sandbox, domains, workdir):
    names = sorted({'_acme-challenge.' + d.lstrip('*.') for d in domains})
    left = peers.wait_all_clean(sandbox, names, timeout=sandbox.secondary_delay + 10)
    assert not left, 'records left behind: %r' % left
    assert hook_files(workdir) == []


@pytest.fixture(autouse=True)
def _client_installed():
    if not os.path.exists(peers.LEGO):
        pytest.fail('%s is missing: install the Debian package lego (scripts/packages-test.txt)'
                    % peers.LEGO)


def ok(result):
    assert result.returncode == 0, 'stdout:\n%s\nstderr:\n%s' % (result.stdout, result.stderr)
    return result


def cert_exists(workdir, domain):
    return os.path.exists(os.path.join(workdir, '.lego', 'certificates', '%s.crt' % domain.lstrip('*.')))


def test_exec_default_and_raw(sandbox_factory, tmp_path, dns01_bin, build_dir):
    sb = sandbox_factory(secondary_delay=2, ca_asks='secondary')
    work = str(tmp_path)
    config = peers.dns01_config(sb, work)
    env = peers.dns01_env(build_dir, {
        'DNS01_CONFIG': config, 'EXEC_PATH': dns01_bin, 'EXEC_POLLING_INTERVAL': '1',
        'EXEC_PROPAGATION_TIMEOUT': '60', 'EXEC_SEQUENCE_INTERVAL': '0'})

    domains = ['example.test', '*.example.test']
    r = ok(peers.lego(sb, os.path.join(work, 'default'), 'exec', domains, env=env))
    assert cert_exists(os.path.join(work, 'default'), 'example.test'), r.stderr
    assert_clean(sb, domains, work)

    env['EXEC_MODE'] = 'RAW'
    r = ok(peers.lego(sb, os.path.join(work, 'raw'), 'exec', ['www.example.test'], env=env))
    assert cert_exists(os.path.join(work, 'raw'), 'www.example.test'), r.stderr
    assert_clean(sb, ['www.example.test'], work)


def test_exec_protocol_errors(sandbox_factory, tmp_path, run_dns01):
    sb = sandbox_factory()
    config = peers.dns01_config(sb, str(tmp_path))
    r = run_dns01(['present', 'only-one-argument'], config=config)
    assert r.returncode == 2
    r = run_dns01(['present', '--', 'example.test', 'token', 'not-the-token.thumb'], config=config)
    assert r.returncode == 2 and 'key authorization' in r.stderr
    # present then cleanup by hand, exactly lego's calls.
    r = run_dns01(['present', APEX + '.', 'by-hand'], config=config)
    assert r.returncode == 0, r.stderr
    assert sb.query_txt('secondary', APEX) == ['by-hand']
    r = run_dns01(['cleanup', APEX + '.', 'by-hand'], config=config)
    assert r.returncode == 0, r.stderr
    r = run_dns01(['cleanup', APEX + '.', 'by-hand'], config=config)  # again: still fine
    assert r.returncode == 0, r.stderr
    assert_clean(sb, ['example.test'], str(tmp_path))
    # The same value presented twice (a retrying client): it goes with the last cleanup only.
    for _ in range(2):
        r = run_dns01(['present', '--no-wait', APEX + '.', 'twice'], config=config)
        assert r.returncode == 0, r.stderr
    r = run_dns01(['cleanup', APEX + '.', 'twice'], config=config)
    assert r.returncode == 0, r.stderr
    assert sb.query_txt('primary', APEX) == ['twice']
    assert len(hook_files(str(tmp_path))) == 1
    r = run_dns01(['cleanup', APEX + '.', 'twice'], config=config)
    assert r.returncode == 0, r.stderr
    assert_clean(sb, ['example.test'], str(tmp_path))


def post(port, path, body, auth=None, method='POST', raw=None):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    headers = {'Content-Type': 'application/json'}
    if auth:
        headers['Authorization'] = 'Basic ' + base64.b64encode(auth.encode()).decode()
    data = raw if raw is not None else json.dumps(body).encode()
    conn.request(method, path, body=data, headers=headers)
    resp = conn.getresponse()
    text = resp.read().decode()
    conn.close()
    return resp.status, text


def test_httpreq_with_lego_default_and_raw(sandbox_factory, tmp_path, dns01_bin, build_dir):
    sb = sandbox_factory(secondary_delay=2, ca_asks='secondary')
    work = str(tmp_path)
    config = peers.dns01_config(sb, work)
    env = peers.dns01_env(build_dir)
    with peers.HttpreqServer(dns01_bin, config, env, work, username='lego',
                             password='s3cret-pass') as server:
        # Hostile or wrong requests first: each gets a 4xx and nothing is written.
        assert post(server.port, '/present', {'fqdn': APEX + '.', 'value': 'x'})[0] == 401
        assert post(server.port, '/present', {'fqdn': APEX + '.', 'value': 'x'},
                    auth='lego:wrong')[0] == 401
        auth = 'lego:s3cret-pass'
        assert post(server.port, '/present', None, auth=auth, raw=b'{not json')[0] == 400
        assert post(server.port, '/nope', {}, auth=auth)[0] == 404
        assert post(server.port, '/present', None, auth=auth, method='GET', raw=b'')[0] == 405
        assert post(server.port, '/present', None, auth=auth, raw=b'x' * 100000)[0] == 413
        assert hook_files(work) == []

        lego_env = dict(os.environ, HTTPREQ_ENDPOINT=server.endpoint, HTTPREQ_USERNAME='lego',
                        HTTPREQ_PASSWORD='s3cret-pass', HTTPREQ_POLLING_INTERVAL='1',
                        HTTPREQ_PROPAGATION_TIMEOUT='60', HTTPREQ_HTTP_TIMEOUT='60')
        domains = ['example.test', '*.example.test']
        r = ok(peers.lego(sb, os.path.join(work, 'default'), 'httpreq', domains, env=lego_env))
        assert cert_exists(os.path.join(work, 'default'), 'example.test'), r.stderr
        assert_clean(sb, domains, work)

        lego_env['HTTPREQ_MODE'] = 'RAW'
        r = ok(peers.lego(sb, os.path.join(work, 'raw'), 'httpreq', ['api.example.test'], env=lego_env))
        assert cert_exists(os.path.join(work, 'raw'), 'api.example.test'), r.stderr
        assert_clean(sb, ['api.example.test'], work)

        # A record lego never cleaned (killed): the server removes it when it stops.
        status, text = post(server.port, '/present', {'fqdn': APEX + '.', 'value': 'orphan'}, auth=auth)
        assert status == 200, text
        assert sb.query_txt('secondary', APEX) == ['orphan']
        assert server.stop() == 0
    assert 's3cret-pass' not in server.stderr()
    assert_clean(sb, ['example.test'], work)


def test_interrupted_present_removes_its_record(sandbox_factory, tmp_path, dns01_bin, build_dir):
    sb = sandbox_factory(secondary_delay=5)
    work = str(tmp_path)
    config = peers.dns01_config(sb, work)
    proc = subprocess.Popen([dns01_bin, '--config', config, 'present', APEX + '.', 'interrupted'],
                            env=peers.dns01_env(build_dir), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    # Logged once the record is written, right before the wait for the (lagging) secondary.
    before = wait_for_stderr(proc, 'added TXT ' + APEX)
    assert sb.query_txt('primary', APEX) == ['interrupted'], before
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    err = before + err
    assert proc.returncode == 130, err
    assert sb.query_txt('primary', APEX) == []
    assert_clean(sb, ['example.test'], work)
