"""Generates the sandbox's files: TSIG keys, named.conf for both servers, zone files, pebble's
config and TLS certificates. Pure text builders plus one openssl call sequence; no daemons here.
"""

import base64
import json
import os
import secrets
import subprocess

OPENSSL = '/usr/bin/openssl'

# Subdomains (below each zone) whose _acme-challenge TXT the restricted key may also change.
# BIND 9.18 has no "first label equals" rule, so the restricted key gets one `name` rule per
# owner: _acme-challenge.<zone> and _acme-challenge.<label>.<zone> for each label here.
ACME_SUBDOMAIN_LABELS = ('www', 'sub', 'api', 'mail', 'a', 'b', 'c', 'test', 'host',
                         'deep.sub', 'a.b', 'x.y.z')


def write_private(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w', encoding='utf-8') as f:
        f.write(text)
    os.chmod(path, 0o600)


def write_delay(workdir, seconds):
    """The secondary delay the NOTIFY relay reads for each NOTIFY (atomic replace)."""
    path = os.path.join(workdir, 'relay', 'delay')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + '.tmp', 'w', encoding='ascii') as f:
        f.write('%r\n' % float(seconds))
    os.replace(path + '.tmp', path)


def new_tsig_secret():
    return base64.b64encode(secrets.token_bytes(32)).decode('ascii')


def key_clause(name, algorithm, secret):
    return 'key "%s" {\n\talgorithm %s;\n\tsecret "%s";\n};\n' % (name, algorithm, secret)


def acme_names(zone, labels=ACME_SUBDOMAIN_LABELS):
    return ['_acme-challenge.%s.' % zone] + ['_acme-challenge.%s.%s.' % (l, zone) for l in labels]


def zone_file(zone, primary_ip, secondary_ip, serial):
    # Long refresh/retry: only NOTIFY (through the relay) makes the secondary transfer. Negative
    # TTL (SOA minimum) 1 s so NXDOMAIN answers are not cached for long by anyone.
    return '\n'.join([
        '$ORIGIN %s.' % zone,
        '$TTL 60',
        '@\t60\tIN\tSOA\tns1.%s. hostmaster.%s. %d 86400 3600 604800 1' % (zone, zone, serial),
        '@\t60\tIN\tNS\tns1.%s.' % zone,
        '@\t60\tIN\tNS\tns2.%s.' % zone,
        'ns1\t60\tIN\tA\t%s' % primary_ip,
        'ns2\t60\tIN\tA\t%s' % secondary_ip,
        '@\t60\tIN\tA\t127.0.0.1',
        'www\t60\tIN\tA\t127.0.0.1',
        '',
    ])


def rate_limit_clause(rate_limit):
    """BIND's response rate limiting (RRL) as authoritative servers run it, or '' when off.
    rate_limit: responses per second for identical answers to one client /24 (NXDOMAIN and
    NODATA answers of a zone count as one answer); slip 2 (BIND's default): every second limited
    answer is an empty truncated one, the others are dropped."""
    if not rate_limit:
        return ''
    return 'rate-limit { responses-per-second %d; slip 2; }' % int(rate_limit)


def _options(d, listen, listen_v6, querylog, extra):
    lines = [
        'options {',
        '\tdirectory "%s";' % d,
        '\tpid-file "%s/named.pid";' % d,
        '\tlock-file "%s/named.lock";' % d,
        '\tsession-keyfile "%s/session.key";' % d,
        '\tmanaged-keys-directory "%s";' % d,
        '\tdump-file "%s/named_dump.db";' % d,
        '\tstatistics-file "%s/named.stats";' % d,
        '\tmemstatistics-file "%s/named.memstats";' % d,
        '\trecursing-file "%s/named.recursing";' % d,
        '\tsecroots-file "%s/named.secroots";' % d,
        '\tbindkeys-file "%s/bind.keys";' % d,
        '\t%s;' % listen,
        '\t%s;' % listen_v6,
        '\trecursion no;',
        '\tdnssec-validation no;',
        '\tempty-zones-enable no;',
        '\tallow-query { any; };',
        '\tquerylog %s;' % ('yes' if querylog else 'no'),
        # BIND's rate limiters tick every 10/rate s (0.5 s at the default 20/s): a second NOTIFY
        # or SOA check for a zone within a tick waits for the next one. Fast ticks keep the
        # secondary's lag at the relay's delay plus a few ms.
        '\tnotify-rate 1000;',
        '\tstartup-notify-rate 1000;',
        '\tserial-query-rate 1000;',
    ]
    lines += ['\t%s;' % e for e in extra]
    lines.append('};')
    return '\n'.join(lines) + '\n'


def _logging(d):
    return '\n'.join([
        'logging {',
        '\tchannel general { file "%s/named.log"; severity info; print-time yes;' % d,
        '\t\tprint-category yes; print-severity yes; };',
        '\tchannel queries { file "%s/query.log"; print-time yes; };' % d,
        # RRL: the start of each limited stream ("limit NXDOMAIN responses to ...") and, at
        # debug level, each dropped or slipped answer; empty while nothing is limited
        '\tchannel rate_limit { file "%s/rate-limit.log"; severity info; print-time yes; };' % d,
        '\tcategory default { general; };',
        '\tcategory queries { queries; };',
        '\tcategory rate-limit { rate_limit; };',
        '\tcategory lame-servers { null; };',
        '};',
        '',
    ])


