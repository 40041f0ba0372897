"""End-to-end tests of `dns01 config check|show`, `--version` and `--help`.

No sandbox needed: only the dns01 binary (env DNS01_BIN, else <repo>/build/cli/dns01) and
temporary files. Independent of conftest.py fixtures on purpose.
"""

import json
import re
import os
import stat
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DNS01 = os.environ.get('DNS01_BIN') or os.path.join(REPO, 'build', 'cli', 'dns01')

GOOD = """\
[acme]
server = "https://127.0.0.1:14000/dir"
email = "ops@example.test"

[propagation]
timeout = "90s"
nameservers = ["127.0.0.1:5353"]

[providers.lab]
type = "rfc2136"
zones = ["Example.TEST."]
server = "127.0.0.1:5353"
"""

BAD = """\
[acme]
sever = "letsencrypt"

[propagation]
timeout = [1, 2]
"""


def run(args, cwd, env_extra=None):
    # A clean environment: no DNS01_* variable of the caller leaks into the test.
    env = {k: v for k, v in os.environ.items() if not k.startswith('DNS01_')}
    env['NO_COLOR'] = '1'
    env.update(env_extra or {})
    return subprocess.run([DNS01] + args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=60)


def write(path, text, mode=0o600):
    path.write_text(text)
    os.chmod(path, mode)
    return path


@pytest.fixture(autouse=True)
def _need_binary():
    if not os.access(DNS01, os.X_OK):
        pytest.skip('dns01 binary not built: %s (set DNS01_BIN)' % DNS01)


def test_version(tmp_path):
    r = run(['--version'], tmp_path)
    assert r.returncode == 0
    assert r.stdout.startswith('dns01 ')


def test_help_lists_config(tmp_path):
    r = run(['--help'], tmp_path)
    assert r.returncode == 0
    assert 'config' in r.stdout
    r = run(['config', '--help'], tmp_path)
    assert r.returncode == 0
    assert 'check' in r.stdout and 'show' in r.stdout


def test_config_without_subcommand_is_a_usage_error(tmp_path):
    assert run(['config'], tmp_path).returncode == 2


def test_check_good_file(tmp_path):
    cfg = write(tmp_path / 'dns01.toml', GOOD)
    r = run(['--config', str(cfg), 'config', 'check'], tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == 'config OK: %s' % cfg


def test_check_finds_dns01_toml_in_cwd_and_dns01_config(tmp_path):
    write(tmp_path / 'dns01.toml', GOOD)
    r = run(['config', 'check'], tmp_path)
    assert r.returncode == 0, r.stderr
    assert 'dns01.toml' in r.stdout
    other = tmp_path / 'sub'
    other.mkdir()
    r = run(['config', 'check'], other, {'DNS01_CONFIG': str(tmp_path / 'dns01.toml')})
    assert r.returncode == 0, r.stderr


def test_check_bad_file_reports_every_problem_with_file_and_line(tmp_path):
    cfg = write(tmp_path / 'bad.toml', BAD)
    r = run(['--config', str(cfg), 'config', 'check'], tmp_path)
    assert r.returncode == 3
    assert '%s:2:1: unknown key \'sever\' in [acme] (did you mean \'server\'?)' % cfg in r.stderr
    assert '%s:5:' % cfg in r.stderr
    assert 'must be a duration like "90s" (got an array)' in r.stderr


def test_check_syntax_error_and_missing_file(tmp_path):
    cfg = write(tmp_path / 'syntax.toml', '[acme]\nserver = \n')
    r = run(['--config', str(cfg), 'config', 'check'], tmp_path)
    assert r.returncode == 3
    assert '%s:2:' % cfg in r.stderr
    assert 'TOML syntax error' in r.stderr
    r = run(['--config', str(tmp_path / 'nope.toml'), 'config', 'check'], tmp_path)
    assert r.returncode == 3
    assert 'does not exist' in r.stderr


def test_check_json(tmp_path):
    cfg = write(tmp_path / 'dns01.toml', GOOD)
    r = run(['--json', '--config', str(cfg), 'config', 'check'], tmp_path)
    assert r.returncode == 0
    assert json.loads(r.stdout) == {'ok': True, 'source': str(cfg), 'providers': 1}
    bad = write(tmp_path / 'bad.toml', BAD)
    r = run(['--json', '--config', str(bad), 'config', 'check'], tmp_path)
    assert r.returncode == 3
    out = json.loads(r.stdout)
    assert out['ok'] is False
    assert out['error']['category'] == 'config'
    assert out['error']['exit_code'] == 3


def test_env_override_is_validated_and_shown(tmp_path):
    cfg = write(tmp_path / 'dns01.toml', GOOD)
    r = run(['--config', str(cfg), 'config', 'check'], tmp_path,
            {'DNS01_PROPAGATION_TIMEOUT': 'forever'})
    assert r.returncode == 3
    assert 'DNS01_PROPAGATION_TIMEOUT' in r.stderr
    r = run(['--json', '--config', str(cfg), 'config', 'show'], tmp_path,
            {'DNS01_PROPAGATION_TIMEOUT': '2m'})
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)['config']
    assert shown['propagation']['timeout'] == '2m'
    assert shown['providers']['lab']['zones'] == ['example.test']


