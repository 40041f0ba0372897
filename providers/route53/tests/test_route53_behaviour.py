"""route53 behaviours beyond the conformance suite, through the real loader against the fake: a
concurrent writer between read and write (the batch is refused, re-read and retried), the hosted
zone lookup (the listing starts at the name; private zones only with private_zone = true, or a
hosted_zone_id pin), Throttling and PriorRequestNotComplete waited out, and AccessDenied."""

import json
import os
import subprocess

import pytest

from apifake import BindBackend
from fake_route53 import Route53Fake
from issue_support import describe, render_toml
from route53_harness import AKID, AWS_ENV, SECRET, write_secret

TOOL = os.path.join('tests', 'provider', 'dns01-provider-tool')


@pytest.fixture
def fake(sandbox, tmp_path):
    f = Route53Fake(BindBackend.from_sandbox(sandbox), str(tmp_path / 'fake'))
    f.public = f.add_zone('example.test')
    f.private = f.add_zone('example.test', private=True)
    f.later = f.add_zone('zzz.example.test')  # listed first for deep.example.test: not its zone
    f.add_key(AKID, SECRET)
    f.start()
    yield f
    f.stop()
    f.assert_no_errors()


@pytest.fixture
def tool(fake, build_dir, tmp_path):
    path = os.path.join(build_dir, TOOL)
    secret = write_secret(str(tmp_path / 'secret'), SECRET)

    def run(*args, **extra):
        table = {'type': 'route53', 'zones': ['example.test'], 'ca_bundle': fake.ca_pem,
                 'endpoint': fake.url, 'access_key_id': AKID, 'secret_access_key_file': secret}
        table.update(extra)
        config = tmp_path / 'r53.toml'
        config.write_text(render_toml({'providers.r53': table}))
        os.chmod(config, 0o600)
        env = {k: v for k, v in os.environ.items() if k not in AWS_ENV}
        env.setdefault('DNS01_PROVIDER_PATH', os.path.join(build_dir, 'providers'))
        env['AWS_EC2_METADATA_DISABLED'] = 'true'
        proc = subprocess.run([path, '--config', str(config), '--provider', 'r53', '--json', '-v']
                              + list(args), env=env, capture_output=True, text=True, timeout=120)
        try:
            return proc, json.loads(proc.stdout)
        except ValueError:
            return proc, None
    return run


def served(fake, name):
    fake.backend.wait_applied()
    return sorted(fake.backend.txt_values(name))


def test_a_concurrent_writer_is_kept(fake, tool):
    name = '_acme-challenge.race.example.test'

    def other_writer(f):  # e.g. a certbot hook UPSERTing its value after dns01 read the set
        f.rrsets[(f.public, name + '.')] = (60, ['"theirs"'])
        f.backend.replace_txt(name, ['theirs'], ttl=60)
    fake.before_change.append(other_writer)
    proc, _ = tool('add', name, 'mine')
    assert proc.returncode == 0, describe(proc)
    assert 'reading again' in proc.stderr
    assert served(fake, name) == ['mine', 'theirs']
    assert [s for s in fake.requests_matching('POST') if s.status == 400], 'no refused batch'
    proc, _ = tool('remove', name, 'mine')
    assert proc.returncode == 0, describe(proc)
    assert served(fake, name) == ['theirs']


def test_the_zone_lookup_compares_names_and_prefers_public(fake, tool):
    name = '_acme-challenge.deep.example.test'
    proc, _ = tool('add', name, 'public')
    assert proc.returncode == 0, describe(proc)
    assert served(fake, name) == ['public']
    assert (fake.public, name + '.') in fake.rrsets
    tool('remove', name, 'public')
    proc, _ = tool('add', name, 'private', private_zone=True)
    assert proc.returncode == 0, describe(proc)
    assert (fake.private, name + '.') in fake.rrsets
    assert served(fake, name) == []  # a private zone is not what BIND (the public DNS) serves
    # a pinned zone needs no lookup
    before = fake.count('GET', '/2013-04-01/hostedzonesbyname')
    proc, _ = tool('add', '_acme-challenge.pin.example.test', 'pinned',
                   hosted_zone_id=fake.public)
    assert proc.returncode == 0, describe(proc)
    assert fake.count('GET', '/2013-04-01/hostedzonesbyname') == before
    assert served(fake, '_acme-challenge.pin.example.test') == ['pinned']


def test_throttling_and_prior_request_are_waited_out(fake, tool):
    name = '_acme-challenge.slow.example.test'
    throttled = fake.throttle('GET', '/2013-04-01/hostedzone/{z}/rrset', count=2)
    prior = fake.throttle('POST', '/2013-04-01/hostedzone/{z}/rrset/', count=1,
                          code='PriorRequestNotComplete')
    proc, _ = tool('add', name, 'patient')
    assert proc.returncode == 0, describe(proc)
    assert throttled.hits == 2 and prior.hits == 1
    assert served(fake, name) == ['patient']


def test_access_denied_names_the_iam_action(fake, tool):
    fake.inject('POST', '/2013-04-01/hostedzone/{z}/rrset/', status=403, count=1,
                headers={'Content-Type': 'text/xml'},
                body=b'<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>'
                     b'<Message>User: arn:aws:iam::1:user/dns is not authorized</Message></Error>'
                     b'</ErrorResponse>')
    proc, result = tool('add', '_acme-challenge.denied.example.test', 'v')
    assert proc.returncode == 6, describe(proc)
    assert 'route53:ChangeResourceRecordSets' in result['error']['message']
    assert SECRET not in proc.stderr + proc.stdout
