"""Launch wrappers for the peer ACME clients (certbot, lego) against a started Sandbox.

Used by tests/e2e/test_hooks_*.py and reusable by bench/ (import with tests/e2e on sys.path).
Everything runs on loopback: the clients only ever talk to the sandbox's pebble (by IP) and its
BIND servers (explicit IP:port), never to the system resolver:

- certbot gets --server/--config-dir/--work-dir/--logs-dir in a private directory and
  REQUESTS_CA_BUNDLE=<sandbox CA>; nothing else in certbot's manual/rfc2136 paths resolves names.
- lego gets --dns.resolvers <primary>:<port> and --dns.disable-cp: dns01 (exec/httpreq) has
  already waited until every authoritative server serves the value, and lego's own "all
  authoritative NS" step would resolve the NS names with the system resolver and dial port 53
  (docs: testbed-notes gotcha 2). LEGO_CA_CERTIFICATES=<sandbox CA>.
"""

import os
import shlex
import signal
import socket
import subprocess
import time

CERTBOT = '/usr/bin/certbot'
LEGO = '/usr/bin/lego'


def dns01_config(sandbox, directory, name='dns01.toml', timeout='60s', key='acme'):
    """Writes a dns01.toml for the sandbox ([storage] in directory, [propagation] nameservers =
    primary + secondary, [providers.internal] rfc2136 with the restricted `dns01-acme` key or
    the full key) and returns its path."""
    os.makedirs(directory, exist_ok=True)
    secret = sandbox.acme_tsig_secret if key == 'acme' else sandbox.tsig_secret
    key_name = sandbox.acme_tsig_name if key == 'acme' else sandbox.tsig_name
    secret_file = os.path.join(directory, 'tsig.secret')
    with open(secret_file, 'w', encoding='ascii') as f:
        f.write(secret + '\n')
    os.chmod(secret_file, 0o600)
    port = sandbox.dns_port
    text = '\n'.join([
        '[storage]',
        'dir = "%s"' % os.path.join(directory, 'storage'),
        '[propagation]',
        'nameservers = ["%s:%d", "%s:%d"]' % (sandbox.primary_ip, port, sandbox.secondary_ip, port),
        'timeout = "%s"' % timeout,
        '[providers.internal]',
        'type = "rfc2136"',
        'zones = [%s]' % ', '.join('"%s"' % z for z in sandbox.zones),
        'server = "%s:%d"' % (sandbox.primary_ip, port),
        'key_name = "%s"' % key_name.rstrip('.'),
        'secret_file = "%s"' % secret_file,
        '',
    ])
    path = os.path.join(directory, name)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
    return path


def dns01_env(build_dir, extra=None):
    """The environment dns01 needs when a client runs it as a hook (provider modules)."""
    env = dict(os.environ)
    env.setdefault('DNS01_PROVIDER_PATH', os.path.join(build_dir, 'providers'))
    env.update({k: str(v) for k, v in (extra or {}).items()})
    return env


def certbot_hook_flags(dns01_bin, config):
    """certbot flags making dns01 the manual DNS auth/cleanup hook (what docs/hooks.md shows)."""
    prefix = '%s --config %s' % (shlex.quote(dns01_bin), shlex.quote(str(config)))
    return ['--manual', '--preferred-challenges', 'dns',
            '--manual-auth-hook', prefix + ' certbot-auth',
            '--manual-cleanup-hook', prefix + ' certbot-cleanup']


