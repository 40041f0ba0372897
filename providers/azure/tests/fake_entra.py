"""fake_entra: the Microsoft Entra ID side of the Azure fake (fake_azure.py): the v2.0 token
endpoint (client secret and client assertion), its discovery documents, and the managed-identity
endpoints of IMDS (`Metadata: true`, api-version 2018-02-01) and App Service / Container Apps
(`X-IDENTITY-HEADER`, 2019-08-01). Tokens are opaque, remembered with their principal, audience
and expiry, so the ARM side can check the bearer (cloud-apis.md §3.1).

A mixin for an ApiFake: call `self._init_entra()` in __init__ (it registers the routes).
"""

import secrets
import time
import urllib.parse
import uuid

from apifake import Response

IMDS_API = '2018-02-01'
APP_SERVICE_API = '2019-08-01'
ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
# ARM accepts tokens for the current and the legacy audience (cloud-apis.md §0.12).
AUDIENCES = ('https://management.azure.com', 'https://management.core.windows.net')


def _audience(scope_or_resource):
    """'https://management.azure.com/.default' or '.../' -> 'https://management.azure.com'."""
    text = scope_or_resource or ''
    if text.endswith('/.default'):
        text = text[:-len('/.default')]
    return text.rstrip('/')


class EntraIdMixin:
    """Entra ID and managed-identity token endpoints; state guarded by the fake's lock."""

    token_lifetime = 3599  # seconds a new token lives

    def _init_entra(self):
        self.clients = {}        # (tenant, client_id) -> {'secret', 'assertion'}
        self.identities = {}     # client_id -> principal  ('' key: the system identity)
        self.tokens = {}         # access token -> {'principal', 'audience', 'expires', 'kind'}
        self.identity_header = secrets.token_hex(16)
        self.route('POST', '/{tenant}/oauth2/v2.0/token', self.entra_token)
        self.route('GET', '/{tenant}/v2.0/.well-known/openid-configuration', self.openid_config)
        self.route('GET', '/common/discovery/instance', self.instance_discovery)
        self.route('GET', '/metadata/identity/oauth2/token', self.imds_token)
        self.route('GET', '/msi/token', self.app_service_token)

    def add_client(self, tenant, client_id, secret=None, assertion=None):
        with self.lock:
            self.clients[(tenant, client_id)] = {'secret': secret, 'assertion': assertion}

    def add_managed_identity(self, client_id='', system=False):
        """system=True: the machine's system-assigned identity (asked for without client_id)."""
        with self.lock:
            self.identities['' if system else client_id] = client_id or 'system-assigned'

    @property
    def authority_host(self):
        return self.url

    @property
    def imds_host(self):
        return self.url

    @property
    def identity_endpoint(self):
        return self.url + '/msi/token'

    def tokens_issued(self, kind=None):
        with self.lock:
            return [t for t in self.tokens.values() if kind is None or t['kind'] == kind]


    def _mint(self, principal, audience, kind):
        token = 'eyJ0eXAiOiJKV1QifQ.' + secrets.token_urlsafe(48) + '.fake'
        expires = int(time.time()) + self.token_lifetime
        with self.lock:
            self.tokens[token] = {'principal': principal, 'audience': audience,
                                  'expires': expires, 'kind': kind}
        return token, expires

    @staticmethod
    def _aad_error(status, error, code, text):
        return Response(status, {'error': error, 'error_description': 'AADSTS%d: %s' % (code, text),
                                 'error_codes': [code], 'timestamp': time.strftime(
                                     '%Y-%m-%d %H:%M:%SZ', time.gmtime()),
                                 'trace_id': str(uuid.uuid4()),
                                 'correlation_id': str(uuid.uuid4())})

    def entra_token(self, request):
        form = {k: v[0] for k, v in urllib.parse.parse_qs(request.body.decode('utf-8'),
                                                           keep_blank_values=True).items()}
        tenant = request.params['tenant']
        if form.get('grant_type') != 'client_credentials':
            return self._aad_error(400, 'unsupported_grant_type', 70003,
                                   'The app requested an unsupported grant type.')
        client_id = form.get('client_id', '')
        with self.lock:
            client = self.clients.get((tenant, client_id))
        if client is None:
            return self._aad_error(400, 'unauthorized_client', 700016,
                                   "Application with identifier '%s' was not found in the "
                                   "directory '%s'." % (client_id, tenant))
        audience = _audience(form.get('scope'))
        if not form.get('scope', '').endswith('/.default') or audience not in AUDIENCES:
            return self._aad_error(400, 'invalid_scope', 70011,
                                   "The provided value for the input parameter 'scope' is not "
                                   "valid.")
        if 'client_assertion' in form:
            if form.get('client_assertion_type') != ASSERTION_TYPE:
                return self._aad_error(400, 'invalid_request', 90014,
                                       "The request body must contain the following parameter: "
                                       "'client_assertion_type'.")
            if client['assertion'] is None or form['client_assertion'] != client['assertion']:
                return self._aad_error(400, 'invalid_client', 700213,
                                       'No matching federated identity record found for '
                                       'presented assertion subject.')
            kind = 'federated'
        elif 'client_secret' in form:
            if client['secret'] is None or form['client_secret'] != client['secret']:
                return self._aad_error(401, 'invalid_client', 7000215,
                                       'Invalid client secret provided. Ensure the secret being '
                                       "sent in the request is the client secret value, not the "
                                       "client secret ID, for a secret added to app '%s'."
                                       % client_id)
            kind = 'secret'
        else:
            return self._aad_error(401, 'invalid_client', 7000218,
                                   "The request body must contain the following parameter: "
                                   "'client_assertion' or 'client_secret'.")
        token, _ = self._mint(client_id, audience, kind)
        return {'token_type': 'Bearer', 'expires_in': self.token_lifetime,
                'ext_expires_in': self.token_lifetime, 'access_token': token}

    def openid_config(self, request):
        base = '%s/%s' % (self.url, request.params['tenant'])
        return {'token_endpoint': base + '/oauth2/v2.0/token',
                'authorization_endpoint': base + '/oauth2/v2.0/authorize',
                'issuer': 'https://login.microsoftonline.com/%s/v2.0' % request.params['tenant'],
                'token_endpoint_auth_methods_supported': ['client_secret_post',
                                                          'private_key_jwt',
                                                          'client_secret_basic'],
                'response_types_supported': ['code', 'id_token', 'code id_token',
                                             'id_token token'],
                'jwks_uri': base + '/discovery/v2.0/keys'}

    def instance_discovery(self, request):
        host = urllib.parse.urlsplit(self.url).netloc
        return {'tenant_discovery_endpoint':
                self.url + '/common/v2.0/.well-known/openid-configuration',
                'api-version': '1.1',
                'metadata': [{'preferred_network': host, 'preferred_cache': host,
                              'aliases': [host]}]}

    def _identity_token(self, request, client_id, body_extra):
        with self.lock:
            principal = self.identities.get(client_id or '')
        if principal is None:
            return Response(400, {'error': 'invalid_request',
                                  'error_description': 'Identity not found'})
        audience = _audience(request.arg('resource'))
        if audience not in AUDIENCES:
            return Response(400, {'error': 'invalid_resource',
                                  'error_description': 'AADSTS500011: The resource principal '
                                  'named %s was not found.' % request.arg('resource')})
        token, expires = self._mint(principal, audience, body_extra.pop('kind'))
        body = {'access_token': token, 'expires_on': str(expires),
                'resource': request.arg('resource'), 'token_type': 'Bearer',
                'client_id': principal}
        body.update(body_extra)
        return body

    def imds_token(self, request):
        if request.headers.get('Metadata') != 'true':
            return Response(400, {'error': 'invalid_request',
                                  'error_description': 'Required metadata header not specified'})
        if request.arg('api-version') != IMDS_API:
            return Response(400, {'error': 'invalid_request',
                                  'error_description': 'Invalid version of api-version'})
        # IMDS writes every number as a string (cloud-apis.md §0.12)
        return self._identity_token(request, request.arg('client_id'), {
            'kind': 'imds', 'expires_in': str(self.token_lifetime),
            'ext_expires_in': str(self.token_lifetime), 'not_before': str(int(time.time()))})

    def app_service_token(self, request):
        if request.headers.get('X-IDENTITY-HEADER') != self.identity_header:
            return Response(401, {'statusCode': 401, 'message': 'Unauthorized request: the '
                                  'X-IDENTITY-HEADER header is missing or wrong.'})
        if request.arg('api-version') != APP_SERVICE_API:
            return Response(400, {'statusCode': 400, 'message': 'Unsupported api-version'})
        return self._identity_token(request, request.arg('client_id'), {'kind': 'app_service'})
