"""Self-test of tests/fakes/apifake.py: TLS with its own CA, routes, the request log, faults, and
the BIND backend against a real sandbox primary."""

import json
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest
import requests

from apifake import ApiFake, BindBackend, Response


class EchoFake(ApiFake):
    """A tiny vendor: records under /zones/{zone}/records, a 404 in the vendor's own shape."""

    def __init__(self, **kw):
        super().__init__(name='echo', **kw)
        self.records = {}
        self.route('GET', '/zones/{zone}/records', self.list_records)
        self.route('POST', '/zones/{zone}/records', self.create_record)
        self.route('GET', '/files/{rest*}', lambda r: {'rest': r.params['rest']})
        self.route('DELETE', '/boom', lambda r: 1 / 0)

    def list_records(self, request):
        with self.lock:
            return {'zone': request.params['zone'], 'name': request.arg('name'),
                    'records': self.records.get(request.params['zone'], [])}

    def create_record(self, request):
        with self.lock:
            self.records.setdefault(request.params['zone'], []).append(request.json())
        return Response(201, {'ok': True}, {'X-Record-Count': '1'})

    def not_found(self, request):
        return Response(404, {'success': False, 'errors': [{'code': 7003}]})


@pytest.fixture
def fake(tmp_path):
    with EchoFake(workdir=tmp_path / 'fake') as f:
        yield f


