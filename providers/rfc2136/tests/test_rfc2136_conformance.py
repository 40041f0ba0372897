"""The provider conformance suite (tests/provider/conformance.py) for rfc2136, against the
sandbox's real BIND primary: no fake, the provider talks RFC 2136 to BIND itself.

rfc2136 has no HTTP API, so the cases that need an injected fault (a rate limit, a held reply
during `dns01 issue`) are skipped with that reason; Ctrl-C during the propagation wait is covered
by tests/e2e/test_issue_failures.py.
"""

import os

from conformance import Harness, ProviderConformance


class Rfc2136Harness(Harness):
    code = 'rfc2136'
    zone = 'example.test'
    # key_name without its secret: the provider must say the secret is missing
    credential_keys = ('secret',)
    max_batch = None  # one UPDATE per zone for any batch size
    capabilities = frozenset()

    def start(self, sb, workdir):
        secret_file = os.path.join(workdir, 'tsig.secret')
        fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w', encoding='ascii') as f:
            f.write(sb.tsig_secret + '\n')
        # the full key: the cases use many _acme-challenge.<label> names
        return {'type': 'rfc2136', 'zones': [self.zone],
                'server': '%s:%d' % (sb.primary_ip, sb.dns_port),
                'key_name': sb.tsig_name.rstrip('.'), 'secret_file': secret_file}


class TestRfc2136Conformance(ProviderConformance):
    harness_class = Rfc2136Harness
