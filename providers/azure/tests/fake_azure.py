"""fake_azure: Azure Resource Manager (Azure DNS and Private DNS record sets and zones) plus the
Microsoft Entra ID token endpoints (client secret, client assertion, IMDS, App Service managed
identity; in fake_entra.py), on tests/fakes/apifake.py. Record changes land in the sandbox's BIND through a
BindBackend, so what the fake holds is what BIND serves.

Behaviour follows ../shared/reference/cloud-apis.md §3 (its "Fake checklist") and the Azure REST
specs (dns.json 2018-05-01, privatedns.json 2020-06-01), checked by test_azure_fake.py with
Microsoft's own Python SDK (azure-mgmt-dns, azure-mgmt-privatedns, azure-identity).

    fake = AzureFake(backend, subscription='sub-1')
    fake.add_zone('example.test', resource_group='rg-dns')                 # public
    fake.add_zone('internal.test', resource_group='rg-net', private=True)  # Private DNS
    fake.add_client(tenant, client_id, secret=..., assertion=...)          # an app registration
    fake.add_managed_identity(client_id, system=False)                     # IMDS / App Service
    fake.start()
    fake.authority_host   https://127.0.0.1:<port>   (AZURE_AUTHORITY_HOST, authority_host)
    fake.arm_endpoint     https://127.0.0.1:<port>   (arm_endpoint, the SDKs' base_url)
    fake.imds_host        https://127.0.0.1:<port>   (AZURE_POD_IDENTITY_AUTHORITY_HOST)
    fake.identity_endpoint, fake.identity_header     (App Service: IDENTITY_ENDPOINT/_HEADER)
    fake.deny(client_id)  the principal has no role on any zone: 403 AuthorizationFailed
    fake.token_lifetime   seconds a new token lives (default 3599)
    fake.throttle(method, count)  the next ARM writes answer 429 + Retry-After: 1
    fake.tokens_issued(kind=None) / fake.record_set(zone, relative) / fake.zone_pages_served

Pitfalls kept as Azure has them: record-set names are raw in the path (`@`, dots), paths are
matched case-insensitively, public zones spell `TTL`/`TXTRecords` and private ones `ttl`/
`txtRecords`, an etag is minted on every write, If-Match / If-None-Match: * fail with 412,
PUT answers 201 when it created and 200 when it replaced, DELETE of an absent set answers 204,
a set may not hold two identical values (400), a missing record set answers the top-level
`{"code","message"}` shape and every other error the ARM `{"error":{...}}` shape.
"""

import time
import urllib.parse
import uuid

from apifake import ApiFake, Response
from fake_entra import EntraIdMixin

PUBLIC_API = '2018-05-01'
PRIVATE_API = '2020-06-01'
PROVIDERS = '/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/{rtype}'


