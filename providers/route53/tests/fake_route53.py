"""A Route 53 + STS + EC2 IMDSv2 + container-credentials fake on tests/fakes/apifake.py.

    fake = Route53Fake(backend, workdir, insync_after=0.0)    # backend: apifake.BindBackend
    fake.add_zone('example.test', private=False) -> zone id   # public zones write to BIND
    fake.add_key(akid, secret, token=None)                     # keys it accepts
    fake.start(); fake.url (Route 53 and STS share it: AWS_ENDPOINT_URL_ROUTE_53 / _STS)
    fake.throttle(pattern, count, code='Throttling')           # HTTP 400 Throttling / PriorRequestNotComplete
    fake.before_change.append(fn)      # fn(fake) runs before the next batch: a concurrent writer
    fake.batches -> [(zone_id, n_changes)], fake.polls -> GetChange count
    meta = MetadataServer(fake).start(); meta.url (plain HTTP: IMDSv2 at /latest/..., container
    credentials at /container) issuing temporary keys the fake accepts

What it checks, as Route 53 does (../shared/reference/cloud-apis.md §2): SigV4 on every Route 53
call and on STS AssumeRole, verified with botocore's own signer (an independent implementation)
against the Host header as received; dates more than 5 minutes off; session tokens. Change
batches are validated as a whole, then applied atomically: CREATE of an existing set, DELETE
that does not match exactly (TTL and every value), unquoted or >255-byte strings are refused
with InvalidChangeBatch (its own XML shape). UPSERT replaces. ListHostedZonesByName starts at the
name in label-reversed order (not a filter); a public and a private zone may share a name.
Changes are PENDING until `insync_after` seconds passed, and reach BIND then (the backend's
delay is set to it), which is what INSYNC promises.
"""

import datetime
import json
import re
import threading
import time
import urllib.parse
import uuid
import http.server
import xml.etree.ElementTree as ET

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from apifake import ApiFake, Response

NS = 'https://route53.amazonaws.com/doc/2013-04-01/'
STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/'
SKEW = 300
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _rev(name):
    return '.'.join(reversed(name.rstrip('.').lower().split('.')))


def _error(status, code, message, ns=NS):
    body = ('<?xml version="1.0"?>\n<ErrorResponse xmlns="%s"><Error><Type>Sender</Type>'
            '<Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId>'
            '</ErrorResponse>' % (ns, code, _esc(message), uuid.uuid4()))
    return Response(status, body.encode(), content_type='text/xml')


def _esc(text):
    return text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')


def _xml(status, body):
    return Response(status, ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode(),
                    content_type='text/xml')


def _strings(value):
    """The character-strings of a Route 53 TXT value, or None when it is not all quoted."""
    out, pos = [], 0
    value = value.strip()
    while pos < len(value):
        m = _STRING.match(value, pos)
        if not m:
            return None
        out.append(re.sub(r'\\(.)', r'\1', m.group(1)))
        pos = m.end()
        while pos < len(value) and value[pos] == ' ':
            pos += 1
    return out or None


