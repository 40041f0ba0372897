"""`dns01 check` against the sandbox (real BIND primary + secondary on loopback).

Every run passes explicit loopback servers (--resolver / --nameserver): /etc/resolv.conf is never
used. One sandbox serves the whole module; each test uses its own record names, so delayed
NOTIFYs of one test cannot disturb another.
"""

import json
import os
import subprocess
import threading
import time

import pytest

from conftest import Sandbox


@pytest.fixture(scope='module')
def sb(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip('the sandbox needs root: it adds 127.A.B.x addresses to lo and runs named')
    box = Sandbox(str(tmp_path_factory.mktemp('check-sandbox')))
    box.start()
    yield box
    box.stop()


@pytest.fixture
def check(sb, dns01_bin):
    """Runs `dns01 --json check ...` with the sandbox primary as bootstrap resolver."""

    def run(args, discovery=True, timeout='10s', extra_global=(), config=None):
        argv = [dns01_bin] + list(extra_global)
        if config:
            argv += ['--config', str(config)]
        argv += ['--json', 'check'] + list(args) + ['--timeout', timeout]
        if discovery:
            argv += ['--resolver', '%s:%d' % (sb.primary_ip, sb.dns_port), '--port', str(sb.dns_port)]
        env = dict(os.environ)
        env.pop('DNS01_CONFIG', None)
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env,
                              cwd=os.path.dirname(dns01_bin))
        result = json.loads(proc.stdout) if proc.stdout.strip() else None
        return proc, result

    return run


def add_txt(sb, name, *values):
    sb.nsupdate(['update add %s. 60 TXT "%s"' % (name, v) for v in values])


def by_ip(result, ip):
    return [s for s in result['servers'] if s['address'].startswith(ip + ':')]


def test_both_servers_already_serving(sb, check):
    name = '_acme-challenge.www.example.test'
    add_txt(sb, name, 'ready')
    sb.wait_txt('secondary', name + '.', 'ready', timeout=10)
    proc, result = check([name, 'ready'])
    assert proc.returncode == 0, proc.stderr
    assert result['ok'] is True
    assert result['targets'][0]['zone'] == 'example.test'
    assert sorted(s['ns_name'] for s in result['servers']) == ['ns1.example.test', 'ns2.example.test']
    assert all(s['state'] == 'seen' and s['queries'] == 1 for s in result['servers'])
    assert 'seen after' in proc.stderr  # live progress per server


def test_primary_only_waits_and_names_the_lagging_secondary(sb, check):
    name = '_acme-challenge.api.example.test'
    sb.set_secondary_delay(4)
    try:
        add_txt(sb, name, 'lagging')
        proc, result = check([name, 'lagging'], timeout='1s')
    finally:
        sb.set_secondary_delay(0)
    assert proc.returncode == 7, proc.stderr
    assert result['ok'] is False
    assert by_ip(result, sb.primary_ip)[0]['state'] == 'seen'
    secondary = by_ip(result, sb.secondary_ip)[0]
    assert secondary['state'] == 'not yet'
    assert 'ns2.example.test (%s:%d)' % (sb.secondary_ip, sb.dns_port) in result['error']['message']
    assert result['error']['exit_code'] == 7
    assert 'dns01: error: propagation:' in proc.stderr


def test_returns_within_150ms_of_the_secondary_serving(sb, check, dns01_bin):
    """The check must notice the last server at once: the test polls the secondary itself in a
    tight loop and compares the first moment it served the value with the check's exit."""
    name = '_acme-challenge.mail.example.test'
    value = 'caught-up-%d' % os.getpid()
    sb.set_secondary_delay(1.5)
    seen = {}

    def poll_secondary():
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and 'at' not in seen:
            try:
                if value in sb.query_txt('secondary', name + '.'):
                    seen['at'] = time.monotonic()
            except Exception:  # noqa: BLE001 - keep polling through transient errors
                pass
            time.sleep(0.002)

    try:
        add_txt(sb, name, value)
        poller = threading.Thread(target=poll_secondary)
        poller.start()
        argv = [dns01_bin, '--json', 'check', name, value, '--timeout', '20s',
                '--resolver', '%s:%d' % (sb.primary_ip, sb.dns_port), '--port', str(sb.dns_port)]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = proc.communicate(timeout=60)
        returned = time.monotonic()
        poller.join()
    finally:
        sb.set_secondary_delay(0)
    assert proc.returncode == 0, err
    assert 'at' in seen, 'the test never saw the secondary serve the value'
    lag = returned - seen['at']
    print('secondary first served at %.3f, check returned %.0f ms later' % (seen['at'], lag * 1000))
    assert lag > -0.01, 'the check returned before the secondary served the value'
    assert lag < 0.150
    result = json.loads(out)
    assert by_ip(result, sb.secondary_ip)[0]['queries'] > 1


def test_unreachable_nameserver_fails_naming_it(sb, check):
    name = '_acme-challenge.a.example.test'
    add_txt(sb, name, 'reach')
    sb.wait_txt('secondary', name + '.', 'reach', timeout=10)
    dead = sb.primary_ip.rsplit('.', 1)[0] + '.99'  # a loopback address nothing listens on
    proc, result = check([name, 'reach', '--nameserver', '%s:%d' % (sb.primary_ip, sb.dns_port),
                          '--nameserver', '%s:%d' % (dead, sb.dns_port)],
                         discovery=False, timeout='1s')
    assert proc.returncode == 7, proc.stderr
    broken = by_ip(result, dead)[0]
    assert broken['state'] == 'error'
    assert 'refused' in broken['detail'].lower()
    assert '%s:%d' % (dead, sb.dns_port) in result['error']['message']


