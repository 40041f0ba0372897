"""The provider conformance suite (tests/provider/conformance.py) for cloudflare, against the
Cloudflare fake (fake_cloudflare.py) whose records land in the sandbox's BIND: single operations
through dns01-provider-tool, and `dns01 issue -d example.test -d '*.example.test'` to pebble."""

import pytest

from conformance import FakeHarness, ProviderConformance
from fake_cloudflare import BASE, CloudflareFake

TOKEN = 'conformance-token-0123456789'
# lego's variables (provider.toml `env` aliases): none may leak in from the runner
LEGO_ENV = ('CLOUDFLARE_DNS_API_TOKEN', 'CF_DNS_API_TOKEN', 'CLOUDFLARE_ZONE_API_TOKEN',
            'CF_ZONE_API_TOKEN', 'CLOUDFLARE_EMAIL', 'CF_API_EMAIL', 'CLOUDFLARE_API_KEY',
            'CF_API_KEY', 'CLOUDFLARE_BASE_URL')


class CloudflareHarness(FakeHarness):
    code = 'cloudflare'
    zone = 'example.test'
    credential_keys = ('api_token', 'api_key', 'credentials')
    credential_env = LEGO_ENV + tuple(v + '_FILE' for v in LEGO_ENV)
    max_batch = 200  # Hints::max_batch: the batch endpoint's limit (free plan)
    capabilities = frozenset({'rate_limit', 'hold_reply'})

    def make_fake(self, backend, workdir):
        return CloudflareFake(backend, zones=list(self.sb.zones), token=TOKEN, workdir=workdir)

    def table(self, fake):
        return {'api_token': TOKEN, 'endpoint': fake.api_url}

    def add_unrelated(self, name, value):
        self.fake.create_record(self.fake.dns.zone_of(name), name, '"%s"' % value)

    def remove_unrelated(self, name, value):
        with self.fake.lock:
            for record in self.fake.records_at(name):
                if record['content'] == '"%s"' % value:
                    self.fake._apply_delete(self.fake.records[record['id']])

    def inject_rate_limit(self):
        return self.fake.rate_limit('POST', BASE + '/zones/{zone_id}/{path*}', count=1)

    def hold_reply(self):
        # issue presents apex + wildcard in one batch: hold it; released, it answers 503 and
        # changes nothing
        return self.fake.inject('POST', BASE + '/zones/{zone_id}/dns_records/batch', hang=True,
                                status=503, body={'success': False, 'result': None,
                                                  'messages': [], 'errors': [
                                                      {'code': 10001, 'message': 'held'}]})

    def max_batch_seen(self):
        return self.fake.max_batch_seen


class TestCloudflareConformance(ProviderConformance):
    harness_class = CloudflareHarness
