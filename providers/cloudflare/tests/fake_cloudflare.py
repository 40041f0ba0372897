"""CloudflareFake: the Cloudflare API v4 (zones and DNS records) on tests/fakes/apifake.py.

Behaviour from ../shared/reference/cloud-apis.md §1 (fake checklist §1.6) and Cloudflare's API
reference; record changes land in the sandbox's BIND through a BindBackend, so what the fake
holds is what BIND serves (after the backend's `delay`).

    fake = CloudflareFake(backend, zones=['example.test'], token='t0k').start()
    fake.api_url                 'https://127.0.0.1:<port>/client/v4' (CLOUDFLARE_API_URL)
    fake.zone_ids[zone]          32-hex zone ids
    fake.add_token(token, permissions={'zone:read', 'dns:edit'}, zones=None)
    fake.add_global_key(email, key)                  # X-Auth-Email + X-Auth-Key: everything
    fake.rate_limit(method='*', pattern=..., count=1, retry_after=1)   # 429 / 971 injection
    fake.records_at(name) -> [record dict]          fake.create_record(zone, name, content)
    fake.max_batch_seen                              most records one request created/deleted

What it checks and answers (each has a test in test_cloudflare_fake.py):
- authentication: `Authorization: Bearer` or X-Auth-Email + X-Auth-Key; neither -> 400/9106;
  a malformed header -> 400/6003 (error_chain 6111/6103); an unknown token -> 403/9109
  "Invalid access token"; an unknown email/key -> 403/9103; a token without the permission the
  endpoint needs (zone:read for /zones, dns:edit for records) or for that zone -> 403/10000.
- the envelope {success, errors[{code,message}], messages, result, result_info} everywhere.
- GET /zones with `name` exact or with an operator (`ends_with:example.com`, `starts_with:`,
  `contains:`, `not_equal:`), `status`, paging (per_page 5..50, default 20).
- records: exact `type`/`name`/`content` filters (and `name.startswith|endswith|contains`,
  case-insensitive), `match=all|any`, paging (per_page default
  100), 32-hex ids; POST: TTL 1 or 60..86400 (else 400/9021), `name` FQDN, relative or `@`,
  content stored verbatim, an identical (type, name, content) record -> 400/81058; DELETE of an
  unknown id -> 404/81044; unknown zone id -> 400/7003 + 7000.
- POST /zones/{id}/dns_records/batch {deletes:[{id}], posts:[...]}: one transaction (deletes,
  then posts; any failure applies nothing), at most `batch_limit` operations (free plan: 200).
  Whether a real batch rejects the whole transaction on a duplicate post is not documented;
  the fake assumes it does (the stricter reading), with the single-POST error codes.
- TXT content to BIND: RFC 1035 quoted character-strings are joined and unescaped; unquoted
  content is taken as the value itself (the API accepts both and stores what was sent).
"""

import datetime
import re
import uuid

from apifake import ApiFake, Response

BASE = '/client/v4'
ALL = frozenset({'zone:read', 'dns:edit'})
HEX32 = re.compile(r'^[0-9a-f]{32}$')


def _err(status, code, message, chain=None):
    error = {'code': code, 'message': message}
    if chain:
        error['error_chain'] = chain
    return Response(status, {'success': False, 'errors': [error], 'messages': [],
                             'result': None})


def _ok(result, info=None):
    body = {'success': True, 'errors': [], 'messages': [], 'result': result}
    if info is not None:
        body['result_info'] = info
    return Response(200, body)


def txt_value(content):
    """What BIND serves for a TXT `content`: quoted character-strings joined, else verbatim."""
    text = content.strip()
    if not text.startswith('"'):
        return content
    out, i = [], 0
    while i < len(text):
        if text[i] == '"':
            i += 1
            while i < len(text) and text[i] != '"':
                if text[i] == '\\' and i + 1 < len(text):
                    i += 1
                out.append(text[i])
                i += 1
            i += 1
        else:
            i += 1  # whitespace between strings
    return ''.join(out)


