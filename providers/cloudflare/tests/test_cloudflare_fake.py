"""The Cloudflare fake checked against the vendor's own client: Debian's python3-cloudflare
(CloudFlare.CloudFlare(base_url=fake.api_url, ...)) drives every item of the fake checklist
(../shared/reference/cloud-apis.md §1.6) against a fake whose records land in a real sandbox
BIND. If the client and the fake disagree, the fake is wrong.

The real certbot --dns-cloudflare through the fake is in test_cloudflare_peers.py.
"""

import os

import pytest

from apifake import BindBackend
from fake_cloudflare import CloudflareFake, txt_value

CloudFlare = pytest.importorskip(
    'CloudFlare', reason='install the Debian package python3-cloudflare (scripts/packages-test.txt)')

TOKEN = 'fake-token-0123456789'
NAME = '_acme-challenge.example.test'


@pytest.fixture(scope='module')
def msb(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip('the sandbox needs root: it adds 127.A.B.x addresses to lo and runs named')
    from sandbox import Sandbox
    box = Sandbox(str(tmp_path_factory.mktemp('cloudflare-fake-sandbox')))
    box.start()
    yield box
    box.stop()


@pytest.fixture
def fake(msb, tmp_path, monkeypatch):
    # the client's CA and nothing of the runner's own Cloudflare configuration
    for var in ('CLOUDFLARE_EMAIL', 'CLOUDFLARE_API_KEY', 'CLOUDFLARE_API_TOKEN',
                'CLOUDFLARE_API_URL', 'CF_API_EMAIL', 'CF_API_KEY', 'CF_API_URL'):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv('HOME', str(tmp_path))  # no ~/.cloudflare.cfg
    backend = BindBackend.from_sandbox(msb)
    f = CloudflareFake(backend, zones=['example.test', 'other.test'], token=TOKEN,
                       workdir=str(tmp_path / 'fake'),
                       account_zones=['sub.example.test', 'badexample.test']).start()
    for k, v in f.client_env().items():
        monkeypatch.setenv(k, v)
    yield f
    # leave BIND clean for the next test: delete what the test left
    with f.lock:
        for record in list(f.records.values()):
            f._apply_delete(record)
    f.stop()
    backend.wait_applied()
    f.assert_no_errors()
    assert backend.errors == []


def client(fake, **auth):
    if not auth:
        auth = {'token': TOKEN}
    return CloudFlare.CloudFlare(base_url=fake.api_url, raw=True, **auth)


def code_of(excinfo):
    return int(excinfo.value)


def zone_id(fake, zone='example.test'):
    return fake.zone_ids[zone]


# --- authentication ---------------------------------------------------------------------------

def test_a_token_finds_the_zone_by_exact_name(fake):
    cf = client(fake)
    reply = cf.zones.get(params={'name': 'example.test', 'per_page': 1})
    assert [z['id'] for z in reply['result']] == [zone_id(fake)]
    assert reply['result'][0]['name'] == 'example.test'
    assert cf.zones.get(params={'name': 'test'})['result'] == []
    assert cf.zones.get(params={'name': 'xample.test'})['result'] == []
    # operators: the zone and everything below it, plus look-alikes (the client filters)
    suffix = cf.zones.get(params={'name': 'ends_with:example.test'})['result']
    assert [z['name'] for z in suffix] == ['badexample.test', 'example.test', 'sub.example.test']
    assert [z['name'] for z in cf.zones.get(params={'name': 'starts_with:other'})['result']] \
        == ['other.test']
    request = fake.requests_matching('GET', '/client/v4/zones')[0]
    assert request.headers['Authorization'] == 'Bearer ' + TOKEN
    assert request.arg('name') == 'example.test'


def test_no_credentials_is_9106(fake):
    # python-cloudflare refuses to send a request without credentials: ask the fake directly
    import urllib.request
    import json
    req = urllib.request.Request(fake.api_url + '/zones?name=example.test')
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, context=fake.ssl_context(), timeout=10)
    assert e.value.code == 400
    assert json.loads(e.value.read())['errors'][0]['code'] == 9106


def test_an_unknown_token_is_9109(fake):
    with pytest.raises(CloudFlare.exceptions.CloudFlareAPIError) as e:
        client(fake, token='not-the-token').zones.get(params={'name': 'example.test'})
    assert code_of(e) == 9109
    assert 'Invalid access token' in str(e.value)


def test_the_global_key_with_email_and_a_wrong_key(fake):
    fake.add_global_key('admin@example.test', 'a' * 37)
    cf = client(fake, email='admin@example.test', key='a' * 37)
    assert cf.zones.get(params={'name': 'example.test'})['result'][0]['id'] == zone_id(fake)
    request = fake.requests[-1]
    assert request.headers['X-Auth-Email'] == 'admin@example.test'
    assert 'Authorization' not in request.headers
    with pytest.raises(CloudFlare.exceptions.CloudFlareAPIError) as e:
        client(fake, email='admin@example.test', key='b' * 37).zones.get()
    assert code_of(e) == 9103


