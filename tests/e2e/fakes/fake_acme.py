"""A small, faithful ACME server fake (RFC 8555 + RFC 9773 ARI + draft-aaron-acme-profiles).

Pebble 2.4 (Debian) has neither renewalInfo nor profiles, and never sends malformed replies;
this fake covers both. It runs in a thread of the test process on 127.0.0.1 (plain HTTP, a free
port) and checks what a real CA checks about the requests it gets: flattened JWS shape, a nonce
it issued and not yet used, the `url` header matching the request, `jwk` for newAccount and
`kid` otherwise, Content-Type application/jose+json. Signatures are not verified (pebble's e2e
tests cover that against a real implementation).

Tests steer it with attributes:
  overrides[path] = (status, headers, body)  answer that path with exactly this (malformed
                                             replies, problem documents, oversized bodies)
  bad_nonces = N                             reject the next N POSTs with badNonce
  profiles = {...}                           meta.profiles of the directory
  renewal_window = (start, end)              RFC 3339 strings of the ARI suggestedWindow
  pending_polls = N                          authorization polls answered `pending` (with
                                             Retry-After: retry_after) after the challenge
and read what it saw in `requests` (list of (method, path, protected header, payload)),
`times` (time.monotonic() of each request) and `ari_queries` (the CertIDs asked for).

The issuance path is simplified but follows RFC 8555's state machine: one authorization per
order (/authz/1 with a dns-01 challenge /chall/1), no DNS check (the fake trusts the client),
finalize → processing (Retry-After) → valid, and a certificate with one alternate chain.
"""

import base64
import http.server
import json
import secrets
import threading
import time


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients that hang up on purpose (size limits) are not errors of the fake


def b64d(s):
    return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))