class Route53Fake(ApiFake):
    def __init__(self, backend, workdir=None, insync_after=0.0):
        super().__init__(workdir, name='route53')
        self.backend = backend
        self.insync_after = float(insync_after)
        backend.delay = self.insync_after
        self.zones = []          # dicts: id, name ('example.test.'), private
        self.rrsets = {}         # (zone_id, name) -> (ttl, [values])
        self.changes = {}        # id -> submitted monotonic time
        self.keys = {}           # akid -> (secret, token or None)
        self.web_tokens = {}     # web identity token -> role ARN it may assume
        self.batches = []        # (zone_id, number of changes)
        self.polls = 0
        self.before_change = []  # callables run (under the lock) before the next change batches
        api = '/2013-04-01'
        self.route('GET', api + '/hostedzonesbyname', self._zones_by_name)
        self.route('GET', api + '/hostedzone/{zone}/rrset', self._list_rrsets)
        self.route('GET', api + '/hostedzone/{zone}/rrset/', self._list_rrsets)
        self.route('POST', api + '/hostedzone/{zone}/rrset/', self._change)
        self.route('POST', api + '/hostedzone/{zone}/rrset', self._change)
        self.route('GET', api + '/change/{change}', self._get_change)
        self.route('POST', '/', self._sts)

    # --- setup ------------------------------------------------------------------------------

    def add_zone(self, name, private=False):
        with self.lock:
            zid = 'Z' + uuid.uuid4().hex[:20].upper()
            self.zones.append({'id': zid, 'name': name.rstrip('.').lower() + '.',
                               'private': private})
            return zid

    def add_key(self, akid, secret, token=None):
        with self.lock:
            self.keys[akid] = (secret, token)

    def issue_temporary(self, prefix='ASIA'):
        akid = prefix + uuid.uuid4().hex[:16].upper()
        secret, token = uuid.uuid4().hex + uuid.uuid4().hex, 'FwoG' + uuid.uuid4().hex * 3
        self.add_key(akid, secret, token)
        expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
        return akid, secret, token, expires.strftime('%Y-%m-%dT%H:%M:%SZ')

    def throttle(self, method, pattern, count=1, code='Throttling'):
        message = {'Throttling': 'Rate exceeded',
                   'PriorRequestNotComplete': 'The request was rejected because Route 53 was '
                                              'still processing a prior request.'}[code]
        body = ('<?xml version="1.0"?>\n<ErrorResponse xmlns="%s"><Error><Type>Sender</Type>'
                '<Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId>'
                '</ErrorResponse>' % (NS, code, message, uuid.uuid4()))
        return self.inject(method, pattern, status=400, body=body.encode(),
                           headers={'Content-Type': 'text/xml'}, count=count)

    def values(self, name):
        """What the fake holds at name in its public zone (presentation form)."""
        with self.lock:
            for (zid, n), (ttl, vals) in self.rrsets.items():
                if n == name.rstrip('.').lower() + '.' and not self._zone(zid)['private']:
                    return list(vals)
        return []

    # --- SigV4 ------------------------------------------------------------------------------

    def _verify(self, request, service):
        """None when the request is signed right, else the error Response."""
        auth = request.headers.get('Authorization')
        if not auth:
            return _error(403, 'MissingAuthenticationToken',
                          'Missing Authentication Token')
        m = re.match(r'AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request,'
                     r'\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$', auth)
        if not m:
            return _error(400, 'IncompleteSignature', 'Authorization header is malformed')
        akid, date, region, svc, signed, signature = m.groups()
        with self.lock:
            key = self.keys.get(akid)
        if key is None:
            return _error(403, 'InvalidClientTokenId',
                          'The security token included in the request is invalid.')
        amz_date = request.headers.get('X-Amz-Date', '')
        try:
            when = datetime.datetime.strptime(amz_date, '%Y%m%dT%H%M%SZ').replace(
                tzinfo=datetime.timezone.utc)
        except ValueError:
            return _error(400, 'IncompleteSignature', 'X-Amz-Date is missing or malformed')
        now = datetime.datetime.now(datetime.timezone.utc)
        if abs((now - when).total_seconds()) > SKEW:
            return _error(403, 'SignatureDoesNotMatch',
                          'Signature expired: %s is now earlier than %s' % (amz_date, now))
        names = signed.split(';')
        if 'host' not in names or 'x-amz-date' not in names or date != amz_date[:8] \
                or svc != service:
            return _error(403, 'IncompleteSignature', 'host and x-amz-date must be signed')
        secret, token = key
        if token is not None and (request.headers.get('X-Amz-Security-Token') != token
                                  or 'x-amz-security-token' not in names):
            return _error(403, 'InvalidClientTokenId',
                          'The security token included in the request is invalid.')
        # botocore signs the same canonical request; give it only the signed headers.
        url = 'https://%s%s' % (request.headers.get('Host'), request.target)
        aws = AWSRequest(method=request.method, url=url, data=request.body,
                         headers={k: request.headers.get(k) for k in names})
        aws.context['timestamp'] = amz_date
        signer = SigV4Auth(Credentials(akid, secret, token), svc, region)
        canonical = signer.canonical_request(aws)
        expected = signer.signature(signer.string_to_sign(aws, canonical), aws)
        if expected != signature:
            return _error(403, 'SignatureDoesNotMatch',
                          'The request signature we calculated does not match the signature '
                          'you provided.')
        return None

    # --- Route 53 ---------------------------------------------------------------------------

    def _zone(self, zid):
        for z in self.zones:
            if z['id'] == zid:
                return z
        return None

    def _zones_by_name(self, request):
        bad = self._verify(request, 'route53')
        if bad:
            return bad
        dns_name = request.arg('dnsname')
        zone_id = request.arg('hostedzoneid')
        maxitems = int(request.arg('maxitems', '100'))
        with self.lock:
            ordered = sorted(self.zones, key=lambda z: (_rev(z['name']), z['id']))
            if dns_name:
                start = (_rev(dns_name), zone_id or '')
                ordered = [z for z in ordered if (_rev(z['name']), z['id']) >= start]
        page, rest = ordered[:maxitems], ordered[maxitems:]
        items = ''.join(
            '<HostedZone><Id>/hostedzone/%s</Id><Name>%s</Name><CallerReference>%s'
            '</CallerReference><Config><PrivateZone>%s</PrivateZone></Config>'
            '<ResourceRecordSetCount>2</ResourceRecordSetCount></HostedZone>'
            % (z['id'], z['name'], z['id'], 'true' if z['private'] else 'false') for z in page)
        more = ('<NextDNSName>%s</NextDNSName><NextHostedZoneId>%s</NextHostedZoneId>'
                % (rest[0]['name'], rest[0]['id'])) if rest else ''
        return _xml(200, '<ListHostedZonesByNameResponse xmlns="%s"><HostedZones>%s</HostedZones>'
                    '%s<IsTruncated>%s</IsTruncated>%s<MaxItems>%d</MaxItems>'
                    '</ListHostedZonesByNameResponse>'
                    % (NS, items, '<DNSName>%s</DNSName>' % _esc(dns_name) if dns_name else '',
                       'true' if rest else 'false', more, maxitems))

    def _list_rrsets(self, request):
        bad = self._verify(request, 'route53')
        if bad:
            return bad
        zid = request.params['zone']
        with self.lock:
            if not self._zone(zid):
                return _error(404, 'NoSuchHostedZone', 'No hosted zone found with ID: %s' % zid)
            start = _rev(request.arg('name', '') or '')
            names = sorted((n for (z, n) in self.rrsets if z == zid), key=_rev)
            names = [n for n in names if _rev(n) >= start]
            maxitems = int(request.arg('maxitems', '300'))
            sets = ''.join(
                '<ResourceRecordSet><Name>%s</Name><Type>TXT</Type><TTL>%d</TTL><ResourceRecords>'
                '%s</ResourceRecords></ResourceRecordSet>'
                % (n, self.rrsets[(zid, n)][0],
                   ''.join('<ResourceRecord><Value>%s</Value></ResourceRecord>' % _esc(v)
                           for v in self.rrsets[(zid, n)][1])) for n in names[:maxitems])
            truncated = len(names) > maxitems
        return _xml(200, '<ListResourceRecordSetsResponse xmlns="%s"><ResourceRecordSets>%s'
                    '</ResourceRecordSets><IsTruncated>%s</IsTruncated><MaxItems>%d</MaxItems>'
                    '</ListResourceRecordSetsResponse>'
                    % (NS, sets, 'true' if truncated else 'false', maxitems))

    def _change(self, request):
        bad = self._verify(request, 'route53')
        if bad:
            return bad
        zid = request.params['zone']
        try:
            root = ET.fromstring(request.body)
        except ET.ParseError:
            return _error(400, 'InvalidInput', 'Could not parse the request body')
        q = '{%s}' % NS
        changes = root.findall('%sChangeBatch/%sChanges/%sChange' % (q, q, q))
        with self.lock:
            zone = self._zone(zid)
            if not zone:
                return _error(404, 'NoSuchHostedZone', 'No hosted zone found with ID: %s' % zid)
            if not changes or len(changes) > 100:
                return _error(400, 'InvalidInput', '1 to 100 changes per request')
            if self.before_change:  # another writer getting in between a client's read and write
                self.before_change.pop(0)(self)
            work = dict(self.rrsets)
            messages, touched = [], []
            for c in changes:
                action = c.findtext(q + 'Action')
                rrs = c.find(q + 'ResourceRecordSet')
                name = rrs.findtext(q + 'Name').rstrip('.').lower() + '.'
                ttl = int(rrs.findtext(q + 'TTL'))
                values = [v.text or '' for v in rrs.iter(q + 'Value')]
                desc = "[name='%s', type='TXT']" % name
                if not (name == zone['name'] or name.endswith('.' + zone['name'])):
                    messages.append('RRSet with DNS name %s is not permitted in zone %s'
                                    % (name, zone['name']))
                    continue
                for v in values:
                    parts = _strings(v)
                    if parts is None:
                        messages.append('Invalid Resource Record: FATAL problem: '
                                        'InvalidCharacterString (Value should be enclosed in '
                                        'quotation marks) encountered with \'%s\'' % v)
                    elif any(len(p.encode()) > 255 for p in parts):
                        messages.append('Invalid Resource Record: FATAL problem: '
                                        'CharacterStringTooLong (Value is too long) '
                                        'encountered with \'%s\'' % v)
                current = work.get((zid, name))
                if action == 'CREATE':
                    if current:
                        messages.append('Tried to create resource record set %s but it already '
                                        'exists' % desc)
                    work[(zid, name)] = (ttl, values)
                elif action == 'DELETE':
                    if not current:
                        messages.append('Tried to delete resource record set %s but it was not '
                                        'found' % desc)
                    elif current[0] != ttl or sorted(current[1]) != sorted(values):
                        messages.append('Tried to delete resource record set %s but the values '
                                        'provided do not match the current values' % desc)
                    work.pop((zid, name), None)
                elif action == 'UPSERT':
                    work[(zid, name)] = (ttl, values)
                else:
                    messages.append('Unknown action %s' % action)
                touched.append(name)
            if messages:
                body = ''.join('<Message>%s</Message>' % _esc(m) for m in messages)
                return _xml(400, '<InvalidChangeBatch xmlns="%s"><Messages>%s</Messages>'
                            '<RequestId>%s</RequestId></InvalidChangeBatch>'
                            % (NS, body, uuid.uuid4()))
            self.rrsets = work
            self.batches.append((zid, len(changes)))
            if not zone['private']:
                for name in dict.fromkeys(touched):
                    ttl, values = work.get((zid, name), (60, []))
                    self.backend.replace_txt(name.rstrip('.'),
                                             [''.join(_strings(v)) for v in values], ttl=ttl)
            cid = 'C' + uuid.uuid4().hex[:20].upper()
            self.changes[cid] = time.monotonic()
        return _xml(200, '<ChangeResourceRecordSetsResponse xmlns="%s"><ChangeInfo><Id>/change/%s'
                    '</Id><Status>PENDING</Status><SubmittedAt>%s</SubmittedAt></ChangeInfo>'
                    '</ChangeResourceRecordSetsResponse>'
                    % (NS, cid, datetime.datetime.now(datetime.timezone.utc).strftime(
                        '%Y-%m-%dT%H:%M:%S.000Z')))

    def _get_change(self, request):
        bad = self._verify(request, 'route53')
        if bad:
            return bad
        cid = request.params['change']
        with self.lock:
            self.polls += 1
            submitted = self.changes.get(cid)
        if submitted is None:
            return _error(404, 'NoSuchChange', 'A change with the specified change ID does not '
                                               'exist.')
        status = 'INSYNC' if time.monotonic() - submitted >= self.insync_after else 'PENDING'
        return _xml(200, '<GetChangeResponse xmlns="%s"><ChangeInfo><Id>/change/%s</Id><Status>%s'
                    '</Status><SubmittedAt>2026-12-01T00:00:00.000Z</SubmittedAt></ChangeInfo>'
                    '</GetChangeResponse>' % (NS, cid, status))

    # --- STS --------------------------------------------------------------------------------

    def _sts(self, request):
        form = urllib.parse.parse_qs(request.body.decode(), keep_blank_values=True)
        action = form.get('Action', [''])[0]
        role = form.get('RoleArn', [''])[0]
        if action == 'AssumeRoleWithWebIdentity':  # unsigned: the token is the credential
            token = form.get('WebIdentityToken', [''])[0]
            with self.lock:
                allowed = self.web_tokens.get(token)
            if allowed is None:
                return _error(400, 'InvalidIdentityToken', 'Couldn\'t retrieve verification key '
                              'from your identity provider', ns=STS_NS)
            if allowed != role:
                return _error(403, 'AccessDenied', 'Not authorized to perform '
                              'sts:AssumeRoleWithWebIdentity', ns=STS_NS)
        elif action == 'AssumeRole':
            bad = self._verify(request, 'sts')
            if bad:
                return bad
        else:
            return _error(400, 'InvalidAction', 'Could not find operation %s' % action, ns=STS_NS)
        akid, secret, token, expires = self.issue_temporary()
        return _xml(200, '<{a}Response xmlns="{ns}"><{a}Result><Credentials><AccessKeyId>{k}'
                    '</AccessKeyId><SecretAccessKey>{s}</SecretAccessKey><SessionToken>{t}'
                    '</SessionToken><Expiration>{e}</Expiration></Credentials><AssumedRoleUser>'
                    '<Arn>{r}/dns01</Arn><AssumedRoleId>AROA:dns01</AssumedRoleId>'
                    '</AssumedRoleUser></{a}Result><ResponseMetadata><RequestId>{id}</RequestId>'
                    '</ResponseMetadata></{a}Response>'.format(
                        a=action, ns=STS_NS, k=akid, s=secret, t=token, e=expires, r=role,
                        id=uuid.uuid4()))