def test_a_token_without_the_permission_is_10000(fake):
    fake.add_token('read-only', permissions={'zone:read'})
    fake.add_token('dns-only', permissions={'dns:edit'})
    fake.add_token('other-zone', zones={'other.test'})
    with pytest.raises(CloudFlare.exceptions.CloudFlareAPIError) as e:
        client(fake, token='read-only').zones.dns_records.post(
            zone_id(fake), data={'type': 'TXT', 'name': NAME, 'content': '"x"', 'ttl': 60})
    assert code_of(e) == 10000
    with pytest.raises(CloudFlare.exceptions.CloudFlareAPIError) as e:
        client(fake, token='dns-only').zones.get(params={'name': 'example.test'})
    assert code_of(e) == 10000
    # a token for specific zones lists only those, and cannot touch the others
    listed = client(fake, token='other-zone').zones.get()['result']
    assert [z['name'] for z in listed] == ['other.test']
    with pytest.raises(CloudFlare.exceptions.CloudFlareAPIError) as e:
        client(fake, token='other-zone').zones.dns_records.get(zone_id(fake))
    assert code_of(e) == 10000


# --- records ----------------------------------------------------------------------------------

def test_create_serves_the_value_and_an_identical_record_is_81058(fake, msb):
    cf = client(fake)
    made = cf.zones.dns_records.post(zone_id(fake), data={
        'type': 'TXT', 'name': NAME, 'content': '"quoted-value"', 'ttl': 60})['result']
    assert len(made['id']) == 32 and int(made['id'], 16) >= 0
    assert made['content'] == '"quoted-value"'  # stored verbatim
    assert made['name'] == NAME and made['proxied'] is False
    # an unquoted value is accepted too, and also stored as sent
    cf.zones.dns_records.post(zone_id(fake), data={
        'type': 'TXT', 'name': NAME, 'content': 'bare-value', 'ttl': 120})
    assert sorted(msb.query_txt('primary', NAME + '.')) == ['bare-value', 'quoted-value']
    with pytest.raises(CloudFlare.exceptions.CloudFlareAPIError) as e:
        cf.zones.dns_records.post(zone_id(fake), data={
            'type': 'TXT', 'name': NAME, 'content': '"quoted-value"', 'ttl': 60})
    assert code_of(e) == 81058


def test_name_as_apex_and_relative(fake):
    cf = client(fake)
    apex = cf.zones.dns_records.post(zone_id(fake), data={
        'type': 'TXT', 'name': '@', 'content': '"apex"', 'ttl': 1})['result']
    assert apex['name'] == 'example.test' and apex['ttl'] == 1
    rel = cf.zones.dns_records.post(zone_id(fake), data={
        'type': 'TXT', 'name': '_acme-challenge.www', 'content': '"rel"'})['result']
    assert rel['name'] == '_acme-challenge.www.example.test'


def test_ttl_must_be_1_or_60_to_86400(fake):
    cf = client(fake)
    for ttl in (30, 59, 86401):
        with pytest.raises(CloudFlare.exceptions.CloudFlareAPIError) as e:
            cf.zones.dns_records.post(zone_id(fake), data={
                'type': 'TXT', 'name': NAME, 'content': '"t%d"' % ttl, 'ttl': ttl})
        assert code_of(e) == 9021
    for ttl in (1, 60, 86400):
        cf.zones.dns_records.post(zone_id(fake), data={
            'type': 'TXT', 'name': NAME, 'content': '"t%d"' % ttl, 'ttl': ttl})


def test_list_filters_are_exact_and_pages_follow(fake):
    cf = client(fake)
    for i in range(7):
        cf.zones.dns_records.post(zone_id(fake), data={
            'type': 'TXT', 'name': NAME, 'content': '"v%d"' % i, 'ttl': 60})
    cf.zones.dns_records.post(zone_id(fake), data={
        'type': 'TXT', 'name': 'x' + NAME, 'content': '"v0"', 'ttl': 60})
    exact = cf.zones.dns_records.get(zone_id(fake), params={
        'type': 'TXT', 'name': NAME, 'content': '"v3"'})
    assert [r['content'] for r in exact['result']] == ['"v3"']
    assert cf.zones.dns_records.get(zone_id(fake), params={
        'name': NAME, 'content': 'v3'})['result'] == []  # no quotes: another content
    first = cf.zones.dns_records.get(zone_id(fake), params={'name': NAME, 'per_page': 5})
    info = first['result_info']
    assert (info['page'], info['per_page'], info['count'], info['total_count'],
            info['total_pages']) == (1, 5, 5, 7, 2)
    second = cf.zones.dns_records.get(zone_id(fake), params={
        'name': NAME, 'per_page': 5, 'page': 2})
    ids = {r['id'] for r in first['result']} | {r['id'] for r in second['result']}
    assert len(ids) == 7 and second['result_info']['count'] == 2
    prefixed = cf.zones.dns_records.get(zone_id(fake), params={
        'type': 'TXT', 'name.startswith': '_ACME-challenge.', 'per_page': 100})['result']
    assert len(prefixed) == 7  # not x_acme-challenge...


