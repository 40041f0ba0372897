"""The ACME client library against a small fake CA (tests/e2e/fakes/fake_acme.py):
malformed or failing replies must give clear errors (never a crash), badNonce retries are
bounded, and ARI (RFC 9773) and profiles (draft-aaron-acme-profiles), which Debian's pebble
lacks, work as specified. No sandbox needed: the fake runs in this process on 127.0.0.1."""

import datetime
import os

import pytest

from fakes.acme_driver import run_driver
from fakes.fake_acme import FakeAcme


@pytest.fixture
def fake():
    with FakeAcme() as f:
        yield f
    assert f.protocol_errors == []


def drive(fake, tmp_path, command, *args):
    return run_driver(command, fake.directory_url, tmp_path, *args, timeout=60)


def assert_clear_error(r, rc, *fragments):
    assert r.rc == rc, r
    assert r.error is not None, r
    for f in fragments:
        assert f in r.error['message'], r.error
    assert 'Traceback' not in r.stderr and 'terminate' not in r.stderr


def test_fake_serves_a_working_account_and_order(fake, tmp_path):
    r = drive(fake, tmp_path, 'order', '--agree-tos', '--name', 'example.test', '--name', '*.example.test')
    assert r.rc == 0, r
    assert r.json['status'] == 'pending'
    kinds = [path for (_, path, _, _) in fake.requests]
    assert kinds == ['/new-acct', '/new-order']
    _, _, header, payload = fake.requests[1]
    assert header['kid'] == fake.base + '/acct/1' and 'jwk' not in header
    assert payload['identifiers'] == [{'type': 'dns', 'value': 'example.test'},
                                      {'type': 'dns', 'value': '*.example.test'}]
    assert 'profile' not in payload and 'replaces' not in payload


@pytest.mark.parametrize('body,fragment', [
    ('<html><body>Welcome to nginx</body></html>', 'not valid JSON'),
    ('[1, 2, 3]', 'not an object'),
    ('{"newNonce": "x", "newAccount": "y"}', "'newOrder' is missing"),
    ('{"newNonce": 42, "newAccount": "y", "newOrder": "z"}', "'newNonce' is a number"),
    ('{"newNonce": "x", "newAccount": "y", "newOrder": "z", "meta": "nope"}', 'meta'),
], ids=['html', 'array', 'missing', 'wrong-type', 'bad-meta'])
def test_malformed_directory(fake, tmp_path, body, fragment):
    fake.overrides['/dir'] = (200, {}, body)
    r = drive(fake, tmp_path, 'directory')
    assert_clear_error(r, 5, 'parse directory', fragment)


def test_oversized_directory(fake, tmp_path):
    fake.overrides['/dir'] = (200, {}, '{"pad": "' + 'x' * (3 << 20) + '"}')
    r = drive(fake, tmp_path, 'directory')
    assert r.rc in (4, 5), r
    assert 'bytes' in r.error['message'] or 'large' in r.error['message'], r.error


def test_directory_server_error(fake, tmp_path):
    fake.overrides['/dir'] = (503, {'Content-Type': 'text/html'}, '<html>maintenance</html>')
    r = drive(fake, tmp_path, 'directory')
    assert r.rc in (4, 5), r
    assert '503' in r.error['message'], r.error


def test_problem_document_on_new_account(fake, tmp_path):
    fake.overrides['/new-acct'] = (500, {'Content-Type': 'application/problem+json'},
                                   {'type': 'urn:ietf:params:acme:error:serverInternal',
                                    'detail': 'database on fire', 'status': 500})
    r = drive(fake, tmp_path, 'account-new', '--agree-tos')
    assert_clear_error(r, 5, 'create account', 'serverInternal', 'database on fire')
    assert r.error['type'] == 'urn:ietf:params:acme:error:serverInternal'
    assert r.error['status'] == 500


def test_account_reply_without_location(fake, tmp_path):
    fake.overrides['/new-acct'] = (201, {}, {'status': 'valid'})
    r = drive(fake, tmp_path, 'account-new', '--agree-tos')
    assert_clear_error(r, 5, 'create account', 'Location')


@pytest.mark.parametrize('body,fragment', [
    ('not json at all', 'not valid JSON'),
    ('{"status": 7}', "'status' is a number"),
    ('{"contact": []}', "'status' is missing"),
], ids=['text', 'wrong-type', 'missing'])
def test_malformed_account(fake, tmp_path, body, fragment):
    fake.overrides['/new-acct'] = (201, {'Location': fake.base + '/acct/1'}, body)
    r = drive(fake, tmp_path, 'account-new', '--agree-tos')
    assert_clear_error(r, 5, 'parse account', fragment)