def call(fake, method, path, body=None, headers=None, timeout=10):
    """(status, headers, parsed JSON body) through urllib, trusting only the fake's CA."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(fake.url + path, data=data, method=method,
                                 headers=headers or {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                         urllib.request.HTTPSHandler(context=fake.ssl_context()))
    try:
        with opener.open(req, timeout=timeout) as resp:
            status, hdrs, raw = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        status, hdrs, raw = err.code, err.headers, err.read()
    is_json = 'json' in (hdrs.get('Content-Type') or '')
    return status, hdrs, (json.loads(raw) if is_json and raw else raw.decode())


def test_tls_is_issued_by_the_fakes_own_ca(fake):
    assert fake.url.startswith('https://127.0.0.1:')
    status, _, body = call(fake, 'GET', '/zones/z1/records')
    assert status == 200 and body['zone'] == 'z1'
    # without the fake's CA the same request fails verification: the CA is what makes it trusted
    with pytest.raises(urllib.error.URLError) as err:
        urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(
            context=ssl.create_default_context())).open(fake.url + '/zones/z1/records', timeout=10)
    assert isinstance(err.value.reason, ssl.SSLCertVerificationError)
    # the leaf names localhost as well as 127.0.0.1
    r = requests.get('https://localhost:%d/zones/z2/records' % fake.port, verify=fake.ca_pem,
                     timeout=10)
    assert r.status_code == 200 and r.json()['zone'] == 'z2'


def test_vendor_clients_trust_it_through_their_environment_variables(fake):
    env = fake.client_env()
    code = ('import requests,sys; r = requests.get(sys.argv[1], timeout=10); '
            'print(r.status_code, r.json()["zone"])')
    res = subprocess.run(['/usr/bin/python3', '-c', code, fake.url + '/zones/env/records'],
                         env=env, capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ['200', 'env']
    res = subprocess.run(['/usr/bin/curl', '-sS', '--noproxy', '*', fake.url + '/files/a/b.txt'],
                         env=env, capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == {'rest': 'a/b.txt'}


def test_routes_capture_params_and_unknown_routes_get_the_subclass_404(fake):
    status, hdrs, body = call(fake, 'POST', '/zones/z9/records', {'content': 'v1'})
    assert status == 201 and hdrs['X-Record-Count'] == '1' and body == {'ok': True}
    assert call(fake, 'GET', '/zones/z9/records?name=_acme')[2] == {
        'zone': 'z9', 'name': '_acme', 'records': [{'content': 'v1'}]}
    status, _, body = call(fake, 'GET', '/nowhere')
    assert status == 404 and body == {'success': False, 'errors': [{'code': 7003}]}
    # a method without a route is unknown too
    assert call(fake, 'PUT', '/zones/z9/records', {})[0] == 404


def test_request_log_keeps_what_was_received(fake):
    call(fake, 'POST', '/zones/zz/records?x=1&x=2&y=', {'content': 'logged'},
         headers={'X-Custom-Case': 'Kept', 'Authorization': 'Bearer t0k'})
    req = fake.wait_for_request('POST', '/zones/{zone}/records')
    assert req.method == 'POST' and req.path == '/zones/zz/records'
    assert req.query == {'x': ['1', '2'], 'y': ['']} and req.raw_query == 'x=1&x=2&y='
    assert req.headers['authorization'] == 'Bearer t0k'
    assert ('X-Custom-Case', 'Kept') in req.header_list
    assert req.json() == {'content': 'logged'} and req.status == 201
    assert fake.count('POST') == 1 and fake.count('GET') == 0
    with pytest.raises(TimeoutError, match='1 request'):
        fake.wait_for_request('GET', '/zones/{zone}/records', timeout=0.2)


def test_chunked_request_bodies_are_read(fake):
    r = requests.post(fake.url + '/zones/ch/records', data=iter([b'{"content": ', b'"chunked"}']),
                      verify=fake.ca_pem, timeout=10)
    assert r.status_code == 201
    req = fake.wait_for_request('POST', '/zones/{zone}/records')
    assert req.headers['Transfer-Encoding'] == 'chunked' and req.json() == {'content': 'chunked'}


def test_handler_errors_answer_500_and_are_kept(fake):
    status, _, body = call(fake, 'DELETE', '/boom')
    assert status == 500 and 'ZeroDivisionError' in body
    with pytest.raises(AssertionError, match='ZeroDivisionError'):
        fake.assert_no_errors()


def test_status_faults_by_pattern_and_count(fake):
    fault = fake.inject('GET', '/zones/{zone}/records', status=429,
                        headers={'Retry-After': '1'}, body={'errors': [{'code': 971}]}, count=2)
    for _ in range(2):
        status, hdrs, body = call(fake, 'GET', '/zones/a/records')
        assert status == 429 and hdrs['Retry-After'] == '1' and body['errors'][0]['code'] == 971
    assert call(fake, 'GET', '/zones/a/records')[0] == 200  # budget spent: the route answers
    assert call(fake, 'POST', '/zones/a/records', {})[0] == 201  # other method: untouched
    assert fault.hits == 2 and [r.status for r in fake.requests][:3] == [429, 429, 200]
    fake.clear_faults()
    second = fake.inject('GET', '/zones/{zone}/records', status=502, after=1)
    assert [call(fake, 'GET', '/zones/a/records')[0] for _ in range(3)] == [200, 502, 200]
    assert second.hits == 1 and second.requests[0].status == 502
    forever = fake.inject('*', '/zones/{zone}/records', status=500, count=None)
    assert [call(fake, m, '/zones/b/records', {} if m == 'POST' else None)[0]
            for m in ('GET', 'POST', 'GET')] == [500, 500, 500]
    assert forever.hits == 3
    fake.clear_faults()
    assert call(fake, 'GET', '/zones/b/records')[0] == 200


def test_auth_fault(fake):
    fake.inject('POST', '/zones/{zone}/records', status=403,
                body={'success': False, 'errors': [{'code': 10000}]})
    status, _, body = call(fake, 'POST', '/zones/c/records', {'content': 'x'})
    assert status == 403 and body['errors'][0]['code'] == 10000
    assert fake.records == {}  # the route never ran


def test_delay_fault_answers_late_through_the_route(fake):
    fake.inject('GET', '/zones/{zone}/records', delay=0.5)
    start = time.monotonic()
    status, _, body = call(fake, 'GET', '/zones/slow/records')
    assert status == 200 and body['zone'] == 'slow'
    assert time.monotonic() - start >= 0.5


def test_hang_holds_the_reply_until_released(fake):
    fault = fake.inject('POST', '/zones/{zone}/records', hang=True)
    result = {}
    t = threading.Thread(target=lambda: result.update(
        reply=call(fake, 'POST', '/zones/h/records', {'content': 'held'}, timeout=30)))
    t.start()
    req = fault.wait_hit()
    assert req.status is None and fake.records == {}  # arrived, not answered, not applied
    # other requests are served meanwhile
    assert call(fake, 'GET', '/zones/h/records')[0] == 200
    assert t.is_alive()
    fault.release()
    t.join(10)
    assert not t.is_alive() and result['reply'][0] == 201
    assert fake.records == {'h': [{'content': 'held'}]}


def test_hang_with_status_answers_it_on_release_and_stop_releases(tmp_path):
    fake = EchoFake(workdir=tmp_path / 'f2').start()
    fake.inject('GET', '/zones/{zone}/records', hang=True, status=503)
    result = {}
    t = threading.Thread(target=lambda: result.update(
        reply=call(fake, 'GET', '/zones/s/records', timeout=30)))
    t.start()
    fake.wait_for_request('GET', '/zones/{zone}/records')
    fake.stop()  # releases the held reply: it gets its 503 instead of hanging the test
    t.join(10)
    assert not t.is_alive() and result['reply'][0] == 503


# --- the BIND backend -------------------------------------------------------------------------

def test_backend_changes_are_what_bind_serves(sandbox):
    dns = BindBackend.from_sandbox(sandbox)
    name = '_acme-challenge.backend.example.test'
    assert dns.zone_of(name) == 'example.test' and dns.zone_of('x.nowhere.test') is None
    dns.add_txt(name, 'one')
    dns.add_txt(name, 'two')
    assert sorted(dns.txt_values(name)) == ['one', 'two']
    assert sorted(sandbox.query_txt('primary', name)) == ['one', 'two']
    dns.remove_txt(name, 'one')
    dns.remove_txt(name, 'absent')  # RFC 2136 delete of a missing value: no error
    assert dns.txt_values(name) == ['two']
    dns.replace_txt(name, ['a', 'b', 'c'])
    assert sorted(dns.txt_values(name)) == ['a', 'b', 'c']
    long_value = 'x' * 300  # split into two character-strings, read back joined
    dns.replace_txt(name, [long_value])
    assert dns.txt_values(name) == [long_value]
    dns.replace_txt(name, [])
    assert dns.txt_values(name) == [] and sandbox.query_txt('primary', name) == []
    with pytest.raises(ValueError, match='none of the zones'):
        dns.add_txt('_acme-challenge.elsewhere.invalid', 'v')


def test_backend_delay_applies_later_in_order(sandbox):
    dns = BindBackend.from_sandbox(sandbox, delay=1.0)
    name = '_acme-challenge.delayed.example.test'
    dns.add_txt(name, 'first')
    dns.remove_txt(name, 'first')
    dns.add_txt(name, 'second')
    assert dns.pending() == 3
    assert dns.txt_values(name) == []  # accepted by the "API", not served yet
    dns.wait_applied(timeout=15)
    assert dns.txt_values(name) == ['second'] and dns.errors == []
    dns.delay = 0
    dns.remove_txt(name, 'second')
    assert dns.txt_values(name) == []


def test_backend_keeps_errors_of_delayed_changes(sandbox):
    dns = BindBackend(sandbox.primary_ip, sandbox.dns_port, sandbox.zones, sandbox.tsig_name,
                      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', delay=0.1)
    dns.add_txt('_acme-challenge.badkey.example.test', 'v')
    dns.wait_applied(timeout=15)
    assert len(dns.errors) == 1


# --- dns01's own HTTP client against a fake ---------------------------------------------------

@pytest.fixture
def host_tool(build_dir, tmp_path):
    """run(fake, extra_table_lines) -> (CompletedProcess, JSON) for `add a.example.test v1`
    through dns01-provider-tool and provider-test.so (tests/provider/modules), which POSTs each
    record to <api_url>/records with Host::http()."""
    import os
    tool = os.path.join(build_dir, 'tests', 'provider', 'dns01-provider-tool')
    modules = os.environ.get('DNS01_TEST_MODULE_DIR') or os.path.join(
        build_dir, 'tests', 'provider', 'modules')
    for path in (tool, os.path.join(modules, 'provider-test.so')):
        if not os.path.exists(path):
            pytest.fail('%s is not built (ninja builds it with the provider suite)' % path)

    def run(fake, *lines):
        config = tmp_path / 'host.toml'
        config.write_text('\n'.join(['[providers.conf]', 'type = "test"',
                                     'zones = ["example.test"]',
                                     'state_path = "%s"' % (tmp_path / 'state'),
                                     'api_url = "%s"' % fake.url, 'token = "s3cr3t-t0k"']
                                    + list(lines)) + '\n')
        env = {k: v for k, v in os.environ.items()
               if k not in ('SSL_CERT_FILE', 'SSL_CERT_DIR', 'CURL_CA_BUNDLE')}
        env['DNS01_PROVIDER_PATH'] = modules
        proc = subprocess.run([tool, '--config', str(config), '--provider', 'conf', '--json',
                               'add', 'a.example.test', 'v1'], env=env, capture_output=True,
                              text=True, timeout=60)
        return proc, json.loads(proc.stdout)
    return run


def test_dns01_trusts_the_fake_through_the_provider_tables_ca_bundle(fake, host_tool):
    fake.route('POST', '/records', lambda r: Response(201, {'ok': True}))
    proc, result = host_tool(fake, 'ca_bundle = "%s"' % fake.ca_pem)
    assert proc.returncode == 0 and result['ok'], proc.stderr
    req = fake.wait_for_request('POST', '/records')
    assert req.headers['Authorization'] == 'Bearer s3cr3t-t0k'
    assert req.body == b'a.example.test v1' and req.status == 201
    # an injected rate limit reaches the provider as the vendor would send it
    fault = fake.inject('POST', '/records', status=429, headers={'Retry-After': '1'})
    proc, result = host_tool(fake, 'ca_bundle = "%s"' % fake.ca_pem)
    assert fault.hits == 1 and proc.returncode == 6 and 'HTTP 429' in result['error']['message']


def test_without_ca_bundle_dns01_refuses_the_fakes_certificate(fake, host_tool):
    fake.route('POST', '/records', lambda r: Response(201, {'ok': True}))
    proc, result = host_tool(fake)
    assert proc.returncode == 4 and not result['ok'], proc.stderr  # network category
    assert 'certificate' in result['error']['message'] and 'ca_bundle' in result['error']['hint']
    assert fake.count('POST', '/records') == 0  # the handshake failed: no request arrived
    assert 's3cr3t-t0k' not in proc.stderr + proc.stdout