def test_show_output_is_a_valid_config(tmp_path):
    # The TOML printed by `config show` reads back as the same effective configuration.
    tomllib = pytest.importorskip('tomllib')
    cfg = write(tmp_path / 'dns01.toml', GOOD)
    r = run(['--config', str(cfg), 'config', 'show'], tmp_path,
            {'DNS01_LOG_LEVEL': 'debug', 'DNS01_PROPAGATION_PORT': '5300'})
    assert r.returncode == 0, r.stderr
    parsed = tomllib.loads(r.stdout)
    assert parsed['log']['level'] == 'debug'
    assert parsed['propagation']['port'] == 5300
    assert parsed['providers']['lab']['server'] == '127.0.0.1:5353'
    shown = write(tmp_path / 'shown.toml', r.stdout)
    r2 = run(['--json', '--config', str(shown), 'config', 'show'], tmp_path)
    assert r2.returncode == 0, r2.stderr
    r1 = run(['--json', '--config', str(cfg), 'config', 'show'], tmp_path,
             {'DNS01_LOG_LEVEL': 'debug', 'DNS01_PROPAGATION_PORT': '5300'})
    assert json.loads(r2.stdout)['config'] == json.loads(r1.stdout)['config']


def test_show_never_prints_a_secret(tmp_path):
    inline = 'inline-tsig-secret-c2VjcmV0'
    from_file = 'file-api-token-0123456789'
    from_env = 'env-eab-key-ZW52LWtleQ'
    token = write(tmp_path / 'token', from_file + '\n')
    eab = write(tmp_path / 'eab', from_env + '\n')
    cfg = write(tmp_path / 'dns01.toml', GOOD + """
tsig_secret = "%s"

[providers.cf]
type = "cloudflare"
zones = ["example.org"]
api_token_file = "%s"
""" % (inline, token))
    env = {'DNS01_ACME_EAB_KID': 'kid-1', 'DNS01_ACME_EAB_HMAC_KEY_FILE': str(eab)}
    for args in (['config', 'show'], ['--json', 'config', 'show'], ['-vv', 'config', 'show']):
        r = run(['--config', str(cfg)] + args, tmp_path, env)
        assert r.returncode == 0, r.stderr
        for secret in (inline, from_file, from_env):
            assert secret not in r.stdout
            assert secret not in r.stderr
        assert '[REDACTED]' in r.stdout


def test_world_readable_secret_file_refused_then_allowed(tmp_path):
    secret = 'loose-secret-value-42'
    loose = write(tmp_path / 'loose', secret + '\n', 0o644)
    cfg = write(tmp_path / 'dns01.toml',
                GOOD + 'key_name = "dns01"\nsecret_file = "%s"\n' % loose)
    r = run(['--config', str(cfg), 'config', 'check'], tmp_path)
    assert r.returncode == 3
    assert 'chmod 600 %s' % loose in r.stderr
    assert 'mode 0644' in r.stderr
    assert secret not in r.stderr
    r = run(['--allow-insecure-secret-files', '--config', str(cfg), 'config', 'check'], tmp_path)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(os.stat(loose).st_mode) == 0o644


EXAMPLE_CONFIGS = sorted(
    os.path.relpath(os.path.join(d, f), REPO)
    for d, _, files in os.walk(os.path.join(REPO, 'examples')) for f in files
    if f.endswith('.toml') and f != 'provider.toml'  # a provider's metadata is no dns01.toml
    # certificate sets (`dns01 apply FILE`): checked by tests/unit/flow/test_certificate_set.cpp
    and '[[certificate]]' not in open(os.path.join(d, f), encoding='utf-8').read())


@pytest.mark.parametrize('example', EXAMPLE_CONFIGS)
def test_example_config_is_valid(tmp_path, example):
    # Every example config must stay valid. Their secret files and CA bundles point at /etc paths
    # that do not exist here: _FILE variables (which win over the file's secret_file) and
    # DNS01_ACME_CA_BUNDLE stand in for them.
    secret = write(tmp_path / 'tsig', 'c2VjcmV0LXRzaWc=\n')
    bundle = write(tmp_path / 'ca.pem', '-----BEGIN CERTIFICATE-----\n')
    text = open(os.path.join(REPO, example)).read()
    # Each `<key>_file = "..."` line of each [providers.<name>] table gets the stand-in secret
    # through DNS01_PROVIDERS_<NAME>_<KEY>_FILE (a secret_file, an api_token_file, ...).
    env = {}
    for name, body in re.findall(r'^\[providers\.(\w+)\]\n(.*?)(?=^\[|\Z)', text, re.M | re.S):
        for key in re.findall(r'^(\w+)_file\s*=', body, re.M):
            env['DNS01_PROVIDERS_%s_%s_FILE' % (name.upper(), key.upper())] = str(secret)
    if re.search(r'^ca_bundle = "', text, re.M):
        env['DNS01_ACME_CA_BUNDLE'] = str(bundle)
    r = run(['--config', os.path.join(REPO, example), 'config', 'check'], tmp_path, env)
    assert r.returncode == 0, r.stderr
