"""The rfc2136 provider (provider-rfc2136.so) against the sandbox's real BIND primary.

Driven through tests/provider/dns01-provider-tool, which loads the provider with the real loader
from a dns01.toml. The sandbox's `dns01-acme` key may only change TXT records at
_acme-challenge names (docs/providers/rfc2136.md shows the same policy). The replies other
servers give (Knot DNS, PowerDNS) are covered against the fake DNS server in
update_replies_test.cpp beside this file.
"""

import os
import subprocess

import pytest

NAME = '_acme-challenge.example.test'


@pytest.fixture
def tool(build_dir, tmp_path):
    """Returns run(action, *name_value, **table) -> CompletedProcess for [providers.internal]."""
    path = os.path.join(build_dir, 'tests', 'provider', 'dns01-provider-tool')
    if not os.path.exists(path):
        pytest.fail('%s is not built (ninja builds it with the provider suite)' % path)
    counter = [0]

    def run(sandbox, action, *records, secret=None, key='acme', verbose=False, **table):
        counter[0] += 1
        secret_file = tmp_path / ('secret%d' % counter[0])
        if secret is None:
            secret = sandbox.acme_tsig_secret if key == 'acme' else sandbox.tsig_secret
        secret_file.write_text(secret + '\n')
        os.chmod(secret_file, 0o600)
        settings = {
            'type': 'rfc2136',
            'zones': ['example.test', 'other.test'],
            'server': '%s:%d' % (sandbox.primary_ip, sandbox.dns_port),
            'key_name': (sandbox.acme_tsig_name if key == 'acme' else sandbox.tsig_name).rstrip('.'),
            'secret_file': str(secret_file),
        }
        settings.update(table)
        lines = ['[providers.internal]']
        for k, v in settings.items():
            if isinstance(v, list):
                lines.append('%s = [%s]' % (k, ', '.join('"%s"' % x for x in v)))
            elif isinstance(v, bool):
                lines.append('%s = %s' % (k, 'true' if v else 'false'))
            else:
                lines.append('%s = "%s"' % (k, v))
        config = tmp_path / ('dns01-%d.toml' % counter[0])
        config.write_text('\n'.join(lines) + '\n')
        env = dict(os.environ)
        env.setdefault('DNS01_PROVIDER_PATH', os.path.join(build_dir, 'providers'))
        flags = ['-v'] if verbose else []
        return subprocess.run([path, '--config', str(config), '--provider', 'internal'] + flags
                              + [action] + list(records), env=env, capture_output=True, text=True,
                              timeout=60)
    return run


def ok(result):
    assert result.returncode == 0, result.stderr
    return result


def test_two_values_coexist_and_are_removed_exactly(sandbox, tool):
    # An unrelated TXT value at the same name must survive everything we do (lego wipes it).
    sandbox.nsupdate(['update add %s. 300 TXT "unrelated"' % NAME], key='dns01')
    ok(tool(sandbox, 'add', NAME, 'apex-token'))
    ok(tool(sandbox, 'add', NAME, 'wildcard-token'))
    assert sorted(sandbox.query_txt('primary', NAME)) == ['apex-token', 'unrelated',
                                                          'wildcard-token']
    ok(tool(sandbox, 'remove', NAME, 'apex-token'))
    assert sorted(sandbox.query_txt('primary', NAME)) == ['unrelated', 'wildcard-token']
    ok(tool(sandbox, 'remove', NAME, 'apex-token'))  # already gone: still a success
    ok(tool(sandbox, 'remove', NAME, 'wildcard-token'))
    assert sandbox.query_txt('primary', NAME) == ['unrelated']
    sandbox.wait_no_txt('secondary', NAME, 'wildcard-token', timeout=10)


def test_wrong_secret_is_a_clear_auth_error(sandbox, tool):
    r = tool(sandbox, 'add', NAME, 'v', secret='AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=')
    assert r.returncode == 6, r.stderr
    assert ('answered NOTAUTH with TSIG error BADSIG (unsigned): the server knows key dns01-acme '
            'but the signature does not match' in r.stderr), r.stderr
    assert 'copy the secret again' in r.stderr
    assert sandbox.acme_tsig_secret not in r.stderr


def test_unknown_key_name_is_a_clear_auth_error(sandbox, tool):
    r = tool(sandbox, 'add', NAME, 'v', key_name='no-such-key')
    assert r.returncode == 6, r.stderr
    assert ('answered NOTAUTH with TSIG error BADKEY (unsigned): the server does not accept key '
            'no-such-key for zone example.test' in r.stderr), r.stderr
    assert 'check key_name and algorithm' in r.stderr


