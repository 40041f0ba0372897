"""apifake: the framework under every cloud DNS API fake (Cloudflare, Route 53, Azure DNS, ...).

A fake is a real HTTPS server on loopback whose record changes land in the sandbox's BIND primary
(RFC 2136), so `dns01 issue` through a cloud provider runs end to end against pebble, and what
the fake says it holds is what BIND serves. docs/fakes.md walks through writing one.

API (Debian's /usr/bin/python3; stdlib + python3-cryptography + python3-dnspython):

    fake = ApiFake(workdir=None, name='apifake')   # subclass it; register routes in __init__
    fake.start() -> fake / fake.stop()             # also a context manager; stop() is idempotent
    fake.url         'https://127.0.0.1:<port>'    (fake.host, fake.port)
    fake.ca_pem      path of the throw-away CA's PEM: dns01's `ca_bundle`, REQUESTS_CA_BUNDLE, ...
    fake.client_env() {REQUESTS_CA_BUNDLE, AWS_CA_BUNDLE, SSL_CERT_FILE, CURL_CA_BUNDLE: ca_pem}
    fake.ssl_context() an ssl.SSLContext trusting only ca_pem (for urllib in tests)

  Routes ({param} captures one path segment, {param*} the rest of the path, including slashes):
    fake.route('GET', '/zones/{zone_id}/dns_records', handler)   # or @fake.handles('GET', ...)
    handler(request) -> Response | dict/list (200 JSON) | (status, body[, headers]) | None (204)
    request.method / .path / .query {name: [values]} / .raw_query / .headers (case-insensitive
    lookups; .header_list keeps them as received) / .body (bytes) / .json() / .params (captures)
    / .arg(name, default) (first query value)
    Routes are tried in registration order; the first whose method and pattern match wins.
    No match -> fake.not_found(request) (override to shape the vendor's 404 body).
    A handler that raises -> 500 and the traceback in fake.errors (fake.assert_no_errors()).
    Paths are matched case-sensitively unless the subclass sets `case_insensitive_paths = True`.

  Request log (every request, also faulted ones; .status is the status sent, None while open):
    fake.requests / fake.requests_matching(method='*', pattern=None) / fake.count(...)
    fake.wait_for(predicate, timeout=10, what='...') -> the predicate's first truthy value;
      polls every 10 ms and raises TimeoutError naming `what` (no fixed sleeps in tests)
    fake.wait_for_request(method, pattern, count=1, timeout=10) -> the count-th such request

  Faults, per method ('*' = any) and path pattern, for the next `count` matching requests
  (None = every one), checked before the route (first matching fault with budget wins):
    fault = fake.inject('POST', '/zones/{id}/dns_records', status=429,
                        headers={'Retry-After': '1'}, body={...}, count=1)
    fake.inject(..., delay=2.0)            # answer after 2 s (status None: the route answers)
    fake.inject(..., after=1)              # let the first matching request through, then fault
    fault = fake.inject(..., hang=True)    # hold the reply until fault.release() (or stop());
                                           # then answer `status` if given, else the route
    fault.hits / fault.wait_hit(n=1, timeout=10) / fault.release() / fake.clear_faults()

  DNS backend (what the fake's records are; shared by fakes that serve the same sandbox):
    dns = BindBackend.from_sandbox(sb, delay=0.0)   # full TSIG key, updates to the primary
    dns.add_txt(name, value, ttl=60) / dns.remove_txt(name, value)
    dns.replace_txt(name, values, ttl=60)           # whole RRset (Route 53 UPSERT, Azure PUT)
    dns.txt_values(name) -> [str]                   # a real query to the primary
    dns.zone_of(name) / dns.zones
    dns.delay = 2.0      # changes from now on are applied 2 s later by a background thread,
                         # in order; dns.wait_applied(timeout) waits until none is pending;
                         # dns.errors holds failures of delayed updates (assert it is empty)

Files: this module (server, routes, log, faults); apifake_dns.py (BindBackend) and
apifake_support.py (wait_for, make_tls), both re-exported here: `from apifake import ...`.

Threading: every request runs in its own thread (ThreadingHTTPServer); handlers that touch the
subclass's state must hold `fake.lock` (an RLock) — the framework's own state is locked inside.
"""

