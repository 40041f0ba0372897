"""The azure provider through the real loader against the Azure fake (fake_azure.py, on the
sandbox's BIND): the shared conformance suite (tests/provider/conformance.py), then what is
Azure's own — every sign-in (client secret, federated token file, IMDS, App Service, a certbot
azure.ini), a Private DNS zone issued end to end, and two writers at one name (the 412 path).
"""

import os
import re
import subprocess

from conformance import FakeHarness, ProviderConformance
from issue_support import assert_clean, describe, render_toml

from fake_azure import AzureFake

TENANT = '72f988bf-0000-4000-8000-000000000047'
APP = '11111111-2222-4333-8444-555555555555'
SECRET = 'fake-client-secret-value~1'
FEDERATED_JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmV4YW1wbGUifQ.c2ln'
USER_IDENTITY = '99999999-8888-4777-8666-555555555555'
AZURE_ENV = ('AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET',
             'AZURE_CLIENT_SECRET_FILE', 'AZURE_FEDERATED_TOKEN_FILE', 'AZURE_AUTHORITY_HOST',
             'AZURE_SUBSCRIPTION_ID', 'IDENTITY_ENDPOINT', 'IDENTITY_HEADER',
             'AZURE_POD_IDENTITY_AUTHORITY_HOST', 'MSI_ENDPOINT')