class CloudflareFake(ApiFake):
    batch_limit = 200

    def __init__(self, backend, zones, token=None, workdir=None, account_zones=None):
        super().__init__(workdir=workdir, name='cloudflare')
        self.dns = backend
        self.zone_ids = {z.rstrip('.').lower(): uuid.uuid4().hex for z in zones}
        # zones the account has that are not in BIND (listed, but records cannot land there)
        for z in account_zones or ():
            self.zone_ids.setdefault(z, uuid.uuid4().hex)
        self.tokens = {}          # token -> (permissions, zone names or None = all)
        self.global_keys = {}     # email -> key
        self.records = {}         # id -> record dict (as the API returns it)
        self.max_batch_seen = 0
        if token:
            self.add_token(token)
        r = self.route
        r('GET', BASE + '/user/tokens/verify', self.verify_token)
        r('GET', BASE + '/zones', self.list_zones)
        r('GET', BASE + '/zones/{zone_id}', self.zone_details)
        r('GET', BASE + '/zones/{zone_id}/dns_records', self.list_records)
        r('POST', BASE + '/zones/{zone_id}/dns_records', self.create)
        r('POST', BASE + '/zones/{zone_id}/dns_records/batch', self.batch)
        r('GET', BASE + '/zones/{zone_id}/dns_records/{record_id}', self.record_details)
        r('DELETE', BASE + '/zones/{zone_id}/dns_records/{record_id}', self.delete)

    @property
    def api_url(self):
        return self.url + BASE

    def add_token(self, token, permissions=ALL, zones=None):
        with self.lock:
            self.tokens[token] = (frozenset(permissions), None if zones is None else set(zones))

    def add_global_key(self, email, key):
        with self.lock:
            self.global_keys[email] = key

    def rate_limit(self, method='*', pattern=BASE + '/{path*}', count=1, retry_after=1):
        """The next `count` matching requests answer 429 / 971 with Retry-After."""
        return self.inject(method, pattern, status=429, count=count,
                           headers={'Retry-After': str(retry_after),
                                    'Ratelimit': '"default";r=0;t=%d' % retry_after},
                           body={'success': False, 'result': None, 'messages': [], 'errors': [
                               {'code': 971, 'message': 'Please wait and consider throttling '
                                                        'your request speed'}]})

    def not_found(self, request):
        if request.path.startswith(BASE + '/zones/'):
            return _err(400, 7003, 'Could not route to %s, perhaps your object identifier is '
                        'invalid?' % request.path[len(BASE):], [{'code': 7000,
                                                                 'message': 'No route for that URI'}])
        return _err(404, 7000, 'No route for that URI')

    # --- authentication ---------------------------------------------------------------------

    def _auth(self, request, permission, zone=None):
        """None when allowed, else the error Response."""
        authz = request.headers.get('Authorization')
        email, key = request.headers.get('X-Auth-Email'), request.headers.get('X-Auth-Key')
        if authz is None and email is None and key is None:
            return _err(400, 9106, 'Missing X-Auth-Key, X-Auth-Email or Authorization headers')
        if authz is not None:
            if not authz.startswith('Bearer ') or not authz[7:].strip():
                return _err(400, 6003, 'Invalid request headers',
                            [{'code': 6111, 'message': 'Invalid format for Authorization header'}])
            with self.lock:
                grant = self.tokens.get(authz[7:])
            if grant is None:
                return _err(403, 9109, 'Invalid access token')
            permissions, zones = grant
            if permission not in permissions or (zone and zones is not None and zone not in zones):
                return _err(403, 10000, 'Authentication error')
            return None
        if not email or not key:
            return _err(400, 6003, 'Invalid request headers',
                        [{'code': 6103, 'message': 'Invalid format for X-Auth-Key header'}])
        with self.lock:
            known = self.global_keys.get(email)
        if known != key:
            return _err(403, 9103, 'Unknown X-Auth-Key or X-Auth-Email')
        return None

    def _zone(self, request, permission):
        """(zone name, None) or (None, error Response) for the {zone_id} of the path."""
        zone_id = request.params['zone_id']
        with self.lock:
            zone = next((z for z, i in self.zone_ids.items() if i == zone_id), None)
        denied = self._auth(request, permission)
        if denied is not None:
            return None, denied
        if zone is None:
            return None, self.not_found(request)
        denied = self._auth(request, permission, zone)
        return (None, denied) if denied is not None else (zone, None)

    # --- zones ------------------------------------------------------------------------------

    def verify_token(self, request):
        authz = request.headers.get('Authorization') or ''
        with self.lock:
            known = authz.startswith('Bearer ') and authz[7:] in self.tokens
        if not known:
            return self._auth(request, 'none') or _err(400, 1000, 'Invalid API Token')
        return _ok({'id': uuid.uuid5(uuid.NAMESPACE_OID, authz).hex, 'status': 'active'})

    def _zone_obj(self, name):
        return {'id': self.zone_ids[name], 'name': name, 'status': 'active', 'paused': False,
                'type': 'full', 'name_servers': ['ns1.%s' % name],
                'account': {'id': 'a' * 32, 'name': 'dns01 tests'}}

    def list_zones(self, request):
        denied = self._auth(request, 'zone:read')
        if denied is not None:
            return denied
        authz = request.headers.get('Authorization') or ''
        with self.lock:
            visible = self.tokens.get(authz[7:], (None, None))[1] if authz else None
            names = sorted(self.zone_ids)
        if visible is not None:  # a token for specific zones lists only those
            names = [n for n in names if n in visible]
        wanted = request.arg('name')
        if wanted is not None:  # "example.com", or "<operator>:<value>"
            op, _, value = wanted.partition(':') if ':' in wanted else ('equal', '', wanted)
            tests = {'equal': lambda n, v: n == v, 'not_equal': lambda n, v: n != v,
                     'starts_with': str.startswith, 'ends_with': str.endswith,
                     'contains': lambda n, v: v in n}
            test = tests.get(op.replace('_case_sensitive', ''))
            if test is None:
                return _err(400, 1001, 'Invalid name filter operator %r' % op)
            value = value.rstrip('.') if op.endswith('_case_sensitive') \
                else value.lower().rstrip('.')
            names = [n for n in names if test(n, value)]
        if request.arg('status') not in (None, 'active'):
            names = []
        return self._page(request, [self._zone_obj(n) for n in names], 20, 5, 50)

    def zone_details(self, request):
        zone, error = self._zone(request, 'zone:read')
        return error or _ok(self._zone_obj(zone))

    # --- records ----------------------------------------------------------------------------

    def _page(self, request, items, default, low, high):
        try:
            page = int(request.arg('page', '1'))
            per_page = int(request.arg('per_page', str(default)))
        except ValueError:
            return _err(400, 1001, 'Invalid page or per_page')
        if page < 1:
            return _err(400, 1001, 'page must be at least 1')
        per_page = max(low, min(high, per_page))
        chunk = items[(page - 1) * per_page:page * per_page]
        pages = (len(items) + per_page - 1) // per_page
        return _ok(chunk, {'page': page, 'per_page': per_page, 'count': len(chunk),
                           'total_count': len(items), 'total_pages': pages})

    def list_records(self, request):
        zone, error = self._zone(request, 'dns:edit')
        if error:
            return error
        tests = []  # (field, predicate on the record's value)
        for field in ('type', 'name', 'content'):
            value = request.arg(field)
            if value is None:
                value = request.arg(field + '.exact')
            if value is not None:
                want = value.lower() if field == 'name' else value
                tests.append((field, lambda v, w=want, f=field: (v.lower() if f == 'name'
                                                                 else v) == w))
        # the newer substring filters (case-insensitive): name.startswith / endswith / contains
        for op, test in (('startswith', str.startswith), ('endswith', str.endswith),
                         ('contains', str.__contains__)):
            value = request.arg('name.' + op)
            if value is not None:
                tests.append(('name', lambda v, w=value.lower(), t=test: t(v.lower(), w)))
        match_any = request.arg('match') == 'any'
        with self.lock:
            mine = [r for r in self.records.values() if r['zone_name'] == zone]
        out = []
        for r in sorted(mine, key=lambda r: (r['name'], r['created_on'], r['id'])):
            hits = [test(r[f]) for f, test in tests]
            if not tests or (any(hits) if match_any else all(hits)):
                out.append(dict(r))
        return self._page(request, out, 100, 5, 5000000)

    def record_details(self, request):
        zone, error = self._zone(request, 'dns:edit')
        if error:
            return error
        with self.lock:
            record = self.records.get(request.params['record_id'])
        if record is None or record['zone_name'] != zone:
            return _err(404, 81044, 'Record does not exist.')
        return _ok(dict(record))

    def _check_new(self, zone, body, taken):
        """(record, None) or (None, error Response) for one record to create."""
        if not isinstance(body, dict):
            return None, _err(400, 9207, 'Request body is invalid.')
        rtype, name, content = body.get('type'), body.get('name'), body.get('content')
        if rtype != 'TXT':
            return None, _err(400, 9000, 'DNS type %r is not supported by this fake' % rtype)
        if not isinstance(name, str) or not name or not isinstance(content, str):
            return None, _err(400, 9005, 'Content for TXT record is invalid.')
        ttl = body.get('ttl', 1)
        if not isinstance(ttl, int) or not (ttl == 1 or 60 <= ttl <= 86400):
            return None, _err(400, 9021, 'Invalid TTL. Must be between 60 and 86400 seconds, '
                              'or 1 for Automatic.')
        name = name.lower().rstrip('.')
        if name == '@':
            name = zone
        elif not (name == zone or name.endswith('.' + zone)):
            name = name + '.' + zone  # a relative name
        key = ('TXT', name, content)
        if key in taken:
            return None, _err(400, 81058, 'An identical record already exists.')
        taken.add(key)
        now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')
        return {'id': uuid.uuid4().hex, 'zone_id': self.zone_ids[zone], 'zone_name': zone,
                'name': name, 'type': 'TXT', 'content': content, 'proxiable': False,
                'proxied': False, 'ttl': ttl, 'locked': False, 'comment': body.get('comment'),
                'tags': body.get('tags', []), 'created_on': now, 'modified_on': now,
                'meta': {'auto_added': False, 'managed_by_apps': False,
                         'managed_by_argo_tunnel': False}}, None

    def _taken(self):
        return {(r['type'], r['name'], r['content']) for r in self.records.values()}

    def _apply_add(self, record):
        self.records[record['id']] = record
        self.dns.add_txt(record['name'], txt_value(record['content']),
                         300 if record['ttl'] == 1 else record['ttl'])

    def _apply_delete(self, record):
        del self.records[record['id']]
        value = txt_value(record['content'])
        # a quoted and an unquoted record may serve the same value: keep it while one remains
        if not any(r['name'] == record['name'] and txt_value(r['content']) == value
                   for r in self.records.values()):
            self.dns.remove_txt(record['name'], value)

    def create(self, request):
        zone, error = self._zone(request, 'dns:edit')
        if error:
            return error
        try:
            body = request.json()
        except ValueError:
            return _err(400, 9207, 'Request body is invalid.')
        with self.lock:
            record, error = self._check_new(zone, body, self._taken())
            if error:
                return error
            self._apply_add(record)
            self.max_batch_seen = max(self.max_batch_seen, 1)
        return _ok(dict(record))

    def create_record(self, zone, name, content, ttl=300):
        """A record made outside the provider under test (the user's own), through the store."""
        with self.lock:
            record, error = self._check_new(zone, {'type': 'TXT', 'name': name,
                                                   'content': content, 'ttl': ttl}, self._taken())
            assert error is None, error.body
            self._apply_add(record)
            return record

    def records_at(self, name):
        with self.lock:
            return [dict(r) for r in self.records.values() if r['name'] == name.lower()]

    def delete(self, request):
        zone, error = self._zone(request, 'dns:edit')
        if error:
            return error
        with self.lock:
            record = self.records.get(request.params['record_id'])
            if record is None or record['zone_name'] != zone:
                return _err(404, 81044, 'Record does not exist.')
            self._apply_delete(record)
            self.max_batch_seen = max(self.max_batch_seen, 1)
        return _ok({'id': record['id']})

    def batch(self, request):
        zone, error = self._zone(request, 'dns:edit')
        if error:
            return error
        try:
            body = request.json()
        except ValueError:
            return _err(400, 9207, 'Request body is invalid.')
        if not isinstance(body, dict):
            return _err(400, 9207, 'Request body is invalid.')
        deletes, posts = body.get('deletes') or [], body.get('posts') or []
        if body.get('patches') or body.get('puts'):
            return _err(400, 9000, 'patches/puts are not supported by this fake')
        if len(deletes) + len(posts) > self.batch_limit:
            return _err(400, 81061, 'Batch exceeds the limit of %d operations per request'
                        % self.batch_limit)
        with self.lock:
            doomed = []
            for d in deletes:
                record = self.records.get(d.get('id') if isinstance(d, dict) else None)
                if record is None or record['zone_name'] != zone or record in doomed:
                    return _err(404, 81044, 'Record does not exist.')
                doomed.append(record)
            taken = self._taken() - {(r['type'], r['name'], r['content']) for r in doomed}
            created = []
            for post in posts:
                record, error = self._check_new(zone, post, taken)
                if error:
                    return error
                created.append(record)
            for record in doomed:        # deletes first, then posts: the documented order
                self._apply_delete(record)
            for record in created:
                self._apply_add(record)
            self.max_batch_seen = max(self.max_batch_seen, len(deletes), len(posts))
        return _ok({'deletes': [dict(r) for r in doomed], 'patches': [], 'puts': [],
                    'posts': [dict(r) for r in created]})