class MetadataServer:
    """Plain-HTTP EC2 IMDSv2 (/latest/...) and container credentials (/container) on loopback,
    handing out temporary keys `fake` accepts. .requests: [(method, path)]."""

    role = 'dns01-instance-role'

    def __init__(self, fake, container_token='container-auth-token'):
        self.fake = fake
        self.container_token = container_token
        self.tokens = set()
        self.requests = []
        self._server = None

    def start(self):
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status, body, ctype='text/plain'):
                data = body.encode()
                self.send_response(status)
                self.send_header('Content-Type', ctype)
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_PUT(self):
                owner.requests.append(('PUT', self.path))
                ttl = self.headers.get('X-aws-ec2-metadata-token-ttl-seconds')
                if self.path != '/latest/api/token' or not ttl:
                    return self._reply(400, 'Bad Request')
                token = 'AQAEA' + uuid.uuid4().hex
                owner.tokens.add(token)
                return self._reply(200, token)

            def do_GET(self):
                owner.requests.append(('GET', self.path))
                if self.path.startswith('/container'):
                    if self.headers.get('Authorization') != owner.container_token:
                        return self._reply(401, 'Unauthorized')
                    return self._reply(200, owner._credentials(), 'application/json')
                if self.headers.get('X-aws-ec2-metadata-token') not in owner.tokens:
                    return self._reply(401, 'Unauthorized')  # IMDSv2 required
                base = '/latest/meta-data/iam/security-credentials/'
                if self.path == base:
                    return self._reply(200, owner.role)
                if self.path == base + owner.role:
                    return self._reply(200, owner._credentials())
                return self._reply(404, 'Not Found')

        self._server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.port = self._server.server_address[1]
        self.url = 'http://127.0.0.1:%d' % self.port
        threading.Thread(target=self._server.serve_forever, kwargs={'poll_interval': 0.05},
                         daemon=True).start()
        return self

    def _credentials(self):
        akid, secret, token, expires = self.fake.issue_temporary()
        return json.dumps({'Code': 'Success', 'LastUpdated': '2026-12-01T00:00:00Z',
                           'Type': 'AWS-HMAC', 'AccessKeyId': akid, 'SecretAccessKey': secret,
                           'Token': token, 'Expiration': expires})

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
