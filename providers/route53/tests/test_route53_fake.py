"""The Route 53 fake driven by the vendor's own client: awscli (Debian's /usr/bin/aws with
--endpoint-url) for every Route 53 call dns01 makes, STS web identity, and IMDSv2 credentials
(AWS_EC2_METADATA_SERVICE_ENDPOINT). If awscli and the fake disagree, the fake is wrong."""

import json
import os
import subprocess

import pytest

from apifake import BindBackend
from fake_route53 import MetadataServer, Route53Fake

AWS = '/usr/bin/aws'
AKID, SECRET = 'AKIAFAKEEXAMPLE00001', 'fakeSecretKey/For+Tests0000000000000000'


@pytest.fixture
def fake(sandbox, tmp_path):
    if not os.path.exists(AWS):
        pytest.fail('awscli is not installed (apt-get install awscli)')
    f = Route53Fake(BindBackend.from_sandbox(sandbox), str(tmp_path / 'fake'))
    f.public = f.add_zone('example.test')
    f.private = f.add_zone('example.test', private=True)
    f.add_key(AKID, SECRET)
    f.start()
    yield f
    f.stop()
    f.assert_no_errors()


def aws(fake, *args, env=None, check=True):
    environ = {'PATH': '/usr/bin:/bin', 'HOME': fake.workdir, 'AWS_ACCESS_KEY_ID': AKID,
               'AWS_SECRET_ACCESS_KEY': SECRET, 'AWS_DEFAULT_REGION': 'us-east-1',
               'AWS_EC2_METADATA_DISABLED': 'true', 'AWS_PAGER': ''}
    environ.update(fake.client_env())
    environ.update(env or {})
    environ = {k: v for k, v in environ.items() if v is not None}
    proc = subprocess.run([AWS, '--endpoint-url', fake.url, '--output', 'json'] + list(args),
                          env=environ, capture_output=True, text=True, timeout=60)
    if check:
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout) if proc.stdout.strip() else None
    return proc


def batch(*changes):
    return json.dumps({'Changes': [{'Action': a, 'ResourceRecordSet': {
        'Name': n, 'Type': 'TXT', 'TTL': ttl, 'ResourceRecords': [{'Value': v} for v in vals]}}
        for a, n, ttl, vals in changes]})


def test_awscli_drives_every_call_dns01_makes(fake, sandbox):
    name = '_acme-challenge.cli.example.test'
    zones = aws(fake, 'route53', 'list-hosted-zones-by-name', '--dns-name', 'example.test')
    assert sorted(z['Config']['PrivateZone'] for z in zones['HostedZones']) == [False, True]
    # the listing starts at the name: a later name still lists the zones after it (none here)
    later = aws(fake, 'route53', 'list-hosted-zones-by-name', '--dns-name', 'zzz.test')
    assert later['HostedZones'] == []
    change = aws(fake, 'route53', 'change-resource-record-sets', '--hosted-zone-id', fake.public,
                 '--change-batch', batch(('CREATE', name, 60, ['"one"', '"two"'])))
    assert change['ChangeInfo']['Status'] == 'PENDING'
    cid = change['ChangeInfo']['Id'].split('/')[-1]
    assert aws(fake, 'route53', 'get-change', '--id', cid)['ChangeInfo']['Status'] == 'INSYNC'
    fake.backend.wait_applied()
    assert sorted(fake.backend.txt_values(name)) == ['one', 'two']
    sets = aws(fake, 'route53', 'list-resource-record-sets', '--hosted-zone-id', fake.public,
               '--start-record-name', name, '--start-record-type', 'TXT', '--max-items', '1')
    assert sets['ResourceRecordSets'][0]['ResourceRecords'] == [{'Value': '"one"'},
                                                                {'Value': '"two"'}]
    # DELETE must match exactly; the batch is atomic (the CREATE beside it is not applied)
    bad = aws(fake, 'route53', 'change-resource-record-sets', '--hosted-zone-id', fake.public,
              '--change-batch', batch(('CREATE', '_acme-challenge.x.example.test', 60, ['"x"']),
                                      ('DELETE', name, 60, ['"one"'])), check=False)
    # botocore reads no Code from the InvalidChangeBatch shape (cloud-apis.md §0.6): check the
    # status the fake sent and that nothing of the batch was applied
    assert bad.returncode == 254, bad.stderr
    assert fake.requests_matching('POST')[-1].status == 400
    assert fake.backend.txt_values('_acme-challenge.x.example.test') == []
    bad = aws(fake, 'route53', 'change-resource-record-sets', '--hosted-zone-id', fake.public,
              '--change-batch', batch(('UPSERT', name, 60, ['unquoted'])), check=False)
    assert bad.returncode == 254 and fake.requests_matching('POST')[-1].status == 400
    aws(fake, 'route53', 'change-resource-record-sets', '--hosted-zone-id', fake.public,
        '--change-batch', batch(('UPSERT', name, 60, ['"three"'])))
    fake.backend.wait_applied()
    assert fake.backend.txt_values(name) == ['three']
    aws(fake, 'route53', 'change-resource-record-sets', '--hosted-zone-id', fake.public,
        '--change-batch', batch(('DELETE', name, 60, ['"three"'])))
    fake.backend.wait_applied()
    assert fake.backend.txt_values(name) == []