def primary_conf(d, *, ip, ipv6, port, secondary_ip, relay_port, zones, keys, querylog,
                 acme_labels=ACME_SUBDOMAIN_LABELS, rate_limit=None):
    """keys: {'full': (name, alg, secret), 'acme': (name, alg, secret)}"""
    extra = [
        'notify explicit',
        'notify-delay 0',
        'notify-source %s' % ip,
        'also-notify { %s port %d; }' % (ip, relay_port),
        'allow-transfer { %s; 127.0.0.1; ::1; }' % secondary_ip,
    ]
    if rate_limit:
        extra.append(rate_limit_clause(rate_limit))
    out = [_options(d, 'listen-on port %d { %s; }' % (port, ip),
                    'listen-on-v6 port %d { %s; }' % (port, ipv6), querylog, extra),
           'controls { };\n', _logging(d)]
    full, acme = keys['full'], keys['acme']
    out += [key_clause(*full), key_clause(*acme)]
    for zone in zones:
        rules = ['\t\tgrant %s zonesub ANY;' % full[0]]
        rules += ['\t\tgrant %s name %s TXT;' % (acme[0], n) for n in acme_names(zone, acme_labels)]
        out.append('zone "%s" {\n\ttype primary;\n\tfile "db.%s";\n\tupdate-policy {\n%s\n\t};\n};\n'
                   % (zone, zone, '\n'.join(rules)))
    return '\n'.join(out)


def secondary_conf(d, *, ip, port, primary_ip, zones, querylog, rate_limit=None):
    extra = [
        'notify no',
        'transfer-source %s' % ip,
        'query-source address %s' % ip,
        'allow-notify { %s; }' % primary_ip,
        'allow-transfer { 127.0.0.1; ::1; }',
        # a refresh/transfer that failed (primary busy loading) is retried within seconds, not
        # after the default 500 s; successful refreshes still wait for NOTIFY (SOA refresh 1 day)
        'min-retry-time 1',
        'max-retry-time 5',
    ]
    if rate_limit:
        extra.append(rate_limit_clause(rate_limit))
    out = [_options(d, 'listen-on port %d { %s; }' % (port, ip), 'listen-on-v6 { none; }',
                    querylog, extra), 'controls { };\n', _logging(d)]
    for zone in zones:
        out.append('zone "%s" {\n\ttype secondary;\n\tprimaries { %s port %d; };\n\tfile "db.%s";\n'
                   '\tmasterfile-format text;\n};\n' % (zone, primary_ip, port, zone))
    return '\n'.join(out)


def make_tls(d):
    """A throwaway CA and a leaf for 127.0.0.1/localhost. Returns (ca_pem, cert, key) paths."""
    ca_key, ca_pem = os.path.join(d, 'ca.key'), os.path.join(d, 'ca.pem')
    key, csr, cert = (os.path.join(d, n) for n in ('key.pem', 'leaf.csr', 'cert.pem'))
    ext = os.path.join(d, 'leaf.ext')
    with open(ext, 'w', encoding='ascii') as f:
        f.write('basicConstraints = critical, CA:FALSE\n'
                'keyUsage = critical, digitalSignature, keyEncipherment\n'
                'extendedKeyUsage = serverAuth\n'
                'subjectKeyIdentifier = hash\n'
                'authorityKeyIdentifier = keyid\n'
                'subjectAltName = IP:127.0.0.1, DNS:localhost\n')
    steps = [
        [OPENSSL, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
         '-nodes', '-keyout', ca_key, '-out', ca_pem, '-days', '30', '-subj',
         '/CN=dns01 sandbox test CA', '-addext', 'basicConstraints=critical,CA:TRUE',
         '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
        [OPENSSL, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
         '-keyout', key, '-out', csr, '-subj', '/CN=localhost'],
        [OPENSSL, 'x509', '-req', '-in', csr, '-CA', ca_pem, '-CAkey', ca_key, '-CAcreateserial',
         '-out', cert, '-days', '30', '-extfile', ext],
    ]
    for argv in steps:
        res = subprocess.run(argv, capture_output=True, text=True)
        if res.returncode != 0:
            raise RuntimeError('sandbox: generate TLS certificate: %s' % res.stderr.strip())
    os.chmod(ca_key, 0o600)
    os.chmod(key, 0o600)
    return ca_pem, cert, key


def pebble_config(path, *, listen_port, mgmt_port, http_port, tls_port, cert, key,
                  eab_required, eab_keys):
    conf = {
        'listenAddress': '127.0.0.1:%d' % listen_port,
        'managementListenAddress': '127.0.0.1:%d' % mgmt_port,
        'certificate': cert,
        'privateKey': key,
        'httpPort': http_port,
        'tlsPort': tls_port,
        'ocspResponderURL': '',
        'externalAccountBindingRequired': bool(eab_required),
    }
    if eab_keys:
        conf['externalAccountMACKeys'] = dict(eab_keys)
    write_private(path, json.dumps({'pebble': conf}, indent=2) + '\n')
