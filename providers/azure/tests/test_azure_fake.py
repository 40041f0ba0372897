"""The Azure fake itself, driven by Microsoft's own Python SDK (python3-azure: azure-identity,
azure-mgmt-dns, azure-mgmt-privatedns) over HTTPS with the fake's CA: if the SDK and the fake
disagree, the fake is wrong. Every call dns01's azure provider makes is made here by the SDK,
and every item of the fake checklist (cloud-apis.md §3.4) has a case. Record changes are read
back from the sandbox's BIND.
"""

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from apifake import BindBackend
from sandbox import Sandbox

from fake_azure import AzureFake

azure_identity = pytest.importorskip('azure.identity')
azure_exceptions = pytest.importorskip('azure.core.exceptions')
dns_sdk = pytest.importorskip('azure.mgmt.dns')
private_sdk = pytest.importorskip('azure.mgmt.privatedns')

TENANT = '72f988bf-0000-4000-8000-000000000047'
APP = '11111111-2222-4333-8444-555555555555'
SECRET = 'fake-client-secret-value~1'
SCOPE = 'https://management.azure.com/.default'


@pytest.fixture(scope='module')
def fsb(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip('the sandbox needs root: it adds 127.A.B.x addresses to lo and runs named')
    box = Sandbox(str(tmp_path_factory.mktemp('azure-fake-sandbox')))
    box.start()
    yield box
    box.stop()


@pytest.fixture
def fake(fsb, tmp_path, monkeypatch):
    backend = BindBackend.from_sandbox(fsb)
    f = AzureFake(backend, workdir=str(tmp_path / 'fake'))
    f.add_zone('example.test', 'rg-dns')
    f.add_zone('other.test', 'rg-other')
    f.add_zone('internal.test', 'rg-net', private=True)
    f.add_client(TENANT, APP, secret=SECRET, assertion='header.federated-jwt.sig')
    f.start()
    for k, v in f.client_env().items():
        monkeypatch.setenv(k, v)
    for k in ('AZURE_POD_IDENTITY_AUTHORITY_HOST', 'IDENTITY_ENDPOINT', 'IDENTITY_HEADER',
              'MSI_ENDPOINT', 'AZURE_FEDERATED_TOKEN_FILE', 'AZURE_CLIENT_ID', 'AZURE_TENANT_ID'):
        monkeypatch.delenv(k, raising=False)
    yield f
    f.stop()
    f.assert_no_errors()
    assert backend.errors == []


def credential(fake):
    return azure_identity.ClientSecretCredential(TENANT, APP, SECRET, authority=fake.url,
                                                 instance_discovery=False)


def public(fake, cred=None):
    return dns_sdk.DnsManagementClient(cred or credential(fake), fake.subscription,
                                       base_url=fake.url, credential_scopes=[SCOPE])


def private(fake):
    return private_sdk.PrivateDnsManagementClient(credential(fake), fake.subscription,
                                                  base_url=fake.url, credential_scopes=[SCOPE])


def last_status(fake, method):
    """The status the fake sent for its last `method` request (set just after the reply)."""
    request = fake.requests_matching(method)[-1]
    return fake.wait_for(lambda: request.status, what='the reply to %r' % request)


def txt(values):
    return {'ttl': 60, 'txt_records': [{'value': [v]} for v in values]}


# --- tokens -----------------------------------------------------------------------------------

def test_client_secret_token_and_a_wrong_secret(fake):
    token = credential(fake).get_token(SCOPE)
    assert token.token and token.expires_on > time.time() + 3000
    assert fake.tokens_issued('secret')[0]['audience'] == 'https://management.azure.com'
    bad = azure_identity.ClientSecretCredential(TENANT, APP, 'wrong', authority=fake.url,
                                                instance_discovery=False)
    with pytest.raises(azure_exceptions.ClientAuthenticationError, match='AADSTS7000215'):
        bad.get_token(SCOPE)


def test_client_assertion_token(fake, monkeypatch):
    # this azure-identity passes any keyword on to object.__init__: the authority comes from
    # the environment, as in CI jobs
    monkeypatch.setenv('AZURE_AUTHORITY_HOST', fake.url)
    good = azure_identity.ClientAssertionCredential(
        TENANT, APP, lambda: 'header.federated-jwt.sig')
    assert good.get_token(SCOPE).token
    assert len(fake.tokens_issued('federated')) == 1
    bad = azure_identity.ClientAssertionCredential(TENANT, APP, lambda: 'other.jwt.sig')
    with pytest.raises(azure_exceptions.ClientAuthenticationError, match='AADSTS700213'):
        bad.get_token(SCOPE)


def test_workload_identity_reads_the_token_file(fake, tmp_path, monkeypatch):
    token_file = tmp_path / 'azure-identity-token'
    token_file.write_text('header.federated-jwt.sig')
    monkeypatch.setenv('AZURE_FEDERATED_TOKEN_FILE', str(token_file))
    monkeypatch.setenv('AZURE_TENANT_ID', TENANT)
    monkeypatch.setenv('AZURE_CLIENT_ID', APP)
    monkeypatch.setenv('AZURE_AUTHORITY_HOST', fake.url)
    cred = azure_identity.ManagedIdentityCredential()
    assert cred.get_token(SCOPE).token
    assert [t['kind'] for t in fake.tokens_issued()] == ['federated']


def test_imds_token_needs_the_metadata_header(fake, monkeypatch):
    fake.add_managed_identity(system=True)
    fake.add_managed_identity('user-assigned-1')
    monkeypatch.setenv('AZURE_POD_IDENTITY_AUTHORITY_HOST', fake.imds_host)
    assert azure_identity.ManagedIdentityCredential().get_token(SCOPE).token
    assert azure_identity.ManagedIdentityCredential(client_id='user-assigned-1').get_token(SCOPE)
    assert [t['principal'] for t in fake.tokens_issued('imds')] == ['system-assigned',
                                                                     'user-assigned-1']
    request = fake.requests_matching('GET', '/metadata/identity/oauth2/token')[-1]
    assert request.arg('resource') == 'https://management.azure.com'
    assert request.arg('api-version') == '2018-02-01'
    # without `Metadata: true` IMDS refuses (the SDK probes exactly that way)
    url = fake.url + '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=' + \
        urllib.parse.quote('https://management.azure.com/')
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, context=fake.ssl_context())
    assert refused.value.code == 400
    # numbers as strings, as IMDS writes them
    reply = urllib.request.urlopen(urllib.request.Request(url, headers={'Metadata': 'true'}),
                                   context=fake.ssl_context())
    body = json.loads(reply.read())
    assert isinstance(body['expires_in'], str) and isinstance(body['expires_on'], str)