def test_malformed_order(fake, tmp_path):
    fake.overrides['/new-order'] = (201, {'Location': fake.base + '/order/1'},
                                    {'status': 'pending', 'identifiers': 'example.test'})
    r = drive(fake, tmp_path, 'order', '--agree-tos', '--name', 'example.test')
    assert_clear_error(r, 5, 'parse order', 'identifiers')


def test_rate_limited_with_subproblems_and_retry_after(fake, tmp_path):
    fake.overrides['/new-order'] = (429, {'Content-Type': 'application/problem+json', 'Retry-After': '120'}, {
        'type': 'urn:ietf:params:acme:error:rateLimited', 'status': 429,
        'detail': 'too many certificates for this name',
        'subproblems': [{'type': 'urn:ietf:params:acme:error:rateLimited',
                         'detail': '5 per week', 'identifier': {'type': 'dns', 'value': 'example.test'}}]})
    r = drive(fake, tmp_path, 'order', '--agree-tos', '--name', 'example.test')
    assert_clear_error(r, 5, 'create order', 'rateLimited', 'too many certificates', 'example.test')
    assert r.error['retry_after'] == 120
    assert r.error['subproblems'] == 1
    assert 'Retry-After' in r.error['hint']


def test_bad_nonces_are_retried_with_the_fresh_nonce(fake, tmp_path):
    fake.bad_nonces = 3
    r = drive(fake, tmp_path, 'account-new', '--agree-tos')
    assert r.rc == 0, r
    assert [p for (_, p, _, _) in fake.requests] == ['/new-acct'] * 4
    nonces = [h['nonce'] for (_, _, h, _) in fake.requests]
    assert len(set(nonces)) == 4  # never reuses a nonce


def test_bad_nonce_retries_are_bounded(fake, tmp_path):
    fake.bad_nonces = 1000
    r = drive(fake, tmp_path, 'account-new', '--agree-tos')
    assert_clear_error(r, 5, 'create account', 'badNonce')
    assert len(fake.requests) == 6  # 1 try + 5 retries


def test_profiles_are_sent_and_echoed(fake, tmp_path):
    r = drive(fake, tmp_path, 'directory')
    assert r.json['meta']['profiles'] == fake.profiles
    r = drive(fake, tmp_path, 'order', '--agree-tos', '--name', 'example.test', '--profile', 'shortlived')
    assert r.rc == 0, r
    assert r.json['profile'] == 'shortlived'
    assert fake.requests[-1][3]['profile'] == 'shortlived'


def test_unknown_profile_is_refused_before_ordering(fake, tmp_path):
    r = drive(fake, tmp_path, 'order', '--agree-tos', '--name', 'example.test', '--profile', 'tlsclient')
    assert_clear_error(r, 2, 'tlsclient')
    assert 'classic' in r.error['hint'] and 'shortlived' in r.error['hint']
    assert '/new-order' not in [p for (_, p, _, _) in fake.requests]
    fake.profiles = {}
    r = drive(fake, tmp_path, 'order', '--agree-tos', '--name', 'example.test', '--profile', 'classic')
    assert_clear_error(r, 2, 'classic')