import http.server
import json
import os
import re
import socketserver
import ssl
import tempfile
import threading
import time
import traceback
import urllib.parse

from apifake_dns import BindBackend
from apifake_support import make_tls, wait_for

__all__ = ['ApiFake', 'BindBackend', 'Fault', 'Request', 'Response', 'make_tls', 'wait_for']

HOLD_LIMIT = 120.0  # a held reply never outlives this (a forgotten release must not hang a run)


# --- requests, responses, faults ------------------------------------------------------------

class _Headers:
    """Headers as received: case-insensitive get(), `in`, [] ; .items() keeps order and case."""

    def __init__(self, pairs):
        self._pairs = list(pairs)

    def get(self, name, default=None):
        low = name.lower()
        for k, v in self._pairs:
            if k.lower() == low:
                return v
        return default

    def __getitem__(self, name):
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name):
        return self.get(name) is not None

    def items(self):
        return list(self._pairs)

    def __repr__(self):
        return 'Headers(%r)' % self._pairs


class Request:
    """One received request (see the module docstring). .status/.replied_at are set on reply."""

    def __init__(self, method, target, header_pairs, body):
        split = urllib.parse.urlsplit(target)
        self.method = method
        self.target = target
        self.path = split.path
        self.raw_query = split.query
        self.query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        self.header_list = list(header_pairs)
        self.headers = _Headers(header_pairs)
        self.body = body
        self.params = {}
        self.received_at = time.monotonic()
        self.status = None
        self.replied_at = None

    def arg(self, name, default=None):
        values = self.query.get(name)
        return values[0] if values else default

    def json(self):
        """The body parsed as JSON (ValueError when it is not JSON)."""
        return json.loads(self.body.decode('utf-8')) if self.body else None

    def __repr__(self):
        return '<%s %s -> %s>' % (self.method, self.target, self.status)


class Response:
    """status, headers (dict or list of pairs), body: bytes, str, or any JSON value (then the
    Content-Type defaults to application/json)."""

    def __init__(self, status=200, body=b'', headers=None, content_type=None):
        self.status = int(status)
        self.headers = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
        if isinstance(body, (bytes, bytearray)):
            self.body = bytes(body)
        elif isinstance(body, str):
            self.body = body.encode('utf-8')
            content_type = content_type or 'text/plain; charset=utf-8'
        else:
            self.body = json.dumps(body).encode('utf-8')
            content_type = content_type or 'application/json'
        if content_type and not any(k.lower() == 'content-type' for k, _ in self.headers):
            self.headers.append(('Content-Type', content_type))

    @classmethod
    def of(cls, value):
        """A handler's return value as a Response (see the module docstring)."""
        if isinstance(value, Response):
            return value
        if value is None:
            return cls(204)
        if isinstance(value, tuple):
            return cls(*value)
        return cls(200, value)


def _compile(pattern):
    """'/zones/{id}/records/{rest*}' -> regex with named groups; literal parts escaped."""
    out, pos = [], 0
    for m in re.finditer(r'\{(\w+)(\*?)\}', pattern):
        out.append(re.escape(pattern[pos:m.start()]))
        out.append('(?P<%s>%s)' % (m.group(1), '.*' if m.group(2) else '[^/]+'))
        pos = m.end()
    out.append(re.escape(pattern[pos:]))
    return ''.join(out)


class _Pattern:
    def __init__(self, method, pattern, case_insensitive):
        self.method = method.upper()
        self.pattern = pattern
        self.regex = re.compile(_compile(pattern), re.IGNORECASE if case_insensitive else 0)

    def match(self, method, path):
        if self.method not in ('*', method):
            return None
        m = self.regex.fullmatch(path)
        return {k: urllib.parse.unquote(v) for k, v in m.groupdict().items()} if m else None