def test_app_service_identity_endpoint(fake, monkeypatch):
    fake.add_managed_identity(system=True)
    monkeypatch.setenv('IDENTITY_ENDPOINT', fake.identity_endpoint)
    monkeypatch.setenv('IDENTITY_HEADER', fake.identity_header)
    assert azure_identity.ManagedIdentityCredential().get_token(SCOPE).token
    request = fake.requests_matching('GET', '/msi/token')[-1]
    assert request.headers.get('X-IDENTITY-HEADER') == fake.identity_header
    assert [t['kind'] for t in fake.tokens_issued()] == ['app_service']
    monkeypatch.setenv('IDENTITY_HEADER', 'wrong')
    with pytest.raises(azure_exceptions.ClientAuthenticationError):
        azure_identity.ManagedIdentityCredential().get_token(SCOPE)


# --- ARM: public zones ------------------------------------------------------------------------

def test_zones_are_listed_with_next_link_paging(fake):
    fake.page_size = 1
    names = [z.name for z in public(fake).zones.list()]
    assert names == ['example.test', 'other.test']
    assert fake.zone_pages_served == 2
    assert [z.name for z in public(fake).zones.list_by_resource_group('rg-other')] == \
        ['other.test']
    assert [z.name for z in private(fake).private_zones.list()] == ['internal.test']
    assert [z.name for z in private(fake).private_zones.list_by_resource_group('rg-net')] == \
        ['internal.test']
    assert list(private(fake).private_zones.list_by_resource_group('rg-dns')) == []