def make_rfc9773_certificate(path):
    """A certificate with RFC 9773 §4.1's example AKI keyIdentifier and serial 0x87654321."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'example.test')])
    now = datetime.datetime(2030, 1, 1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(0x87654321).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=7))
            .add_extension(x509.AuthorityKeyIdentifier(bytes.fromhex('69885B6B87464041E1B37B847BA0AE2CDE01C8D4'),
                                                       None, None), critical=False)
            .sign(key, hashes.SHA256()))
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def test_ari_renewal_info_and_replaces(fake, tmp_path):
    cert = tmp_path / 'cert.pem'
    make_rfc9773_certificate(cert)
    r = drive(fake, tmp_path, 'ari', '--agree-tos', '--cert', cert)
    assert r.rc == 0, r
    assert r.json['cert_id'] == 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE'
    assert fake.ari_queries == ['aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE']
    assert r.json['start'] == '2030-01-02T00:00:00Z' and r.json['end'] == '2030-01-03T00:00:00Z'
    assert r.json['start'] <= r.json['chosen'] <= r.json['end']
    assert r.json['retry_after'] == 21600
    assert r.json['explanation_url'] == fake.base + '/docs/ari'

    r = drive(fake, tmp_path, 'order', '--agree-tos', '--name', 'example.test',
              '--replaces', 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE')
    assert r.rc == 0, r
    assert fake.requests[-1][3]['replaces'] == 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE'
    assert r.json['replaces'] == 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE'


def test_ari_window_in_the_past_means_renew_now(fake, tmp_path):
    cert = tmp_path / 'cert.pem'
    make_rfc9773_certificate(cert)
    fake.renewal_window = ('2001-01-01T00:00:00Z', '2001-01-02T00:00:00Z')
    r = drive(fake, tmp_path, 'ari', '--agree-tos', '--cert', cert)
    assert r.rc == 0, r
    now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H')
    assert r.json['chosen'].startswith(now)


@pytest.mark.parametrize('body', ['{}', '{"suggestedWindow": {"start": "yesterday", "end": "today"}}',
                                  '{"suggestedWindow": {"start": "2030-01-03T00:00:00Z", "end": "2030-01-02T00:00:00Z"}}'],
                         ids=['empty', 'not-rfc3339', 'reversed'])
def test_malformed_renewal_info(fake, tmp_path, body):
    cert = tmp_path / 'cert.pem'
    make_rfc9773_certificate(cert)
    fake.overrides['/ari/aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE'] = (200, {}, body)
    r = drive(fake, tmp_path, 'ari', '--agree-tos', '--cert', cert)
    assert_clear_error(r, 5, 'parse renewal info')


def issue_against(fake, tmp_path, *extra):
    return drive(fake, tmp_path, 'issue', '--agree-tos', '--name', 'example.test', '--solver', 'none',
                 '--cert-key', tmp_path / 'cert.key', '--out', tmp_path / 'chain.pem', *extra)


def poll_gaps(fake, path):
    times = [t for (req, t) in zip(fake.requests, fake.times) if req[1] == path]
    return [b - a for a, b in zip(times, times[1:])]


def test_polling_honours_retry_after(fake, tmp_path):
    fake.pending_polls = 2
    fake.retry_after = '1'
    r = issue_against(fake, tmp_path)
    assert r.rc == 0, r
    paths = [p for (_, p, _, _) in fake.requests]
    assert paths.count('/authz/1') == 1 + 3  # fetch, then pending, pending, valid
    # the two polls after a "pending, Retry-After: 1" wait about a second
    assert all(g >= 0.9 for g in poll_gaps(fake, '/authz/1')[-2:]), poll_gaps(fake, '/authz/1')
    # finalize answered "processing, Retry-After: 1": the order poll came a second later
    finalize_at = fake.times[paths.index('/finalize/1')]
    next_poll = [t for (p, t) in zip(paths, fake.times) if p == '/order/1' and t > finalize_at][0]
    assert next_poll - finalize_at >= 0.9
    assert fake.csr  # the CSR reached the CA


def test_polling_without_retry_after_starts_short(fake, tmp_path):
    fake.pending_polls = 2
    fake.retry_after = None
    r = issue_against(fake, tmp_path)
    assert r.rc == 0, r
    gaps = poll_gaps(fake, '/authz/1')[-2:]
    # ~75 ms then ~150 ms (bounded exponential backoff); loose bounds, this is not a benchmark
    assert 0.04 <= gaps[0] < 0.6 and gaps[1] >= gaps[0] * 0.9, gaps


def test_alternate_chain_from_link_header(fake, tmp_path):
    r = issue_against(fake, tmp_path, '--preferred-chain', 'Fake Root B')
    assert r.rc == 0, r
    assert [c['top_issuer_cn'] for c in r.json['chains']] == ['Fake Root A', 'Fake Root B']
    assert r.json['selected']['top_issuer_cn'] == 'Fake Root B'
    assert r.json['selected']['url'] == fake.base + '/cert/1/alt'
    r = issue_against(fake, tmp_path)
    assert r.json['selected']['top_issuer_cn'] == 'Fake Root A'


def test_certificate_reply_that_is_not_pem(fake, tmp_path):
    fake.overrides['/cert/1'] = (200, {'Content-Type': 'application/pem-certificate-chain'}, 'garbage')
    r = issue_against(fake, tmp_path)
    assert_clear_error(r, 5, 'certificate', 'no PEM certificate')