def certbot(sandbox, directory, args, env=None, timeout=120):
    """Runs certbot with its state in `directory` (config/, work/, logs/) against the sandbox's
    pebble. `args` start with the subcommand (certonly, renew, ...). Returns CompletedProcess."""
    dirs = {k: os.path.join(directory, k) for k in ('config', 'work', 'logs')}
    for d in dirs.values():
        os.makedirs(d, exist_ok=True)
    full_env = dict(env or os.environ)
    full_env['REQUESTS_CA_BUNDLE'] = sandbox.ca_bundle
    argv = [CERTBOT] + list(args) + [
        '--non-interactive', '--agree-tos', '--register-unsafely-without-email',
        '--server', sandbox.acme_directory,
        '--config-dir', dirs['config'], '--work-dir', dirs['work'], '--logs-dir', dirs['logs']]
    return subprocess.run(argv, env=full_env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def certbot_rfc2136_ini(sandbox, directory, key='acme'):
    """Credentials INI for certbot's own --dns-rfc2136 plugin (mode 600, upper-case algorithm:
    testbed-notes gotcha 6). Returns its path."""
    secret = sandbox.acme_tsig_secret if key == 'acme' else sandbox.tsig_secret
    key_name = sandbox.acme_tsig_name if key == 'acme' else sandbox.tsig_name
    path = os.path.join(directory, 'rfc2136.ini')
    with open(path, 'w', encoding='ascii') as f:
        f.write('dns_rfc2136_server = %s\ndns_rfc2136_port = %d\ndns_rfc2136_name = %s\n'
                'dns_rfc2136_secret = %s\ndns_rfc2136_algorithm = HMAC-SHA256\n'
                % (sandbox.primary_ip, sandbox.dns_port, key_name, secret))
    os.chmod(path, 0o600)
    return path


def private_resolv_conf(directory, nameserver='127.0.0.1'):
    """Writes a resolv.conf naming only `nameserver` and returns its path (for lego(...,
    resolv_conf=...))."""
    path = os.path.join(directory, 'resolv.conf')
    with open(path, 'w', encoding='ascii') as f:
        f.write('nameserver %s\n' % nameserver)
    return path


def lego(sandbox, directory, provider, domains, env=None, timeout=120, extra=(), disable_cp=True,
         resolv_conf=None):
    """Runs `lego --dns <provider> ... run` with its state in directory/.lego against the
    sandbox's pebble (see the module docstring for the resolver flags). `env` holds the
    provider's variables (EXEC_PATH, HTTPREQ_ENDPOINT, RFC2136_*, ...). Returns CompletedProcess.

    disable_cp=False keeps lego's own "every authoritative NS" check. lego then resolves the NS
    names with the system resolver and queries them on port 53, so it needs a sandbox whose
    nameservers listen on port 53 and resolv_conf=private_resolv_conf(...): lego then runs as
    `unshare --mount sh -c 'mount --bind <resolv_conf> /etc/resolv.conf && exec lego ...'`
    (root only), so no query ever leaves loopback."""
    full_env = dict(env or os.environ)
    full_env['LEGO_CA_CERTIFICATES'] = sandbox.ca_bundle
    argv = [LEGO, '--server', sandbox.acme_directory, '--accept-tos', '--email',
            'hooks@example.test', '--path', os.path.join(directory, '.lego'), '--dns', provider,
            '--dns.resolvers', '%s:%d' % (sandbox.primary_ip, sandbox.dns_port)]
    if disable_cp:
        argv.append('--dns.disable-cp')
    argv += list(extra)
    for d in domains:
        argv += ['-d', d]
    argv.append('run')
    if not disable_cp and resolv_conf is None:
        raise ValueError('lego: its own NS check needs resolv_conf= (it would ask the host resolver)')
    if resolv_conf is not None:
        argv = ['unshare', '--mount', 'sh', '-c',
                'mount --bind "$0" /etc/resolv.conf && exec "$@"', resolv_conf] + argv
    return subprocess.run(argv, env=full_env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def free_port(host='127.0.0.1'):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class HttpreqServer:
    """`dns01 serve-httpreq` as a context manager: started on a free loopback port, stopped by
    PID with SIGTERM (it then removes the records it still holds). `.endpoint` is the URL for
    lego's HTTPREQ_ENDPOINT; `.stderr()` its log so far."""

    def __init__(self, dns01_bin, config, env, directory, username=None, password=None):
        self.port = free_port()
        self.endpoint = 'http://127.0.0.1:%d' % self.port
        self.log_path = os.path.join(directory, 'serve-httpreq.log')
        argv = [dns01_bin, '--config', str(config), 'serve-httpreq', '--listen',
                '127.0.0.1:%d' % self.port]
        if username is not None:
            pw_file = os.path.join(directory, 'httpreq.password')
            with open(pw_file, 'w', encoding='utf-8') as f:
                f.write(password + '\n')
            os.chmod(pw_file, 0o600)
            argv += ['--username', username, '--password-file', pw_file]
        self._log = open(self.log_path, 'w', encoding='utf-8')
        self.proc = subprocess.Popen(argv, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('serve-httpreq exited: %s' % self.stderr())
            try:
                socket.create_connection(('127.0.0.1', self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError('serve-httpreq did not listen: %s' % self.stderr())

    def stderr(self):
        with open(self.log_path, encoding='utf-8') as f:
            return f.read()

    def stop(self, timeout=30):
        """SIGTERM by PID, wait; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def wait_all_clean(sandbox, names, timeout=15.0):
    """Waits until neither the primary nor the secondary serves any TXT at names; returns the
    leftovers {(server, name): [values]} (empty when clean)."""
    deadline = time.monotonic() + timeout
    while True:
        left = {}
        for server in ('primary', 'secondary'):
            for name in names:
                values = sandbox.query_txt(server, name)
                if values:
                    left[(server, name)] = values
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)