def test_create_update_delete_with_etags(fake, fsb):
    client = public(fake)
    created = client.record_sets.create_or_update('rg-dns', 'example.test', '_acme-challenge',
                                                  'TXT', txt(['one']), if_none_match='*')
    assert last_status(fake, 'PUT') == 201
    assert created.fqdn == '_acme-challenge.example.test.'
    assert fake.dns.txt_values('_acme-challenge.example.test') == ['one']
    # If-None-Match: * on an existing set: 412
    with pytest.raises(azure_exceptions.HttpResponseError) as exists:
        client.record_sets.create_or_update('rg-dns', 'example.test', '_acme-challenge', 'TXT',
                                            txt(['x']), if_none_match='*')
    assert exists.value.status_code == 412 and exists.value.error.code == 'PreconditionFailed'
    updated = client.record_sets.create_or_update('rg-dns', 'example.test', '_acme-challenge',
                                                  'TXT', txt(['one', 'two']),
                                                  if_match=created.etag)
    assert last_status(fake, 'PUT') == 200
    assert updated.etag != created.etag
    assert sorted(fake.dns.txt_values('_acme-challenge.example.test')) == ['one', 'two']
    # a stale etag: 412, nothing changed
    with pytest.raises(azure_exceptions.HttpResponseError):
        client.record_sets.create_or_update('rg-dns', 'example.test', '_acme-challenge', 'TXT',
                                            txt(['three']), if_match=created.etag)
    with pytest.raises(azure_exceptions.HttpResponseError):
        client.record_sets.delete('rg-dns', 'example.test', '_acme-challenge', 'TXT',
                                  if_match=created.etag)
    got = client.record_sets.get('rg-dns', 'example.test', '_acme-challenge', 'TXT')
    assert [r.value for r in got.txt_records] == [['one'], ['two']] and got.etag == updated.etag
    client.record_sets.delete('rg-dns', 'example.test', '_acme-challenge', 'TXT',
                              if_match=updated.etag)
    assert last_status(fake, 'DELETE') == 200
    assert fake.dns.txt_values('_acme-challenge.example.test') == []
    client.record_sets.delete('rg-dns', 'example.test', '_acme-challenge', 'TXT')
    assert last_status(fake, 'DELETE') == 204


def test_apex_and_dotted_names_go_raw_and_paths_ignore_case(fake):
    client = public(fake)
    client.record_sets.create_or_update('rg-dns', 'example.test', '@', 'TXT', txt(['apex']))
    client.record_sets.create_or_update('rg-dns', 'example.test', '_acme-challenge.www', 'TXT',
                                        txt(['www']))
    paths = [r.path for r in fake.requests_matching('PUT')]
    assert paths[0].endswith('/TXT/@') and paths[1].endswith('/TXT/_acme-challenge.www')
    assert fake.dns.txt_values('example.test') == ['apex']
    assert fake.dns.txt_values('_acme-challenge.www.example.test') == ['www']
    token = credential(fake).get_token(SCOPE).token
    url = (fake.url + '/SUBSCRIPTIONS/%s/resourcegroups/RG-DNS/providers/microsoft.network/'
           'DNSZONES/example.test/txt/_ACME-challenge.www?api-version=2018-05-01'
           % fake.subscription)
    reply = urllib.request.urlopen(urllib.request.Request(
        url, headers={'Authorization': 'Bearer ' + token}), context=fake.ssl_context())
    assert reply.status == 200
    client.record_sets.delete('rg-dns', 'example.test', '@', 'TXT')
    client.record_sets.delete('rg-dns', 'example.test', '_acme-challenge.www', 'TXT')


def test_duplicate_values_and_error_shapes(fake):
    client = public(fake)
    with pytest.raises(azure_exceptions.HttpResponseError) as dup:
        client.record_sets.create_or_update('rg-dns', 'example.test', '_acme-challenge', 'TXT',
                                            txt(['same', 'same']))
    assert dup.value.status_code == 400 and 'same' in str(dup.value.error.message)
    # a missing record set: the DNS RP's top-level {"code","message"}, which the SDK still reads
    with pytest.raises(azure_exceptions.ResourceNotFoundError) as missing:
        client.record_sets.get('rg-dns', 'example.test', '_acme-challenge', 'TXT')
    assert missing.value.error.code == 'NotFound'
    token = credential(fake).get_token(SCOPE).token
    url = (fake.url + '/subscriptions/%s/resourceGroups/rg-dns/providers/Microsoft.Network/'
           'dnszones/example.test/TXT/_acme-challenge?api-version=2018-05-01' % fake.subscription)
    with pytest.raises(urllib.error.HTTPError) as raw:
        urllib.request.urlopen(urllib.request.Request(
            url, headers={'Authorization': 'Bearer ' + token}), context=fake.ssl_context())
    assert set(json.loads(raw.value.read())) == {'code', 'message'}
    # a missing zone / resource group: the ARM {"error": {...}} shape
    with pytest.raises(azure_exceptions.ResourceNotFoundError) as zone:
        client.record_sets.get('rg-dns', 'nothere.test', '_acme-challenge', 'TXT')
    assert zone.value.error.code == 'ParentResourceNotFound'
    with pytest.raises(azure_exceptions.ResourceNotFoundError) as rg:
        client.record_sets.get('rg-none', 'example.test', '_acme-challenge', 'TXT')
    assert rg.value.error.code == 'ResourceGroupNotFound'


