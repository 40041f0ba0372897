"""Every credential source of the route53 provider, end to end through the real loader
(dns01-provider-tool) against the fakes: the table's keys, AWS_* environment, shared credentials
and config files with profiles, web identity (STS AssumeRoleWithWebIdentity, token file re-read),
container credentials, EC2 IMDSv2, role_arn, and AWS_ENDPOINT_URL_ROUTE_53. Each case adds one
value and checks BIND serves it and the fake saw the source's requests."""

import json
import os
import subprocess

import pytest

from apifake import BindBackend
from fake_route53 import MetadataServer, Route53Fake
from issue_support import describe, render_toml
from route53_harness import AKID, AWS_ENV, SECRET, write_secret

TOOL = os.path.join('tests', 'provider', 'dns01-provider-tool')


@pytest.fixture
def fake(sandbox, tmp_path):
    f = Route53Fake(BindBackend.from_sandbox(sandbox), str(tmp_path / 'fake'))
    f.add_zone('example.test')
    f.add_key(AKID, SECRET)
    f.start()
    yield f
    f.stop()
    f.assert_no_errors()


@pytest.fixture
def run(fake, build_dir, tmp_path):
    """run(table_extra, env, name) -> adds and removes a value, returns the tool's stderr."""
    tool = os.path.join(build_dir, TOOL)
    if not os.path.exists(tool):
        pytest.fail('%s is not built' % tool)

    def go(extra, env, label):
        table = {'type': 'route53', 'zones': ['example.test'], 'ca_bundle': fake.ca_pem,
                 'sts_endpoint': fake.url}
        table.setdefault('endpoint', fake.url)
        table.update(extra)
        if table['endpoint'] is None:
            del table['endpoint']
        config = tmp_path / ('%s.toml' % label)
        config.write_text(render_toml({'providers.r53': table}))
        os.chmod(config, 0o600)
        environ = {k: v for k, v in os.environ.items() if k not in AWS_ENV
                   and not k.startswith('DNS01_PROVIDERS_')}
        environ.setdefault('DNS01_PROVIDER_PATH', os.path.join(build_dir, 'providers'))
        environ.update({'HOME': str(tmp_path), 'AWS_EC2_METADATA_DISABLED': 'true'})
        environ.update(env)
        environ = {k: v for k, v in environ.items() if v is not None}
        name = '_acme-challenge.%s.example.test' % label
        for action in ('add', 'remove'):
            proc = subprocess.run([tool, '--config', str(config), '--provider', 'r53', '--json',
                                   '-v', action, name, 'value-' + label], env=environ,
                                  capture_output=True, text=True, timeout=120)
            assert proc.returncode == 0, describe(proc)
            assert json.loads(proc.stdout)['ok'] is True
            fake.backend.wait_applied()
            expect = ['value-' + label] if action == 'add' else []
            assert fake.backend.txt_values(name) == expect
            assert SECRET not in proc.stderr and SECRET not in proc.stdout
        return proc.stderr
    return go


def secret_file(tmp_path):
    return write_secret(str(tmp_path / 'secret'), SECRET)


def test_the_tables_keys(run, tmp_path):
    err = run({'access_key_id': AKID, 'secret_access_key_file': secret_file(tmp_path)}, {},
              'table')
    assert 'AWS credentials from the settings' in err


def test_the_environment(run):
    err = run({}, {'AWS_ACCESS_KEY_ID': AKID, 'AWS_SECRET_ACCESS_KEY': SECRET}, 'env')
    assert 'AWS credentials from the environment' in err


def test_session_token_from_the_environment(run, fake):
    akid, secret, token, _ = fake.issue_temporary()
    err = run({}, {'AWS_ACCESS_KEY_ID': akid, 'AWS_SECRET_ACCESS_KEY': secret,
                   'AWS_SESSION_TOKEN': token}, 'envtoken')
    assert token not in err


def test_shared_credentials_and_config_profiles(run, tmp_path):
    creds = tmp_path / 'credentials'
    creds.write_text('[default]\naws_access_key_id = AKIAWRONG\naws_secret_access_key = x\n'
                     '[dns]\naws_access_key_id = %s\naws_secret_access_key = %s\n' % (AKID, SECRET))
    err = run({}, {'AWS_SHARED_CREDENTIALS_FILE': str(creds), 'AWS_PROFILE': 'dns'}, 'profile')
    assert "profile 'dns'" in err
    config = tmp_path / 'config'
    config.write_text('[profile ops]\naws_access_key_id = %s\naws_secret_access_key = %s\n'
                      % (AKID, SECRET))
    err = run({'profile': 'ops'}, {'AWS_CONFIG_FILE': str(config)}, 'config')
    assert "profile 'ops' of %s" % config in err


def test_web_identity(run, fake, tmp_path):
    role = 'arn:aws:iam::123456789012:role/github-dns'
    fake.web_tokens['eyJ.github.oidc'] = role
    token = tmp_path / 'oidc-token'
    token.write_text('eyJ.github.oidc\n')
    err = run({}, {'AWS_ROLE_ARN': role, 'AWS_WEB_IDENTITY_TOKEN_FILE': str(token)}, 'oidc')
    assert 'web identity' in err and 'eyJ.github.oidc' not in err
    sts = fake.requests_matching('POST', '/')
    assert len(sts) == 2  # one per process (add, remove): the token file is read each time
    assert all('Authorization' not in r.headers for r in sts)


def test_container_credentials(run, fake):
    meta = MetadataServer(fake).start()
    try:
        err = run({}, {'AWS_CONTAINER_CREDENTIALS_FULL_URI': meta.url + '/container/creds',
                       'AWS_CONTAINER_AUTHORIZATION_TOKEN': meta.container_token}, 'container')
        assert 'container credentials' in err
        assert ('GET', '/container/creds') in meta.requests
    finally:
        meta.stop()


def test_ec2_instance_metadata_v2(run, fake):
    meta = MetadataServer(fake).start()
    try:
        err = run({}, {'AWS_EC2_METADATA_DISABLED': None,
                       'AWS_EC2_METADATA_SERVICE_ENDPOINT': meta.url}, 'imds')
        assert 'EC2 instance metadata (role %s)' % meta.role in err
        assert meta.requests[0] == ('PUT', '/latest/api/token')
    finally:
        meta.stop()


def test_role_arn_is_assumed(run, fake, tmp_path):
    err = run({'access_key_id': AKID, 'secret_access_key_file': secret_file(tmp_path),
               'role_arn': 'arn:aws:iam::123456789012:role/dns'}, {}, 'role')
    assert 'role arn:aws:iam::123456789012:role/dns assumed' in err
    # the Route 53 calls were signed with the role's temporary key, not the base key
    r53 = [r for r in fake.requests_matching('POST', '/2013-04-01/hostedzone/{z}/rrset/')]
    assert r53 and all(AKID not in r.headers['Authorization'] for r in r53)


def test_endpoint_from_aws_endpoint_url_route_53(run, fake):
    err = run({'endpoint': None}, {'AWS_ENDPOINT_URL_ROUTE_53': fake.url,
                                   'AWS_ACCESS_KEY_ID': AKID, 'AWS_SECRET_ACCESS_KEY': SECRET},
              'endpointenv')
    assert fake.count('GET', '/2013-04-01/hostedzonesbyname') >= 1