class Fault:
    """An injected misbehaviour (see ApiFake.inject). .hits counts the requests it took."""

    def __init__(self, fake, pattern, status, headers, body, count, delay, hang, after):
        self._fake = fake
        self.pattern = pattern
        self.passed = int(after)  # matching requests still to let through untouched
        self.response = Response(status, body, headers) if status is not None else None
        self.remaining = count
        self.delay = float(delay)
        self.hang = bool(hang)
        self.hits = 0
        self.requests = []
        self._released = threading.Event()

    def _take(self, method, path):
        """Claims one use of the fault for this request (called under the fake's lock)."""
        if self.remaining == 0 or self.pattern.match(method, path) is None:
            return False
        if self.passed > 0:
            self.passed -= 1
            return False
        if self.remaining is not None:
            self.remaining -= 1
        self.hits += 1
        return True

    def release(self):
        """Lets held replies go (they answer the fault's status, or the route when it has none)."""
        self._released.set()

    def wait_hit(self, n=1, timeout=10.0):
        """Waits until n requests took this fault; returns the n-th such Request."""
        wait_for(lambda: self.hits >= n, timeout, '%d request(s) taking the fault on %s %s'
                 % (n, self.pattern.method, self.pattern.pattern))
        return self.requests[n - 1]

    def _apply(self, stopping):
        """Sleeps the delay / holds until released; returns the Response to send or None."""
        if self.delay:
            stopping.wait(self.delay)
        if self.hang:
            deadline = time.monotonic() + HOLD_LIMIT
            while not (self._released.is_set() or stopping.is_set()) \
                    and time.monotonic() < deadline:
                self._released.wait(0.05)
        return self.response


# --- the server -----------------------------------------------------------------------------