def test_bearer_checks_and_authorization_failed(fake):
    client = public(fake)
    fake.deny(APP)
    with pytest.raises(azure_exceptions.HttpResponseError) as denied:
        client.record_sets.create_or_update('rg-dns', 'example.test', '_acme-challenge', 'TXT',
                                            txt(['x']))
    assert denied.value.status_code == 403
    assert denied.value.error.code == 'AuthorizationFailed'
    assert 'Microsoft.Network/dnszones/TXT/write' in denied.value.error.message
    with pytest.raises(azure_exceptions.ClientAuthenticationError) as forged:
        list(public(fake, _Fixed('forged-token')).zones.list())
    assert forged.value.status_code == 401
    assert fake.wait_for(lambda: fake.requests[-1].status) == 401
    # the legacy audience (azure-cli) is accepted too
    fake.add_managed_identity(system=True)
    url = fake.url + '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=' + \
        urllib.parse.quote('https://management.core.windows.net/')
    token = json.loads(urllib.request.urlopen(urllib.request.Request(
        url, headers={'Metadata': 'true'}), context=fake.ssl_context()).read())['access_token']
    assert [z.name for z in public(fake, _Fixed(token)).zones.list()] == ['example.test',
                                                                         'other.test']


class _Fixed:
    def __init__(self, token):
        self.token = token

    def get_token(self, *scopes, **kw):
        from azure.core.credentials import AccessToken
        return AccessToken(self.token, int(time.time()) + 600)


def test_a_429_with_retry_after_is_honoured_by_the_sdk(fake):
    fault = fake.throttle('PUT', count=1)
    client = public(fake)
    client.record_sets.create_or_update('rg-dns', 'example.test', '_acme-challenge.t', 'TXT',
                                        txt(['after']))
    assert fault.hits == 1
    assert last_status(fake, 'PUT') == 201
    puts = fake.requests_matching('PUT')
    assert [r.status for r in puts] == [429, 201]
    assert puts[1].received_at - puts[0].replied_at >= 0.9  # Retry-After: 1
    client.record_sets.delete('rg-dns', 'example.test', '_acme-challenge.t', 'TXT')


# --- ARM: private zones -----------------------------------------------------------------------

def test_private_zone_record_sets_use_lower_case_properties(fake):
    client = private(fake)
    created = client.record_sets.create_or_update('rg-net', 'internal.test', 'TXT',
                                                  '_acme-challenge', txt(['p1']),
                                                  if_none_match='*')
    put = fake.requests_matching('PUT')[-1]
    assert last_status(fake, 'PUT') == 201
    assert set(put.json()['properties']) >= {'ttl', 'txtRecords'}
    assert created.fqdn == '_acme-challenge.internal.test.'
    assert created.type == 'Microsoft.Network/privateDnsZones/TXT'
    assert created.id == created.id.lower()
    assert fake.dns.txt_values('_acme-challenge.internal.test') == ['p1']
    client.record_sets.delete('rg-net', 'internal.test', 'TXT', '_acme-challenge',
                              if_match=created.etag)
    assert fake.dns.txt_values('_acme-challenge.internal.test') == []
    # the public resource type does not reach a private zone, and the other API version fails
    with pytest.raises(azure_exceptions.ResourceNotFoundError):
        public(fake).record_sets.get('rg-net', 'internal.test', '_acme-challenge', 'TXT')
    token = credential(fake).get_token(SCOPE).token
    url = (fake.url + '/subscriptions/%s/resourceGroups/rg-net/providers/Microsoft.Network/'
           'privateDnsZones/internal.test/TXT/x?api-version=2018-05-01' % fake.subscription)
    with pytest.raises(urllib.error.HTTPError) as version:
        urllib.request.urlopen(urllib.request.Request(
            url, headers={'Authorization': 'Bearer ' + token}), context=fake.ssl_context())
    assert version.value.code == 400