def test_config_nameservers_exclude_the_unreachable_one(sb, check, tmp_path):
    name = '_acme-challenge.b.example.test'
    add_txt(sb, name, 'excluded')
    config = tmp_path / 'dns01.toml'
    config.write_text('[propagation]\nnameservers = ["%s:%d", "%s:%d"]\ntimeout = "5s"\n'
                      % (sb.primary_ip, sb.dns_port, sb.secondary_ip, sb.dns_port))
    os.chmod(config, 0o600)
    proc, result = check([name, 'excluded'], discovery=False, config=config)
    assert proc.returncode == 0, proc.stderr
    assert {s['address'] for s in result['servers']} == {
        '%s:%d' % (sb.primary_ip, sb.dns_port), '%s:%d' % (sb.secondary_ip, sb.dns_port)}


def test_refused_by_a_server_not_serving_the_zone(sb, check):
    # nothere.test is served by nobody: the explicit servers answer REFUSED (a lame setup).
    proc, result = check(['_acme-challenge.nothere.test', 'x', '--nameserver',
                          '%s:%d' % (sb.primary_ip, sb.dns_port)], discovery=False, timeout='1s')
    assert proc.returncode == 7, proc.stderr
    assert result['servers'][0]['state'] == 'error'
    assert result['servers'][0]['rcode'] == 'REFUSED'
    assert 'REFUSED' in result['error']['message']


def test_cname_delegation_into_another_zone(sb, check):
    sb.nsupdate(['update add _acme-challenge.c.example.test. 60 CNAME _acme-challenge.other.test.'])
    add_txt(sb, '_acme-challenge.other.test', 'delegated')
    proc, result = check(['_acme-challenge.c.example.test', 'delegated'])
    assert proc.returncode == 0, proc.stderr
    target = result['targets'][0]
    assert target['effective_name'] == '_acme-challenge.other.test'
    assert target['zone'] == 'other.test'
    assert target['cname_chain'] == ['_acme-challenge.c.example.test', '_acme-challenge.other.test']
    assert {s['name'] for s in result['servers']} == {'_acme-challenge.other.test'}
    assert sorted(s['ns_name'] for s in result['servers']) == ['ns1.other.test', 'ns2.other.test']


def test_rrset_too_large_for_udp_uses_tcp(sb, check):
    name = '_acme-challenge.test.example.test'
    filler = ['filler-%02d-%s' % (i, 'x' * 80) for i in range(30)]
    add_txt(sb, name, *filler)
    add_txt(sb, name, 'needle')
    proc, result = check([name, 'needle'])
    assert proc.returncode == 0, proc.stderr
    assert all(s['tcp'] for s in result['servers'])


def test_split_horizon_explicit_nameservers_without_any_resolver(sb, check):
    name = '_acme-challenge.host.example.test'
    other = '_acme-challenge.host.other.test'
    add_txt(sb, name, 'inside')
    add_txt(sb, other, 'inside-too')
    proc, result = check(['%s=inside' % name, '%s=inside-too' % other,
                          '--nameserver', '%s:%d' % (sb.primary_ip, sb.dns_port),
                          '--nameserver', '%s:%d' % (sb.secondary_ip, sb.dns_port)],
                         discovery=False)
    assert proc.returncode == 0, proc.stderr
    assert len(result['servers']) == 4  # 2 names x 2 servers, one wait
    assert all(s['ns_name'] == '' and s['state'] == 'seen' for s in result['servers'])
    assert {t['zone'] for t in result['targets']} == {'example.test', 'other.test'}


def test_quiet_mode_and_usage_errors(sb, check, dns01_bin):
    name = '_acme-challenge.x.y.z.example.test'
    add_txt(sb, name, 'quiet')
    sb.wait_txt('secondary', name + '.', 'quiet', timeout=10)
    proc = subprocess.run([dns01_bin, '-q', 'check', name, 'quiet', '--resolver',
                           '%s:%d' % (sb.primary_ip, sb.dns_port), '--port', str(sb.dns_port)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ''
    bad = subprocess.run([dns01_bin, 'check', 'a', 'b', 'c'], capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode == 2
    assert 'NAME=VALUE' in bad.stderr


def test_require_recursive_and_extra_wait_policies(sb, check):
    # The sandbox servers do not recurse, but they answer RD=1 questions about their own zones,
    # which is enough to exercise the resolver probes (they start after the authoritative ones).
    name = '_acme-challenge.deep.sub.example.test'
    add_txt(sb, name, 'policy')
    started = time.monotonic()
    proc, result = check([name, 'policy', '--require-recursive', '--extra-wait', '300ms'])
    took = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    resolvers = [s for s in result['servers'] if s['recursive']]
    assert len(resolvers) == 1 and resolvers[0]['state'] == 'seen'
    assert resolvers[0]['address'] == '%s:%d' % (sb.primary_ip, sb.dns_port)
    assert took >= 0.3  # the opt-in fixed wait happened
    assert 'extra_wait' in proc.stderr