def test_delete_by_id_and_an_unknown_id_is_81044(fake, msb):
    cf = client(fake)
    made = cf.zones.dns_records.post(zone_id(fake), data={
        'type': 'TXT', 'name': NAME, 'content': '"gone"', 'ttl': 60})['result']
    assert cf.zones.dns_records.delete(zone_id(fake), made['id'])['result'] == {'id': made['id']}
    assert msb.query_txt('primary', NAME + '.') == []
    with pytest.raises(CloudFlare.exceptions.CloudFlareAPIError) as e:
        cf.zones.dns_records.delete(zone_id(fake), made['id'])
    assert code_of(e) == 81044


def test_an_unknown_zone_id_is_7003(fake):
    with pytest.raises(CloudFlare.exceptions.CloudFlareAPIError) as e:
        client(fake).zones.dns_records.get('0' * 32, params={'name': NAME})
    assert code_of(e) == 7003


def test_a_quoted_and_a_bare_record_of_one_value_share_the_bind_value(fake, msb):
    cf = client(fake)
    q = cf.zones.dns_records.post(zone_id(fake), data={
        'type': 'TXT', 'name': NAME, 'content': '"same"', 'ttl': 60})['result']
    cf.zones.dns_records.post(zone_id(fake), data={
        'type': 'TXT', 'name': NAME, 'content': 'same', 'ttl': 60})
    cf.zones.dns_records.delete(zone_id(fake), q['id'])
    assert msb.query_txt('primary', NAME + '.') == ['same']  # the bare record still serves it


def test_txt_content_to_served_value():
    assert txt_value('"abc"') == 'abc'
    assert txt_value('abc') == 'abc'
    assert txt_value('"a" "b"') == 'ab'
    assert txt_value('"a\\"b"') == 'a"b'


# --- batch and rate limits --------------------------------------------------------------------

def test_batch_deletes_then_posts_in_one_transaction(fake, msb):
    cf = client(fake)
    cf.add('AUTH', 'zones', 'dns_records', 'batch')
    old = cf.zones.dns_records.post(zone_id(fake), data={
        'type': 'TXT', 'name': NAME, 'content': '"old"', 'ttl': 60})['result']
    done = cf.zones.dns_records.batch.post(zone_id(fake), data={
        'deletes': [{'id': old['id']}],
        'posts': [{'type': 'TXT', 'name': NAME, 'content': '"a"', 'ttl': 60},
                  {'type': 'TXT', 'name': NAME, 'content': '"b"', 'ttl': 60}]})['result']
    assert [r['id'] for r in done['deletes']] == [old['id']]
    assert [r['content'] for r in done['posts']] == ['"a"', '"b"']
    assert sorted(msb.query_txt('primary', NAME + '.')) == ['a', 'b']
    assert fake.max_batch_seen == 2
    # a duplicate post fails the whole transaction: nothing of it is applied
    with pytest.raises(CloudFlare.exceptions.CloudFlareAPIError) as e:
        cf.zones.dns_records.batch.post(zone_id(fake), data={'posts': [
            {'type': 'TXT', 'name': NAME, 'content': '"c"', 'ttl': 60},
            {'type': 'TXT', 'name': NAME, 'content': '"a"', 'ttl': 60}]})
    assert code_of(e) == 81058
    with pytest.raises(CloudFlare.exceptions.CloudFlareAPIError) as e:
        cf.zones.dns_records.batch.post(zone_id(fake), data={'deletes': [{'id': old['id']}]})
    assert code_of(e) == 81044
    assert sorted(msb.query_txt('primary', NAME + '.')) == ['a', 'b']
    fake.batch_limit = 2
    with pytest.raises(CloudFlare.exceptions.CloudFlareAPIError):
        cf.zones.dns_records.batch.post(zone_id(fake), data={'posts': [
            {'type': 'TXT', 'name': NAME, 'content': '"%d"' % i, 'ttl': 60} for i in range(3)]})


def test_a_rate_limit_is_429_with_971_and_retry_after(fake):
    fault = fake.rate_limit('GET', '/client/v4/zones', count=1, retry_after=3)
    with pytest.raises(CloudFlare.exceptions.CloudFlareAPIError) as e:
        client(fake).zones.get(params={'name': 'example.test'})
    assert code_of(e) == 971
    assert fault.hits == 1
    assert fake.requests[-1].status == 429
    assert client(fake).zones.get(params={'name': 'example.test'})['result']  # over