class AzureFake(EntraIdMixin, ApiFake):
    case_insensitive_paths = True
    page_size = 100  # zones per page when the client gives no $top

    def __init__(self, dns, subscription='00000000-0000-4000-8000-000000000001', **kw):
        super().__init__(name='azure', **kw)
        self.dns = dns
        self.subscription = subscription
        self.zones = {}          # (kind, name) -> {'rg', 'etag'}; kind 'dnszones'/'privatednszones'
        self.sets = {}           # (kind, zone, relative) -> {'etag','ttl','records','metadata'}
        self.denied = set()      # principals without a DNS role
        self.zone_pages_served = 0
        self._init_entra()       # fake_entra.py: token endpoints, self.tokens
        self.route('GET', '/subscriptions/{sub}/providers/Microsoft.Network/{rtype}',
                   self.list_zones)
        self.route('GET', PROVIDERS, self.list_zones)
        self.route('GET', PROVIDERS + '/{zone}', self.get_zone)
        self.route('GET', PROVIDERS + '/{zone}/TXT/{name}', self.get_set)
        self.route('PUT', PROVIDERS + '/{zone}/TXT/{name}', self.put_set)
        self.route('DELETE', PROVIDERS + '/{zone}/TXT/{name}', self.delete_set)

    # --- set-up -------------------------------------------------------------------------------

    def add_zone(self, name, resource_group='rg-dns', private=False):
        with self.lock:
            kind = 'privatednszones' if private else 'dnszones'
            self.zones[(kind, name.lower())] = {'rg': resource_group, 'etag': str(uuid.uuid4())}

    def deny(self, principal):
        with self.lock:
            self.denied.add(principal)

    def throttle(self, method='PUT', count=1):
        """The next `count` ARM record-set calls of `method` answer 429 with Retry-After: 1."""
        return self.inject(method, PROVIDERS + '/{zone}/TXT/{name}', status=429,
                           headers={'Retry-After': '1'}, count=count, body={'error': {
                               'code': 'TooManyRequests',
                               'message': 'The request is being throttled.'}})

    @property
    def arm_endpoint(self):
        return self.url

    def record_set(self, zone, relative, private=False):
        kind = 'privatednszones' if private else 'dnszones'
        with self.lock:
            found = self.sets.get((kind, zone.lower(), relative.lower()))
            return dict(found) if found else None

    # --- ARM helpers --------------------------------------------------------------------------

    @staticmethod
    def _arm_error(status, code, message, headers=None):
        return Response(status, {'error': {'code': code, 'message': message}}, headers or {})

    def not_found(self, request):
        return self._arm_error(404, 'InvalidResourceType',
                               "The resource type could not be found for path '%s'."
                               % request.path)

    def _authorize(self, request, action):
        """None when the bearer may do `action`, else the error Response."""
        auth = request.headers.get('Authorization') or ''
        challenge = {'WWW-Authenticate': 'Bearer authorization_uri="%s/common", error='
                     '"invalid_token", error_description="The authentication failed"' % self.url}
        if not auth.startswith('Bearer '):
            return self._arm_error(401, 'AuthenticationFailed',
                                   "Authentication failed. The 'Authorization' header is "
                                   "missing.", challenge)
        with self.lock:
            token = self.tokens.get(auth[len('Bearer '):])
        if token is None:
            return self._arm_error(401, 'InvalidAuthenticationToken',
                                   'The access token is invalid.', challenge)
        if token['expires'] <= time.time():
            return self._arm_error(401, 'ExpiredAuthenticationToken',
                                   "The access token expiry UTC time is earlier than current "
                                   "UTC time.", challenge)
        if token['principal'] in self.denied:
            return self._arm_error(403, 'AuthorizationFailed',
                                   "The client '%s' with object id '%s' does not have "
                                   "authorization to perform action '%s' over scope '%s' or "
                                   "the scope is invalid." % (token['principal'],
                                                              token['principal'], action,
                                                              request.path))
        return None

    def _kind(self, request):
        """('dnszones'|'privatednszones', None) or (None, error Response)."""
        rtype = request.params['rtype'].lower()
        if rtype not in ('dnszones', 'privatednszones'):
            return None, self.not_found(request)
        wanted = PUBLIC_API if rtype == 'dnszones' else PRIVATE_API
        if request.arg('api-version') != wanted:
            return None, self._arm_error(
                400, 'NoRegisteredProviderFound',
                "No registered resource provider found for location 'global' and API version "
                "'%s' for type '%s'. The supported api-versions are '%s'."
                % (request.arg('api-version'), request.params['rtype'], wanted))
        return rtype, None

    def _zone(self, request, kind):
        """(zone name, None) or (None, error Response) for the {sub}/{rg}/{zone} in the path."""
        sub, rg, zone = request.params['sub'], request.params['rg'], request.params['zone']
        with self.lock:
            rgs = {z['rg'].lower() for z in self.zones.values()}
            found = self.zones.get((kind, zone.lower()))
        if sub.lower() != self.subscription.lower():
            return None, self._arm_error(404, 'SubscriptionNotFound',
                                         "The subscription '%s' could not be found." % sub)
        if rg.lower() not in rgs:
            return None, self._arm_error(404, 'ResourceGroupNotFound',
                                         "Resource group '%s' could not be found." % rg)
        if found is None or found['rg'].lower() != rg.lower():
            return None, self._arm_error(
                404, 'ParentResourceNotFound',
                "Failed to perform 'read' on resource(s) of type '%s/TXT', because the parent "
                "resource '/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/%s/%s'"
                " could not be found." % (request.params['rtype'], sub, rg,
                                          request.params['rtype'], zone))
        return zone.lower(), None

    def _zone_json(self, kind, name, info):
        public = kind == 'dnszones'
        rtype = 'dnszones' if public else 'privateDnsZones'
        zid = '/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/%s/%s' % (
            self.subscription, info['rg'], rtype, name)
        count = sum(1 for k in self.sets if k[0] == kind and k[1] == name)
        if public:
            props = {'maxNumberOfRecordSets': 10000, 'maxNumberOfRecordsPerRecordSet': 20,
                     'numberOfRecordSets': count + 2, 'zoneType': 'Public',
                     'nameServers': ['ns1-01.azure-dns.com.', 'ns2-01.azure-dns.net.',
                                     'ns3-01.azure-dns.org.', 'ns4-01.azure-dns.info.']}
        else:
            props = {'maxNumberOfRecordSets': 25000, 'numberOfRecordSets': count + 1,
                     'maxNumberOfVirtualNetworkLinks': 1000,
                     'maxNumberOfVirtualNetworkLinksWithRegistration': 100,
                     'numberOfVirtualNetworkLinks': 0,
                     'numberOfVirtualNetworkLinksWithRegistration': 0,
                     'provisioningState': 'Succeeded'}
            zid = zid.lower()  # Private DNS answers lower-cased ids (cloud-apis.md §3.3)
        return {'id': zid, 'name': name, 'type': 'Microsoft.Network/' + rtype,
                'etag': info['etag'], 'location': 'global', 'tags': {}, 'properties': props}

    def _set_json(self, kind, sub, rg, zone, relative, rs):
        public = kind == 'dnszones'
        fqdn = (zone if relative == '@' else relative + '.' + zone) + '.'
        rtype = 'dnszones' if public else 'privateDnsZones'
        sid = '/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/%s/%s/TXT/%s' % (
            sub, rg, rtype, zone, relative)
        records = [{'value': list(r)} for r in rs['records']]
        if public:
            props = {'metadata': rs['metadata'], 'TTL': rs['ttl'], 'fqdn': fqdn,
                     'provisioningState': 'Succeeded', 'targetResource': {},
                     'TXTRecords': records}
        else:
            props = {'metadata': rs['metadata'], 'ttl': rs['ttl'], 'fqdn': fqdn,
                     'isAutoRegistered': False, 'txtRecords': records}
            sid = sid.lower()
        return {'id': sid, 'name': relative.lower() if not public else relative,
                'type': 'Microsoft.Network/%s/TXT' % rtype, 'etag': rs['etag'],
                'properties': props}

    @staticmethod
    def _fqdn(zone, relative):
        return zone if relative == '@' else relative.lower() + '.' + zone

    # --- ARM: zones ---------------------------------------------------------------------------

    def list_zones(self, request):
        kind, error = self._kind(request)
        if error:
            return error
        error = self._authorize(request, 'Microsoft.Network/%s/read' % (
            'dnszones' if kind == 'dnszones' else 'privateDnsZones'))
        if error:
            return error
        sub, rg = request.params['sub'], request.params.get('rg')
        if sub.lower() != self.subscription.lower():
            return self._arm_error(404, 'SubscriptionNotFound',
                                   "The subscription '%s' could not be found." % sub)
        with self.lock:
            if rg is not None and rg.lower() not in {z['rg'].lower() for z in self.zones.values()}:
                return self._arm_error(404, 'ResourceGroupNotFound',
                                       "Resource group '%s' could not be found." % rg)
            zones = [self._zone_json(k, n, info) for (k, n), info in sorted(self.zones.items())
                     if k == kind and (rg is None or info['rg'].lower() == rg.lower())]
            self.zone_pages_served += 1
        top = int(request.arg('$top') or self.page_size)
        skip = int(request.arg('$skipToken') or request.arg('$skiptoken') or 0)
        page = {'value': zones[skip:skip + top]}
        if skip + top < len(zones):
            query = urllib.parse.urlencode({'api-version': request.arg('api-version'),
                                            '$top': top, '$skipToken': skip + top})
            page['nextLink'] = self.url + request.path + '?' + query
        return page

    def get_zone(self, request):
        kind, error = self._kind(request)
        if error:
            return error
        error = self._authorize(request, 'Microsoft.Network/%s/read' % request.params['rtype'])
        if error:
            return error
        zone, error = self._zone(request, kind)
        if error:
            return error
        with self.lock:
            return self._zone_json(kind, zone, self.zones[(kind, zone)])

    # --- ARM: TXT record sets -----------------------------------------------------------------

    def _set_request(self, request, verb):
        """(kind, zone, relative, None) or (..., error Response)."""
        kind, error = self._kind(request)
        if error:
            return None, None, None, error
        action = 'Microsoft.Network/%s/TXT/%s' % (
            'dnszones' if kind == 'dnszones' else 'privateDnsZones', verb)
        error = self._authorize(request, action)
        if error:
            return None, None, None, error
        zone, error = self._zone(request, kind)
        if error:
            return None, None, None, error
        return kind, zone, request.params['name'].lower(), None

    def get_set(self, request):
        kind, zone, relative, error = self._set_request(request, 'read')
        if error:
            return error
        with self.lock:
            rs = self.sets.get((kind, zone, relative))
            if rs is None:
                # the DNS RP's own 404 shape: top-level code/message (cloud-apis.md §0.11)
                return Response(404, {'code': 'NotFound', 'message':
                                      "The resource record '%s' does not exist in resource group "
                                      "'%s' of subscription '%s'." % (
                                          request.params['name'], request.params['rg'],
                                          request.params['sub'])})
            return self._set_json(kind, request.params['sub'], request.params['rg'], zone,
                                  request.params['name'], rs)

    @staticmethod
    def _precondition(request, current):
        """None when If-Match / If-None-Match allow the write, else the 412 Response."""
        if_match = request.headers.get('If-Match')
        if_none = request.headers.get('If-None-Match')
        if if_none is not None and if_none.strip() == '*' and current is not None:
            return AzureFake._arm_error(412, 'PreconditionFailed',
                                        "The condition '*' in the If-None-Match header was not "
                                        "satisfied. The current was '%s'." % current['etag'])
        if if_match is not None:
            wanted = if_match.strip().strip('"')
            if current is None or (wanted != '*' and wanted != current['etag']):
                return AzureFake._arm_error(
                    412, 'PreconditionFailed',
                    "The condition '%s' in the If-Match header was not satisfied. The current "
                    "was '%s'." % (if_match, current['etag'] if current else 'n/a'))
        return None

    def _parse_records(self, kind, body):
        """(ttl, records, metadata, None) or (..., error Response) from a PUT body."""
        public = kind == 'dnszones'
        props = (body or {}).get('properties')
        if not isinstance(props, dict):
            return None, None, None, self._arm_error(400, 'BadRequest',
                                                     "The 'properties' field is required.")
        ttl_key, records_key = ('TTL', 'TXTRecords') if public else ('ttl', 'txtRecords')
        for wrong in (('ttl', 'txtRecords') if public else ('TTL', 'TXTRecords')):
            if wrong in props:  # the spec's spelling only: a client that mixes them is broken
                return None, None, None, self._arm_error(
                    400, 'BadRequest', "Unknown property '%s' for a %s record set; this "
                    "resource type uses '%s' and '%s'." % (wrong, kind, ttl_key, records_key))
        ttl = props.get(ttl_key, 3600)
        if not isinstance(ttl, int) or isinstance(ttl, bool) or not 0 <= ttl <= 2147483647:
            return None, None, None, self._arm_error(400, 'BadRequest',
                                                     'The TTL must be between 0 and 2147483647.')
        records = []
        for entry in props.get(records_key) or []:
            values = entry.get('value') if isinstance(entry, dict) else None
            if not isinstance(values, list) or not values or \
                    not all(isinstance(v, str) for v in values):
                return None, None, None, self._arm_error(
                    400, 'BadRequest', 'Each TXT record needs a non-empty list of strings.')
            if any(len(v.encode('utf-8')) > 255 for v in values):
                return None, None, None, self._arm_error(
                    400, 'BadRequest', 'A TXT record string may not be longer than 255 '
                    'characters.')
            if tuple(values) in records:
                return None, None, None, self._arm_error(
                    400, 'BadRequest', "The list of record sets of type 'TXT' may not contain "
                    "multiple entries with the same 'value'.")
            records.append(tuple(values))
        return ttl, records, props.get('metadata') or {}, None

    def put_set(self, request):
        kind, zone, relative, error = self._set_request(request, 'write')
        if error:
            return error
        try:
            body = request.json()
        except ValueError:
            return self._arm_error(400, 'InvalidRequestContent',
                                   'The request content was invalid and could not be '
                                   'deserialized.')
        ttl, records, metadata, error = self._parse_records(kind, body)
        if error:
            return error
        with self.lock:
            current = self.sets.get((kind, zone, relative))
            error = self._precondition(request, current)
            if error:
                return error
            rs = {'etag': str(uuid.uuid4()), 'ttl': ttl, 'records': records,
                  'metadata': metadata}
            self.dns.replace_txt(self._fqdn(zone, relative), [''.join(r) for r in records], ttl)
            self.sets[(kind, zone, relative)] = rs
            reply = self._set_json(kind, request.params['sub'], request.params['rg'], zone,
                                   request.params['name'], rs)
        return Response(200 if current else 201, reply)

    def delete_set(self, request):
        kind, zone, relative, error = self._set_request(request, 'delete')
        if error:
            return error
        with self.lock:
            current = self.sets.get((kind, zone, relative))
            if current is None and request.headers.get('If-Match') is None:
                return Response(204)
            error = self._precondition(request, current)
            if error:
                return error
            self.dns.replace_txt(self._fqdn(zone, relative), [])
            del self.sets[(kind, zone, relative)]
        return Response(200)

    def user_value(self, zone, relative, value, present=True, ttl=300, private=False):
        """Adds (present) or removes a TXT value the way a user of the portal would: the set's
        other values stay, a new etag is minted, BIND follows."""
        kind = 'privatednszones' if private else 'dnszones'
        key = (kind, zone.lower(), relative.lower())
        with self.lock:
            rs = self.sets.get(key) or {'ttl': ttl, 'records': [], 'metadata': {}}
            records = [r for r in rs['records'] if ''.join(r) != value]
            if present:
                records.append((value,))
            if records:
                self.sets[key] = dict(rs, records=records, etag=str(uuid.uuid4()))
            else:
                self.sets.pop(key, None)
            self.dns.replace_txt(self._fqdn(zone.lower(), relative), [''.join(r) for r in records],
                                 rs['ttl'])
