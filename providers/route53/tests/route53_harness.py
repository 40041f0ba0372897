"""The conformance harness for route53 (tests/provider/conformance.py), shared by the
conformance, credential and issue tests of this folder: a Route53Fake with a public and a
private example.test, a public other.test and internal.test, one long-term key given by file."""

import os

from conformance import FakeHarness
from fake_route53 import Route53Fake

AKID = 'AKIAROUTE53TESTKEY01'
SECRET = 'route53/Test+Secret/0123456789abcdefghij'
# Everything the AWS chain reads: none may leak in from the test runner.
AWS_ENV = ('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN',
           'AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE',
           'AWS_ROLE_SESSION_NAME', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
           'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_AUTHORIZATION_TOKEN',
           'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE', 'AWS_SHARED_CREDENTIALS_FILE',
           'AWS_CONFIG_FILE', 'AWS_EC2_METADATA_DISABLED', 'AWS_EC2_METADATA_SERVICE_ENDPOINT',
           'AWS_ENDPOINT_URL_ROUTE_53', 'AWS_ENDPOINT_URL_STS', 'AWS_CREDENTIAL_EXPIRATION')


def write_secret(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write(text + '\n')
    return path


class Route53Harness(FakeHarness):
    code = 'route53'
    zone = 'example.test'
    credential_keys = ('access_key_id', 'secret_access_key')
    credential_env = AWS_ENV
    max_batch = None  # the provider splits above 100 changes itself: one batch per zone here
    capabilities = frozenset({'rate_limit', 'hold_reply'})
    insync_after = 0.0

    def make_fake(self, backend, workdir):
        self.workdir = workdir
        fake = Route53Fake(backend, os.path.join(workdir, 'fake'), insync_after=self.insync_after)
        fake.add_zone('example.test')
        fake.add_zone('example.test', private=True)  # same name: the public one must be used
        fake.add_zone('other.test')
        fake.add_zone('internal.test')
        fake.add_key(AKID, SECRET)
        return fake

    def table(self, fake):
        return {'access_key_id': AKID,
                'secret_access_key_file': write_secret(os.path.join(self.workdir, 'aws.secret'),
                                                       SECRET),
                'endpoint': fake.url, 'sts_endpoint': fake.url}

    def env(self):
        # no ~/.aws of the runner, and never a probe of 169.254.169.254
        missing = os.path.join(self.workdir, 'no-such-file')
        return {'AWS_EC2_METADATA_DISABLED': 'true', 'AWS_SHARED_CREDENTIALS_FILE': missing,
                'AWS_CONFIG_FILE': missing}

    def add_unrelated(self, name, value):
        self._set(name, lambda values: values + ['"%s"' % value])

    def remove_unrelated(self, name, value):
        self._set(name, lambda values: [v for v in values if v != '"%s"' % value])

    def _set(self, name, edit):
        """What a user's own `aws route53 change-resource-record-sets` UPSERT would do."""
        fake = self.fake
        fqdn = name.rstrip('.') + '.'
        with fake.lock:
            zid = [z['id'] for z in fake.zones if not z['private']
                   and fqdn.endswith('.' + z['name'])][0]
            ttl, values = fake.rrsets.get((zid, fqdn), (300, []))
            values = edit(list(values))
            if values:
                fake.rrsets[(zid, fqdn)] = (ttl, values)
            else:
                fake.rrsets.pop((zid, fqdn), None)
            fake.backend.replace_txt(name, [v.strip('"') for v in values], ttl=ttl)

    def inject_rate_limit(self):
        return self.fake.throttle('POST', '/2013-04-01/hostedzone/{zone}/rrset/', count=1)

    def hold_reply(self):
        return self.fake.inject('GET', '/2013-04-01/change/{change}', hang=True, status=500,
                                count=1)

    def max_batch_seen(self):
        return max((n for _, n in self.fake.batches), default=0)
