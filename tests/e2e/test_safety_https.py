"""Issue 17, finding 3: HTTPS is enforced for the ACME server, its redirects and every URL it
hands out. A 302 from the https directory to the cloud metadata service used to be followed,
and order/authorization URLs pointing to plain http received signed POSTs.

The hostile CA is the fake of tests/e2e/fakes/fake_acme.py served over TLS (a throw-away
certificate for 127.0.0.1 given to dns01 as ca_bundle); a plain-HTTP listener on loopback
records whatever would reach the places it points to.
"""

import datetime
import http.server
import ipaddress
import json
import os
import ssl
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fakes.fake_acme import FakeAcme
from issue_support import describe, issue_env, sb  # noqa: F401


def self_signed(directory):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'hostile test CA')])
    now = datetime.datetime.utcnow()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path = os.path.join(directory, 'hostile.pem')
    key_path = os.path.join(directory, 'hostile.key')
    with open(cert_path, 'wb') as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, 'wb') as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


class Recorder:
    """A plain-HTTP listener on loopback that records every request it gets."""

    def __init__(self):
        self.requests = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def handle_one_request(self):
                super().handle_one_request()

            def do_any(self):
                recorder.requests.append((self.command, self.path))
                self.send_response(200)
                self.send_header('Content-Length', '0')
                self.end_headers()

            do_GET = do_POST = do_HEAD = do_any

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = 'http://127.0.0.1:%d' % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hostile_ca(tmp_path):
    cert, key = self_signed(str(tmp_path))
    fake = FakeAcme()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    fake._server.socket = context.wrap_socket(fake._server.socket, server_side=True)
    fake.base = 'https://127.0.0.1:%d' % fake._server.server_address[1]
    fake.directory_url = fake.base + '/dir'
    with fake:
        yield fake, cert


def run_against(env, fake, bundle, name):
    env.write_config(acme={'server': fake.directory_url, 'ca_bundle': bundle})
    return env.issue([name])


def test_redirect_from_the_directory_to_the_metadata_service_is_refused(sb, issue_env, hostile_ca):
    fake, bundle = hostile_ca
    fake.overrides['/dir'] = (302, {'Location': 'http://169.254.169.254/latest/meta-data/'}, '')
    proc, result = run_against(issue_env, fake, bundle, 'redirect.example.test')
    assert proc.returncode == 4, describe(proc)
    assert 'refused' in result['error']['message'], result['error']


def test_plain_http_urls_from_the_ca_receive_no_signed_request(sb, issue_env, hostile_ca):
    fake, bundle = hostile_ca
    with Recorder() as plain:
        directory = fake.directory()
        directory['newAccount'] = plain.url + '/new-acct'
        fake.overrides['/dir'] = (200, {}, json.dumps(directory))
        proc, result = run_against(issue_env, fake, bundle, 'plainacct.example.test')
        assert proc.returncode == 4, describe(proc)
        assert 'only https://' in result['error']['message'], result['error']
        assert plain.requests == [], 'a request went out over plain HTTP'


def test_order_url_to_plain_http_receives_no_signed_request(sb, issue_env, hostile_ca):
    fake, bundle = hostile_ca
    with Recorder() as plain:
        order = {'status': 'pending', 'identifiers': [{'type': 'dns', 'value': 'plainorder.example.test'}],
                 'authorizations': [plain.url + '/authz/1'], 'finalize': plain.url + '/finalize/1'}
        fake.overrides['/new-order'] = (201, {'Location': plain.url + '/order/1'}, json.dumps(order))
        proc, result = run_against(issue_env, fake, bundle, 'plainorder.example.test')
        assert proc.returncode == 4, describe(proc)
        assert plain.requests == [], 'a request went out over plain HTTP'


def test_config_check_refuses_a_plain_http_server_with_file_and_line(issue_env, run_dns01):
    env = issue_env
    env.write_config(acme={'server': 'http://acme.example/directory'})
    proc = run_dns01(['config', 'check'], config=env.config)
    assert proc.returncode == 3, describe(proc)
    assert '%s:2' % env.config in proc.stderr, proc.stderr
    assert 'https' in proc.stderr


def test_command_line_server_over_plain_http_is_a_usage_error(issue_env):
    proc, result = issue_env.issue(['cli.example.test'], '--server', 'http://acme.example/directory')
    assert proc.returncode == 2, describe(proc)
    assert 'http://' in result['error']['message']


# --- what the CA's errors say (finding 11) -------------------------------------------------------

def test_a_refused_eab_binding_gets_an_eab_hint_not_a_dns_one(sb, issue_env, hostile_ca):
    fake, bundle = hostile_ca
    env = issue_env
    mac = os.path.join(env.dir, 'eab.key')
    with open(mac, 'w', encoding='ascii') as f:
        f.write('c2VjcmV0LW1hYy1rZXktZm9yLXRlc3RzLTAxMjM0NTY3\n')
    os.chmod(mac, 0o600)
    problem = {'type': 'urn:ietf:params:acme:error:unauthorized',
               'detail': 'external account binding: HMAC does not match', 'status': 401}
    fake.overrides['/new-acct'] = (401, {'Content-Type': 'application/problem+json'}, json.dumps(problem))
    env.write_config(acme={'server': fake.directory_url, 'ca_bundle': bundle,
                           'eab_kid': 'kid-1', 'eab_hmac_key_file': mac})
    proc, result = env.issue(['eab.example.test'])
    assert proc.returncode == 5, describe(proc)
    hint = result['error']['hint']
    assert 'EAB' in hint and 'record' not in hint, hint


def test_a_ca_url_with_a_line_break_cannot_forge_an_error_line(sb, issue_env, hostile_ca):
    fake, bundle = hostile_ca
    directory = fake.directory()
    directory['newNonce'] = fake.base + '/nonce\r\ndns01: error: forged line'
    fake.overrides['/dir'] = (200, {}, json.dumps(directory))
    proc, _ = run_against(issue_env, fake, bundle, 'crlf.example.test')
    assert proc.returncode == 5, describe(proc)
    assert 'the CA handed out an unusable URL' in proc.stderr, proc.stderr
    assert not [line for line in proc.stderr.splitlines() if line.startswith('dns01: error: forged')], \
        proc.stderr