def test_wrong_keys_and_throttling_as_awscli_sees_them(fake):
    proc = aws(fake, 'route53', 'get-change', '--id', 'C1', check=False,
               env={'AWS_SECRET_ACCESS_KEY': 'wrong'})
    assert 'SignatureDoesNotMatch' in proc.stderr
    fault = fake.throttle('GET', '/2013-04-01/hostedzonesbyname', count=1)
    aws(fake, 'route53', 'list-hosted-zones-by-name')  # botocore retries Throttling itself
    assert fault.hits == 1


def test_web_identity_through_sts(fake):
    role = 'arn:aws:iam::123456789012:role/ci'
    fake.web_tokens['eyJ.ci.token'] = role
    # unsigned, as botocore sends it (awscli 2.9 does not honour AWS_ENDPOINT_URL_STS, so its
    # own web identity chain cannot be pointed at the fake; --endpoint-url can)
    env = {'AWS_ACCESS_KEY_ID': None, 'AWS_SECRET_ACCESS_KEY': None}
    creds = aws(fake, 'sts', 'assume-role-with-web-identity', '--role-arn', role,
                '--role-session-name', 'ci-job', '--web-identity-token', 'eyJ.ci.token', env=env)
    assert creds['Credentials']['AccessKeyId'].startswith('ASIA')
    assert 'Authorization' not in fake.requests_matching('POST', '/')[-1].headers
    # the temporary key signs Route 53 calls
    c = creds['Credentials']
    zones = aws(fake, 'route53', 'list-hosted-zones-by-name',
                env={'AWS_ACCESS_KEY_ID': c['AccessKeyId'], 'AWS_SECRET_ACCESS_KEY':
                     c['SecretAccessKey'], 'AWS_SESSION_TOKEN': c['SessionToken']})
    assert len(zones['HostedZones']) == 2
    # a token the identity provider did not issue, and a role it may not assume
    bad = aws(fake, 'sts', 'assume-role-with-web-identity', '--role-arn', role,
              '--role-session-name', 'ci-job', '--web-identity-token', 'forged', env=env,
              check=False)
    assert 'InvalidIdentityToken' in bad.stderr


def test_imdsv2_credentials(fake):
    meta = MetadataServer(fake).start()
    try:
        zones = aws(fake, 'route53', 'list-hosted-zones-by-name',
                    env={'AWS_ACCESS_KEY_ID': None, 'AWS_SECRET_ACCESS_KEY': None,
                         'AWS_EC2_METADATA_DISABLED': None,
                         'AWS_EC2_METADATA_SERVICE_ENDPOINT': meta.url + '/'})
        assert len(zones['HostedZones']) == 2
        assert ('PUT', '/latest/api/token') in meta.requests
    finally:
        meta.stop()