def test_wrong_zone_names_the_right_one(sandbox, tool):
    r = tool(sandbox, 'add', NAME, 'v', zone='other.test')
    assert r.returncode == 6, r.stderr
    assert 'the zone of %s is example.test, not other.test' % NAME in r.stderr
    assert 'set zone = "example.test"' in r.stderr
    # A zone the server does not serve at all: the server says NOTAUTH, we say which zone it is.
    r = tool(sandbox, 'add', NAME, 'v', zone='test')
    assert r.returncode == 6, r.stderr
    assert 'answered NOTAUTH' in r.stderr, r.stderr
    assert 'the zone of %s is example.test, not test' % NAME in r.stderr


def test_restricted_key_may_only_touch_acme_challenge_txt(sandbox, tool):
    r = tool(sandbox, 'add', 'www.example.test', 'v')
    assert r.returncode == 6, r.stderr
    # BIND signs its REFUSED: the key was accepted, the policy refused the name.
    assert ('answered REFUSED: its update policy does not let key dns01-acme change TXT '
            'www.example.test' in r.stderr), r.stderr
    assert sandbox.query_txt('primary', 'www.example.test') == []
    ok(tool(sandbox, 'add', '_acme-challenge.www.example.test', 'allowed'))
    assert sandbox.query_txt('primary', '_acme-challenge.www.example.test') == ['allowed']
    ok(tool(sandbox, 'remove', '_acme-challenge.www.example.test', 'allowed'))


def test_two_hundred_records_in_one_batch(sandbox, tool):
    records = []
    for i in range(200):
        records += ['_acme-challenge.h%d.example.test' % i, 'batch-value-%03d' % i]
    r = ok(tool(sandbox, 'batch-add', *records, key='dns01'))
    for i in (0, 99, 199):
        assert sandbox.query_txt('primary', records[2 * i]) == [records[2 * i + 1]]
    ok(tool(sandbox, 'batch-remove', *records, key='dns01'))
    for i in (0, 199):
        assert sandbox.query_txt('primary', records[2 * i]) == []
    assert 'batch-add: 200 record(s) done' in r.stderr


def test_batch_is_one_update_message(sandbox, tool):
    records = []
    for label in ('a', 'b', 'c'):
        records += ['_acme-challenge.%s.example.test' % label, 'one-message']
    r = ok(tool(sandbox, 'batch-add', *records, verbose=True))
    assert r.stderr.count('add 3 TXT records in example.test') == 1
    r = ok(tool(sandbox, 'batch-remove', *records, verbose=True))
    assert r.stderr.count('remove 3 TXT records in example.test') == 1


def test_ipv6_loopback_server(sandbox, tool):
    r = ok(tool(sandbox, 'add', NAME, 'over-ipv6', server='[::1]:%d' % sandbox.dns_port))
    assert 'over-ipv6' in sandbox.query_txt('primary', NAME)
    ok(tool(sandbox, 'remove', NAME, 'over-ipv6', server='[::1]:%d' % sandbox.dns_port))
    assert 'over-ipv6' not in sandbox.query_txt('primary', NAME)
    assert r.returncode == 0


def test_tcp_and_explicit_zone(sandbox, tool):
    ok(tool(sandbox, 'add', NAME, 'via-tcp', tcp=True, zone='example.test'))
    assert 'via-tcp' in sandbox.query_txt('primary', NAME)
    ok(tool(sandbox, 'remove', NAME, 'via-tcp', tcp=True, zone='example.test'))


def test_refused_algorithm_fails_before_any_packet(sandbox, tool):
    r = tool(sandbox, 'add', NAME, 'v', algorithm='hmac-sha384')
    assert r.returncode == 3, r.stderr
    assert 'ldns 1.8.3' in r.stderr


def test_dns01_providers_lists_rfc2136_from_its_metadata(dns01_bin, build_dir):
    import json
    env = dict(os.environ)
    env.setdefault('DNS01_PROVIDER_PATH', os.path.join(build_dir, 'providers'))
    r = subprocess.run([dns01_bin, 'providers', '--json', '--check'], env=env,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    listing = json.loads(r.stdout)
    rfc2136 = [p for p in listing['providers'] if p['code'] == 'rfc2136']
    assert len(rfc2136) == 1 and rfc2136[0]['ok']
    keys = {k['key']: k for k in rfc2136[0]['config']}
    assert keys['server']['required'] and keys['secret']['secret']
    assert keys['algorithm']['default'] == 'hmac-sha256'
    r = subprocess.run([dns01_bin, 'providers', 'rfc2136'], env=env, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0 and 'secret: give secret_file' in r.stdout
