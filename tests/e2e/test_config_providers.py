"""`dns01 config check` validates provider tables against their provider.toml, exactly as
`dns01 issue` does (issue 12): unknown type, misspelt key, wrong kind, a value outside
`choices`, a broken `requires`, bounds — every one with file:line, and the same verdict from
both commands. No sandbox: the real dns01 binary and the in-tree provider-rfc2136.so.
"""

import os
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DNS01 = os.environ.get('DNS01_BIN') or os.path.join(REPO, 'build', 'cli', 'dns01')

HEAD = """\
[acme]
server = "https://127.0.0.1:14000/dir"
agree_tos = true

[storage]
dir = "{dir}"

"""


def run(args, cwd, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith('DNS01_')}
    if os.environ.get('DNS01_PROVIDER_PATH'):
        env['DNS01_PROVIDER_PATH'] = os.environ['DNS01_PROVIDER_PATH']
    env['NO_COLOR'] = '1'
    env.update(env_extra or {})
    return subprocess.run([DNS01] + args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=60)


def config(tmp_path, tables):
    path = tmp_path / 'dns01.toml'
    path.write_text(HEAD.format(dir=tmp_path / 'store') + tables)
    os.chmod(path, 0o600)
    return path


@pytest.fixture(autouse=True)
def _need_binary():
    if not os.access(DNS01, os.X_OK):
        pytest.skip('dns01 binary not built: %s (set DNS01_BIN)' % DNS01)


BROKEN = """\
[providers.lab]
type = "rfc2136"
zones = ["example.test"]
server = "127.0.0.1:5353"
sever = "127.0.0.1"
ttl = "60"
algorithm = "hmac-sha384"
key_name = "dns01"

[providers.cloud]
type = "nosuchprovider"
zones = ["example.net"]
"""


def test_config_check_rejects_every_provider_table_problem_with_file_and_line(tmp_path):
    cfg = config(tmp_path, BROKEN)
    r = run(['--config', str(cfg), 'config', 'check'], tmp_path)
    assert r.returncode == 3, r.stdout + r.stderr
    err = r.stderr
    assert "%s:12:9: 'sever' in [providers.lab]: unknown key for provider 'rfc2136' " \
           "(did you mean 'server'?)" % cfg in err
    assert "%s:13:7: 'ttl' in [providers.lab] must be an integer (got a string)" % cfg in err
    assert "%s:14:13: 'algorithm' in [providers.lab] must be one of hmac-sha256, hmac-sha512, " \
           "hmac-sha1, hmac-md5, hmac-md5.sig-alg.reg.int (got 'hmac-sha384')" % cfg in err
    assert "%s:15:12: [providers.lab] (type rfc2136): 'key_name' needs secret too" % cfg in err
    assert "%s:17:1: [providers.cloud] type 'nosuchprovider'" % cfg in err
    assert 'config OK' not in r.stdout


def test_issue_refuses_the_same_table_before_any_order(tmp_path):
    cfg = config(tmp_path, BROKEN)
    check = run(['--config', str(cfg), 'config', 'check'], tmp_path)
    issue = run(['--config', str(cfg), 'issue', '-d', 'example.test'], tmp_path)
    assert issue.returncode == check.returncode == 3
    problems = sorted(l for l in check.stderr.splitlines() if str(cfg) in l)
    assert problems and all(p in issue.stderr for p in problems)


def test_choices_match_without_case_and_a_valid_table_passes(tmp_path):
    secret = tmp_path / 'tsig'
    secret.write_text('c2VjcmV0LXRzaWc=\n')
    os.chmod(secret, 0o600)
    cfg = config(tmp_path, """\
[providers.lab]
type = "rfc2136"
zones = ["example.test"]
server = "127.0.0.1:5353"
algorithm = "HMAC-SHA256"
key_name = "dns01"
secret_file = "%s"
""" % secret)
    r = run(['--config', str(cfg), 'config', 'check'], tmp_path)
    assert r.returncode == 0, r.stderr
    assert 'config OK' in r.stdout


def test_ca_bundle_is_a_host_key_every_table_takes(tmp_path):
    bundle = tmp_path / 'proxy-ca.pem'
    bundle.write_text('-----BEGIN CERTIFICATE-----\n')
    table = """\
[providers.lab]
type = "rfc2136"
zones = ["example.test"]
server = "127.0.0.1:5353"
ca_bundle = "%s"
"""
    r = run(['--config', str(config(tmp_path, table % bundle)), 'config', 'check'], tmp_path)
    assert r.returncode == 0, r.stderr
    missing = config(tmp_path, table % (tmp_path / 'nope.pem'))
    r = run(['--config', str(missing), 'config', 'check'], tmp_path)
    assert r.returncode == 3
    assert "%s:12:13: 'ca_bundle' in [providers.lab]: '%s' is not a readable file" % (
        missing, tmp_path / 'nope.pem') in r.stderr