def write_private(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w', encoding='utf-8') as f:
        f.write(text)
    return path


class AzureHarness(FakeHarness):
    code = 'azure'
    zone = 'example.test'
    credential_keys = ('client_secret', 'tenant_id', 'client_id')
    credential_env = AZURE_ENV
    capabilities = frozenset({'rate_limit', 'hold_reply'})

    def make_fake(self, backend, workdir):
        self.workdir = workdir
        self.extra_env = {}
        fake = AzureFake(backend, workdir=os.path.join(workdir, 'fake'))
        fake.add_zone('example.test', 'rg-dns')
        fake.add_zone('other.test', 'rg-other')
        fake.add_zone('internal.test', 'rg-net', private=True)
        fake.add_client(TENANT, APP, secret=SECRET, assertion=FEDERATED_JWT)
        fake.add_managed_identity(system=True)
        fake.add_managed_identity(USER_IDENTITY)
        return fake

    def table(self, fake):
        return {'subscription_id': fake.subscription, 'tenant_id': TENANT, 'client_id': APP,
                'client_secret_file': write_private(os.path.join(self.workdir, 'secret'),
                                                    SECRET + '\n'),
                'authority_host': fake.authority_host, 'arm_endpoint': fake.arm_endpoint}

    def env(self):
        return dict(self.extra_env)

    def _where(self, name):
        zone = self.backend.zone_of(name)
        name = name.rstrip('.').lower()
        return zone, '@' if name == zone else name[:-len(zone) - 1]

    def add_unrelated(self, name, value):
        zone, relative = self._where(name)
        self.fake.user_value(zone, relative, value)

    def remove_unrelated(self, name, value):
        zone, relative = self._where(name)
        self.fake.user_value(zone, relative, value, present=False)

    def inject_rate_limit(self):
        return self.fake.throttle('PUT', count=1)

    def hold_reply(self):
        # the challenge set's write during `issue`; answered 503 after release: nothing changes
        return self.fake.inject('PUT', '/subscriptions/{s}/resourceGroups/{rg}/providers/'
                                'Microsoft.Network/{t}/{zone}/TXT/{name}', hang=True, status=503,
                                body={'error': {'code': 'InternalServerError', 'message': 'held'}})


class TestAzureConformance(ProviderConformance):
    harness_class = AzureHarness

    # --- every sign-in, through the loader ----------------------------------------------------

    def _round_trip(self, harness, tool, label, table):
        name = self.name(harness, label)
        self.ok(tool('add', name, 'v-' + label, table=table))
        assert self.served(harness, name) == ['v-' + label]
        self.ok(tool('remove', name, 'v-' + label, table=table))
        assert self.served(harness, name) == []

    def test_sign_in_with_a_federated_token_file_from_the_environment(self, harness, tool):
        token_file = os.path.join(harness.workdir, 'azure-identity-token')
        with open(token_file, 'w', encoding='ascii') as f:  # 0644 as projected by the kubelet
            f.write(FEDERATED_JWT + '\n')
        harness.extra_env = {'AZURE_FEDERATED_TOKEN_FILE': token_file, 'AZURE_TENANT_ID': TENANT,
                             'AZURE_CLIENT_ID': APP, 'AZURE_AUTHORITY_HOST': harness.fake.url,
                             'AZURE_SUBSCRIPTION_ID': harness.fake.subscription}
        table = {'type': 'azure', 'zones': [harness.zone], 'ca_bundle': harness.fake.ca_pem,
                 'arm_endpoint': harness.fake.arm_endpoint}
        self._round_trip(harness, tool, 'federated', table)
        kinds = {t['kind'] for t in harness.fake.tokens_issued()}
        assert kinds == {'federated'}, kinds
        # a token file that no federated credential matches: auth failure, exit 6, AADSTS code
        with open(token_file, 'w', encoding='ascii') as f:
            f.write('eyJ.other.jwt')
        proc, result = tool('add', self.name(harness, 'federated2'), 'x', table=table)
        assert proc.returncode == 6, describe(proc)
        assert 'AADSTS700213' in result['error']['message']
        assert 'eyJ.other.jwt' not in proc.stderr + proc.stdout

    def test_sign_in_with_imds_system_and_user_assigned(self, harness, tool):
        harness.extra_env = {'AZURE_POD_IDENTITY_AUTHORITY_HOST': harness.fake.imds_host}
        table = dict(harness.without_credentials(harness.table), managed_identity=True)
        self._round_trip(harness, tool, 'imds', table)
        self._round_trip(harness, tool, 'imds-user', dict(table, client_id=USER_IDENTITY))
        principals = [t['principal'] for t in harness.fake.tokens_issued('imds')]
        assert set(principals) == {'system-assigned', USER_IDENTITY}, principals
        for request in harness.fake.requests_matching('GET', '/metadata/identity/oauth2/token'):
            assert request.headers.get('Metadata') == 'true'

    def test_sign_in_with_the_app_service_identity_endpoint(self, harness, tool):
        harness.extra_env = {'IDENTITY_ENDPOINT': harness.fake.identity_endpoint,
                             'IDENTITY_HEADER': harness.fake.identity_header}
        table = dict(harness.without_credentials(harness.table), managed_identity=True)
        self._round_trip(harness, tool, 'appservice', table)
        assert {t['kind'] for t in harness.fake.tokens_issued()} == {'app_service'}
        proc, _ = tool('remove', self.name(harness, 'appservice'), 'x', table=table,
                       verbose=True)
        assert proc.returncode == 0, describe(proc)
        assert harness.fake.identity_header not in proc.stderr

    def test_sign_in_with_a_certbot_credentials_file(self, harness, tool):
        ini = write_private(os.path.join(harness.workdir, 'azure.ini'), '\n'.join([
            '# certbot-dns-azure',
            'dns_azure_sp_client_id = ' + APP,
            'dns_azure_sp_client_secret = ' + SECRET,
            'dns_azure_tenant_id = ' + TENANT,
            'dns_azure_environment = "AzurePublicCloud"',
            'dns_azure_zone1 = example.test:/subscriptions/%s/resourceGroups/rg-dns'
            % harness.fake.subscription, '']))
        table = {'type': 'azure', 'zones': [harness.zone], 'ca_bundle': harness.fake.ca_pem,
                 'credentials': ini, 'authority_host': harness.fake.authority_host,
                 'arm_endpoint': harness.fake.arm_endpoint}
        self._round_trip(harness, tool, 'certbot', table)
        # the zone line pins the zone: no listing of the subscription
        assert harness.fake.zone_pages_served == 0

    def test_a_role_missing_names_dns_zone_contributor(self, harness, tool):
        harness.fake.deny(APP)
        proc, result = tool('add', self.name(harness, 'denied'), 'x')
        assert proc.returncode == 6, describe(proc)
        assert 'AuthorizationFailed' in result['error']['message']
        assert "'DNS Zone Contributor'" in result['error']['hint']
        assert SECRET not in proc.stderr + proc.stdout

    # --- zones --------------------------------------------------------------------------------

    def test_zone_lookup_follows_next_link_and_takes_the_longest(self, harness, tool):
        harness.fake.page_size = 1
        # an Azure zone below example.test (BIND keeps serving it inside example.test)
        harness.fake.add_zone('paged.example.test', 'rg-sub')
        self._round_trip(harness, tool, 'paged', harness.table)
        assert harness.fake.zone_pages_served >= 3  # three public zones, one per page
        put = harness.fake.requests_matching('PUT')[-1]
        assert put.path.endswith('/resourceGroups/rg-sub/providers/Microsoft.Network/dnsZones/'
                                 'paged.example.test/TXT/_acme-challenge'), put.path

    def test_issue_in_a_private_zone(self, harness, csb, tmp_path, dns01_bin, build_dir):
        harness.table = dict(harness.table, zones=['internal.test'], zone_type='private',
                             resource_group='rg-net')
        env = self._issue_env(harness, csb, tmp_path, dns01_bin, build_dir)
        proc, _ = env.issue(['internal.test', '*.internal.test'], timeout=240)
        assert proc.returncode == 0, describe(proc)
        assert os.path.exists(env.live('internal.test')), describe(proc)
        puts = harness.fake.requests_matching('PUT')
        assert puts and all('/privateDnsZones/internal.test/TXT/_acme-challenge' in r.path
                            and r.arg('api-version') == '2020-06-01' for r in puts)
        # apex and wildcard share the set: both values went in one PUT
        assert len(puts[0].json()['properties']['txtRecords']) == 2
        harness.settle()
        assert_clean(csb, ['_acme-challenge.internal.test'], env)

    def test_issue_with_a_certbot_ini(self, harness, csb, tmp_path, dns01_bin, build_dir):
        ini = write_private(os.path.join(harness.workdir, 'azure.ini'), '\n'.join([
            'dns_azure_sp_client_id = ' + APP, 'dns_azure_sp_client_secret = ' + SECRET,
            'dns_azure_tenant_id = ' + TENANT,
            'dns_azure_zone1 = other.test:/subscriptions/%s/resourceGroups/rg-other'
            % harness.fake.subscription, '']))
        harness.table = {'type': 'azure', 'zones': ['other.test'], 'credentials': ini,
                         'ca_bundle': harness.fake.ca_pem,
                         'authority_host': harness.fake.authority_host,
                         'arm_endpoint': harness.fake.arm_endpoint}
        env = self._issue_env(harness, csb, tmp_path, dns01_bin, build_dir)
        proc, _ = env.issue(['other.test', '*.other.test'], timeout=240)
        assert proc.returncode == 0, describe(proc)
        assert os.path.exists(env.live('other.test')), describe(proc)
        harness.settle()
        assert_clean(csb, ['_acme-challenge.other.test'], env)

    # --- two writers at one name --------------------------------------------------------------

    def test_two_writers_at_one_name_both_values_survive(self, harness, tool, build_dir,
                                                         tmp_path):
        name = self.name(harness, 'race')
        held = harness.fake.inject('PUT', '/subscriptions/{s}/resourceGroups/{rg}/providers/'
                                   'Microsoft.Network/{t}/{zone}/TXT/_acme-challenge.race',
                                   hang=True, count=1)
        config = tmp_path / 'first.toml'
        config.write_text(render_toml({'providers.conf': harness.table}))
        os.chmod(config, 0o600)
        first = subprocess.Popen(
            [os.path.join(build_dir, 'tests', 'provider', 'dns01-provider-tool'), '--config',
             str(config), '--provider', 'conf', '--json', '-v', 'add', name, 'first-writer'],
            env=self._environ(harness, build_dir), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        try:
            held.wait_hit(timeout=60)        # the first writer read the set and is writing it
            self.ok(tool('add', name, 'second-writer'))   # the second one gets in between
            held.release()                    # the first write now meets a changed etag: 412
            out, err = first.communicate(timeout=120)
        finally:
            held.release()
            if first.poll() is None:
                first.kill()
                first.wait()
        assert first.returncode == 0, err + out
        assert re.search(r'HTTP 412', err), err
        assert 412 in [r.status for r in harness.fake.requests_matching('PUT')]
        assert self.served(harness, name) == ['first-writer', 'second-writer']
        self.ok(tool('batch-remove', name, 'first-writer', name, 'second-writer'))
        assert self.served(harness, name) == []
