"""bench/apply's clients: the 100-certificate fleet, and how each client orders one or all of it.

Every client uses the sandbox's full TSIG key (`dns01.`, any name in the zones: the restricted key
only covers a fixed list of labels) and the CA's directory on loopback. dns01 discovers the
authoritative servers through the primary (like bench/run); lego reaches them through the
port-53 forwarder (bench/lib/port53.py); certbot sleeps a fixed time (its rfc2136 plugin never
queries a nameserver): bench/apply gives it the lag + 1 s, the shortest sleep that can work.
"""

import json
import os

import clients  # bench/lib/clients.py: base_env, Command, _write_private
import peers    # tests/e2e/peers.py: certbot's rfc2136 INI as the hook tests write it

ZONES = ('example.test', 'internal.test')


def fleet(count):
    """[(name, domains)]: single hosts and (every third) apex + wildcard pairs, alternating
    between the two zones - the shape of tests/e2e/test_apply_fleet.py."""
    out = []
    for i in range(count):
        zone = ZONES[i % 2]
        if i % 3 == 0:
            host = 'pair%d.%s' % (i, zone)
            out.append(('pair%d' % i, [host, '*.' + host]))
        else:
            out.append(('host%d' % i, ['host%d.%s' % (i, zone)]))
    return out


def record_names(lineages):
    names = set()
    for _, domains in lineages:
        for d in domains:
            names.add('_acme-challenge.' + (d[2:] if d.startswith('*.') else d))
    return sorted(names)


def write_set(path, lineages):
    lines = []
    for name, domains in lineages:
        lines += ['[[certificate]]', 'name = %s' % json.dumps(name),
                  'domains = [%s]' % ', '.join(json.dumps(d) for d in domains), '']
    with open(path, 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines))
    return path


def dns01_config(sb, rundir, timeout='60s'):
    q = json.dumps
    secret = clients._write_private(os.path.join(rundir, 'tsig.secret'), sb.tsig_secret + '\n')
    server = '%s:%d' % (sb.primary_ip, sb.dns_port)
    text = '\n'.join([
        '[acme]', 'server = %s' % q(sb.acme_directory), 'ca_bundle = %s' % q(sb.ca_bundle),
        'agree_tos = true', 'email = "bench@example.test"', '',
        '[storage]', 'dir = %s' % q(os.path.join(rundir, 'storage')), '',
        '[propagation]', 'resolvers = [%s]' % q(server), 'port = %d' % sb.dns_port,
        'timeout = %s' % q(timeout), '',
        '[log]', 'level = "warn"', '',
        '[providers.sandbox]', 'type = "rfc2136"', 'zones = %s' % json.dumps(list(ZONES)),
        'server = %s' % q(server), 'key_name = %s' % q(sb.tsig_name.rstrip('.')),
        'secret_file = %s' % q(secret), ''])
    return clients._write_private(os.path.join(rundir, 'dns01.toml'), text)


def dns01_env(provider_path, config):
    return clients.base_env({'DNS01_PROVIDER_PATH': provider_path, 'DNS01_CONFIG': config})


def dns01_apply(binary, provider_path, config, set_file, concurrency=8):
    argv = [binary, '--config', config, '--json', '-q', 'apply', '--concurrency', str(concurrency),
            set_file]
    return clients.Command(argv, dns01_env(provider_path, config), stdout_json=True)


def dns01_issue(binary, provider_path, config, name, domains):
    argv = [binary, '--config', config, '--json', '-q', 'issue', '--cert-name', name]
    for d in domains:
        argv += ['-d', d]
    return clients.Command(argv, dns01_env(provider_path, config), stdout_json=True)


def certbot(sb, rundir, name, domains, sleep_s):
    """certbot --dns-rfc2136 sleeping sleep_s seconds (its plugin never checks a nameserver: a
    sleep shorter than the secondary's lag fails validation), one certificate."""
    ini = peers.certbot_rfc2136_ini(sb, rundir, key='full')
    argv = ['certbot', 'certonly', '--non-interactive', '--agree-tos',
            '--register-unsafely-without-email', '--server', sb.acme_directory,
            '--config-dir', os.path.join(rundir, 'config'), '--work-dir', os.path.join(rundir, 'work'),
            '--logs-dir', os.path.join(rundir, 'logs'), '--key-type', 'ecdsa', '--cert-name', name,
            '--dns-rfc2136', '--dns-rfc2136-credentials', ini,
            '--dns-rfc2136-propagation-seconds', str(sleep_s)]
    for d in domains:
        argv += ['-d', d]
    return clients.Command(argv, clients.base_env({'REQUESTS_CA_BUNDLE': sb.ca_bundle}))


def lego(sb, rundir, domains):
    """lego --dns rfc2136 tuned as bench/run's lego-tuned (sequence 0, polling 1 s)."""
    server = '%s:%d' % (sb.primary_ip, sb.dns_port)
    env = clients.base_env({
        'LEGO_CA_CERTIFICATES': sb.ca_bundle, 'RFC2136_NAMESERVER': server,
        'RFC2136_TSIG_KEY': sb.tsig_name, 'RFC2136_TSIG_SECRET': sb.tsig_secret,
        'RFC2136_TSIG_ALGORITHM': 'hmac-sha256.', 'RFC2136_SEQUENCE_INTERVAL': '0',
        'RFC2136_POLLING_INTERVAL': '1', 'RFC2136_PROPAGATION_TIMEOUT': '30'})
    argv = ['lego', '--accept-tos', '--email', 'bench@example.test', '--server', sb.acme_directory,
            '--path', os.path.join(rundir, 'lego'), '--key-type', 'ec256', '--dns', 'rfc2136',
            '--dns.resolvers', server]
    for d in domains:
        argv += ['--domains', d]
    return clients.Command(argv + ['run'], env)


def pebble_requests(sb):
    """Requests pebble has logged so far (one line per HTTP request it served)."""
    path = os.path.join(sb.workdir, 'pebble', 'stdout.log')
    count = 0
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            if any(' %s /' % m in line for m in ('GET', 'POST', 'HEAD')):
                count += 1
    return count