class FakeAcme:
    def __init__(self):
        self.overrides = {}
        self.bad_nonces = 0
        self.profiles = {'classic': 'The default profile', 'shortlived': '6-day certificates'}
        self.renewal_window = ('2030-01-02T00:00:00Z', '2030-01-03T00:00:00Z')
        self.requests = []
        self.times = []
        self.pending_polls = 0
        self.retry_after = '1'
        self.csr = None
        self._answered = False
        self._finalized = 0
        self._chains = None
        self.ari_queries = []
        self.protocol_errors = []  # what the fake found wrong in a client request
        self._nonces = set()
        self._lock = threading.Lock()
        self._server = _Server(('127.0.0.1', 0), self._handler())
        self.base = 'http://127.0.0.1:%d' % self._server.server_address[1]
        self.directory_url = self.base + '/dir'
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={'poll_interval': 0.05},
                                        daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    # --- documents ---------------------------------------------------------------------------
    def directory(self):
        b = self.base
        d = {'newNonce': b + '/nonce', 'newAccount': b + '/new-acct', 'newOrder': b + '/new-order',
             'revokeCert': b + '/revoke', 'keyChange': b + '/key-change', 'renewalInfo': b + '/ari',
             'meta': {'termsOfService': b + '/tos'}}
        if self.profiles:
            d['meta']['profiles'] = self.profiles
        return d

    def new_nonce(self):
        n = secrets.token_urlsafe(16)
        with self._lock:
            self._nonces.add(n)
        return n

    def _handler(fake):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):
                pass

            def reply(self, status, body=b'', headers=None, ctype='application/json'):
                if isinstance(body, (dict, list)):
                    body = json.dumps(body).encode()
                elif isinstance(body, str):
                    body = body.encode()
                self.send_response(status)
                self.send_header('Replay-Nonce', fake.new_nonce())
                self.send_header('Content-Type', ctype)
                self.send_header('Content-Length', str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                if self.command != 'HEAD':
                    self.wfile.write(body)

            def problem(self, status, kind, detail, headers=None, **extra):
                doc = {'type': 'urn:ietf:params:acme:error:' + kind, 'detail': detail, 'status': status}
                doc.update(extra)
                self.reply(status, doc, headers, 'application/problem+json')

            def overridden(self):
                o = fake.overrides.get(self.path)
                if o is None:
                    return False
                status, headers, body = o
                self.reply(status, body, headers, (headers or {}).get('Content-Type', 'application/json'))
                return True

            def do_HEAD(self):
                self.reply(200 if self.path == '/nonce' else 404)

            def do_GET(self):
                if self.overridden():
                    return
                if self.path == '/dir':
                    return self.reply(200, fake.directory())
                if self.path == '/nonce':
                    return self.reply(204)
                if self.path.startswith('/ari/'):
                    fake.ari_queries.append(self.path[len('/ari/'):])
                    start, end = fake.renewal_window
                    return self.reply(200, {'suggestedWindow': {'start': start, 'end': end},
                                            'explanationURL': fake.base + '/docs/ari'},
                                      {'Retry-After': '21600'})
                self.problem(404, 'malformed', 'no such resource')

            def do_POST(self):
                length = int(self.headers.get('Content-Length', '0'))
                raw = self.rfile.read(length)
                try:
                    jws = json.loads(raw)
                    protected = json.loads(b64d(jws['protected']))
                    payload = json.loads(b64d(jws['payload'])) if jws['payload'] else None
                    assert isinstance(jws['signature'], str) and jws['signature']
                except Exception as e:  # noqa: BLE001 - any malformed request is a client bug
                    fake.protocol_errors.append('bad JWS: %r' % e)
                    return self.problem(400, 'malformed', 'request is not a flattened JWS')
                fake.requests.append(('POST', self.path, protected, payload))
                fake.times.append(time.monotonic())
                if self.headers.get('Content-Type') != 'application/jose+json':
                    fake.protocol_errors.append('content type %s' % self.headers.get('Content-Type'))
                if protected.get('url') != fake.base + self.path:
                    fake.protocol_errors.append('url %s for %s' % (protected.get('url'), self.path))
                with fake._lock:
                    known = protected.get('nonce') in fake._nonces
                    fake._nonces.discard(protected.get('nonce'))
                    reject = fake.bad_nonces > 0
                    if reject:
                        fake.bad_nonces -= 1
                if not known or reject:
                    return self.problem(400, 'badNonce', 'JWS has an invalid anti-replay nonce')
                wants_jwk = self.path in ('/new-acct',)
                if wants_jwk != ('jwk' in protected) or wants_jwk == ('kid' in protected):
                    fake.protocol_errors.append('jwk/kid mix-up on %s' % self.path)
                if self.overridden():
                    return
                if self.path == '/new-acct':
                    return self.reply(201, {'status': 'valid', 'contact': (payload or {}).get('contact', [])},
                                      {'Location': fake.base + '/acct/1'})
                if self.path == '/new-order':
                    profile = payload.get('profile')
                    if profile is not None and profile not in fake.profiles:
                        return self.problem(400, 'invalidProfile', 'unknown profile %s' % profile)
                    order = {'status': 'pending', 'identifiers': payload['identifiers'],
                             'authorizations': [fake.base + '/authz/1'], 'finalize': fake.base + '/finalize/1'}
                    if profile:
                        order['profile'] = profile
                    if payload.get('replaces'):
                        order['replaces'] = payload['replaces']
                    return self.reply(201, order, {'Location': fake.base + '/order/1'})
                if self.path == '/authz/1':
                    return fake.authorization(self)
                if self.path == '/chall/1':
                    fake._answered = True
                    return self.reply(200, fake.challenge('processing'))
                if self.path == '/order/1':
                    return self.reply(200, fake.order(), fake.order_headers())
                if self.path == '/finalize/1':
                    fake.csr = payload.get('csr')
                    fake._finalized = 1
                    return self.reply(200, fake.order(), fake.order_headers())
                if self.path in ('/cert/1', '/cert/1/alt'):
                    alt = self.path.endswith('/alt')
                    links = {} if alt else {'Link': '<%s/cert/1/alt>;rel="alternate"' % fake.base}
                    return self.reply(200, fake.chain(alt), links, 'application/pem-certificate-chain')
                self.problem(404, 'malformed', 'no such resource')

        return Handler

    # --- issuance state machine -------------------------------------------------------------
    def challenge(self, status):
        return {'type': 'dns-01', 'url': self.base + '/chall/1', 'status': status, 'token': 'fake-token'}

    def authorization(self, handler):
        status = 'pending'
        if self._answered:
            if self.pending_polls > 0:
                self.pending_polls -= 1
            else:
                status = 'valid'
        body = {'identifier': {'type': 'dns', 'value': 'example.test'}, 'status': status,
                'challenges': [self.challenge(status)]}
        headers = {'Retry-After': self.retry_after} if status == 'pending' and self._answered and self.retry_after else {}
        handler.reply(200, body, headers)

    def order(self):
        o = {'status': 'pending', 'identifiers': [{'type': 'dns', 'value': 'example.test'}],
             'authorizations': [self.base + '/authz/1'], 'finalize': self.base + '/finalize/1'}
        if self._answered and self.pending_polls == 0:
            o['status'] = 'ready'
        if self._finalized == 1:
            o['status'] = 'processing'
            self._finalized = 2
        elif self._finalized == 2:
            o['status'] = 'valid'
            o['certificate'] = self.base + '/cert/1'
        return o

    def order_headers(self):
        return {'Retry-After': self.retry_after} if self._finalized and self.retry_after else {}

    def chain(self, alternate):
        if self._chains is None:
            self._chains = (make_chain('Fake Root A'), make_chain('Fake Root B'))
        return self._chains[1 if alternate else 0]


def make_chain(root_cn):
    """leaf (example.test) + an intermediate issued by `root_cn`, as PEM."""
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    now = datetime.datetime(2030, 1, 1)
    key = ec.generate_private_key(ec.SECP256R1())

    def cert(subject, issuer, serial):
        b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
             .public_key(key.public_key()).serial_number(serial).not_valid_before(now)
             .not_valid_after(now + datetime.timedelta(days=7)))
        if subject == 'example.test':
            b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName('example.test')]), critical=False)
        return b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()

    return cert('example.test', 'Fake Intermediate', 2) + cert('Fake Intermediate', root_cn, 3)