class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, fake, context):
        self.fake = fake
        self.context = context
        super().__init__(('127.0.0.1', 0), _Handler)

    def get_request(self):
        sock, addr = super().get_request()
        # No handshake here: this runs in the accept loop, and a client that connects and says
        # nothing would block every other one. finish_request() (the request's thread) does it.
        return self.context.wrap_socket(sock, server_side=True,
                                        do_handshake_on_connect=False), addr

    def finish_request(self, request, client_address):
        request.settimeout(30)
        try:
            request.do_handshake()
        except (ssl.SSLError, OSError):
            return  # e.g. a client that does not trust the CA: nothing to log, nothing to answer
        super().finish_request(request, client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'  # keep-alive: libcurl and the vendors' clients reuse it
    server_version = 'apifake/1'
    sys_version = ''

    def log_message(self, fmt, *args):  # the request log replaces stderr lines
        pass

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (ssl.SSLError, ConnectionError, TimeoutError):
            self.close_connection = True

    def _serve(self):
        if 'chunked' in (self.headers.get('Transfer-Encoding') or '').lower():
            body = self._read_chunked()
        else:
            length = int(self.headers.get('Content-Length') or 0)
            body = self.rfile.read(length) if length else b''
        request = Request(self.command, self.path, self.headers.items(), body)
        response = self.server.fake._dispatch(request)
        try:
            self.send_response(response.status)
            names = {k.lower() for k, _ in response.headers}
            for k, v in response.headers:
                self.send_header(k, str(v))
            if 'content-length' not in names:
                self.send_header('Content-Length', str(len(response.body)))
            self.end_headers()
            if self.command != 'HEAD':
                self.wfile.write(response.body)
            self.wfile.flush()
        finally:
            request.status = response.status
            request.replied_at = time.monotonic()

    def _read_chunked(self):
        parts = []
        while True:
            size = int(self.rfile.readline().split(b';')[0].strip() or b'0', 16)
            if size == 0:
                while self.rfile.readline() not in (b'\r\n', b'\n', b''):
                    pass  # trailers
                return b''.join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()  # the CRLF after the chunk

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


class ApiFake:
    """Base class of the vendor fakes: HTTPS server, routes, request log, faults."""

    case_insensitive_paths = False

    def __init__(self, workdir=None, name='apifake'):
        self.name = name
        self._own_dir = None
        if workdir is None:
            self._own_dir = tempfile.TemporaryDirectory(prefix='%s-' % name)
            workdir = self._own_dir.name
        self.workdir = str(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.lock = threading.RLock()
        self._routes = []
        self._faults = []
        self._log = []
        self.errors = []
        self._stopping = threading.Event()
        self._server = None
        self._thread = None
        self.ca_pem = self.cert_pem = self.key_pem = None
        self.host = '127.0.0.1'
        self.port = None
        self.url = None

    # --- lifecycle --------------------------------------------------------------------------

    def start(self):
        if self._server is not None:
            return self
        self.ca_pem, self.cert_pem, self.key_pem = make_tls(self.workdir)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_pem, self.key_pem)
        self._stopping.clear()
        self._server = _Server(self, context)
        self.port = self._server.server_address[1]
        self.url = 'https://%s:%d' % (self.host, self.port)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={'poll_interval': 0.05},
                                        name='%s-server' % self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Releases held replies, stops the server and closes its socket. Idempotent."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None
        if self._own_dir is not None:
            self._own_dir.cleanup()
            self._own_dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def client_env(self):
        """Environment for the vendors' own clients (requests, botocore, curl, OpenSSL)."""
        return {k: self.ca_pem for k in ('REQUESTS_CA_BUNDLE', 'AWS_CA_BUNDLE', 'SSL_CERT_FILE',
                                         'CURL_CA_BUNDLE')}

    def ssl_context(self):
        return ssl.create_default_context(cafile=self.ca_pem)

    # --- routes -----------------------------------------------------------------------------

    def route(self, method, pattern, handler):
        """Registers handler(request) for method ('*' = any) and pattern (see module doc)."""
        with self.lock:
            self._routes.append((_Pattern(method, pattern, self.case_insensitive_paths), handler))

    def handles(self, method, pattern):
        """Decorator form of route()."""
        def register(handler):
            self.route(method, pattern, handler)
            return handler
        return register

    def not_found(self, request):
        """The reply when no route matches; subclasses return the vendor's 404 shape."""
        return Response(404, {'error': 'apifake: no route for %s %s'
                                       % (request.method, request.path)})

    def _dispatch(self, request):
        with self.lock:
            self._log.append(request)
            fault = next((f for f in self._faults if f._take(request.method, request.path)),
                         None)
            if fault is not None:
                fault.requests.append(request)
        if fault is not None:
            response = fault._apply(self._stopping)
            if response is not None:
                return response
        for pattern, handler in list(self._routes):
            params = pattern.match(request.method, request.path)
            if params is not None:
                request.params = params
                try:
                    return Response.of(handler(request))
                except Exception:  # a fake bug: answer 500 and keep it for the test to see
                    text = traceback.format_exc()
                    with self.lock:
                        self.errors.append('%s %s: %s' % (request.method, request.target, text))
                    return Response(500, 'apifake: handler failed:\n' + text)
        return Response.of(self.not_found(request))

    # --- request log ------------------------------------------------------------------------

    @property
    def requests(self):
        with self.lock:
            return list(self._log)

    def requests_matching(self, method='*', pattern=None):
        p = _Pattern(method, pattern or '{all*}', self.case_insensitive_paths)
        return [r for r in self.requests if p.match(r.method, r.path) is not None]

    def count(self, method='*', pattern=None):
        return len(self.requests_matching(method, pattern))

    def wait_for(self, predicate, timeout=10.0, what='condition'):
        return wait_for(predicate, timeout, '%s (%s)' % (what, self.name))

    def wait_for_request(self, method, pattern, count=1, timeout=10.0):
        """Waits until `count` requests matched method+pattern; returns the count-th one."""
        found = self.wait_for(lambda: (lambda rs: rs if len(rs) >= count else None)(
            self.requests_matching(method, pattern)), timeout,
            '%d request(s) %s %s' % (count, method, pattern))
        return found[count - 1]

    def assert_no_errors(self):
        with self.lock:
            assert not self.errors, 'apifake handler errors:\n' + '\n'.join(self.errors)

    # --- faults -----------------------------------------------------------------------------

    def inject(self, method, pattern, status=None, headers=None, body=b'', count=1, delay=0.0,
               hang=False, after=0):
        """Adds a fault for the next `count` requests (None: all) matching method + pattern,
        once `after` matching requests have gone through untouched."""
        fault = Fault(self, _Pattern(method, pattern, self.case_insensitive_paths), status,
                      headers, body, count, delay, hang, after)
        with self.lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self):
        """Removes every fault and releases held replies."""
        with self.lock:
            faults, self._faults = self._faults, []
        for f in faults:
            f.release()
