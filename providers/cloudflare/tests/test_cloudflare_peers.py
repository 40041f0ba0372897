"""The real peer through the Cloudflare fake: certbot 2.x with its own --dns-cloudflare plugin
(Debian's python3-certbot-dns-cloudflare, over python3-cloudflare) issues a certificate from the
sandbox's pebble. The plugin has no base-URL option, but python-cloudflare reads
CLOUDFLARE_API_URL, so certbot runs unchanged. If certbot and the fake disagree, the fake is wrong.

Also: what certbot leaves in Cloudflare's format (unquoted TXT content) is found and removed by
dns01's provider — a user switching mid-flight (`dns01 cleanup` after a certbot run) is safe.
"""

import os
import subprocess

import pytest

from apifake import BindBackend
from fake_cloudflare import BASE, CloudflareFake
from issue_support import describe, render_toml

CERTBOT = '/usr/bin/certbot'
TOKEN = 'certbot-token-0123456789abcdef'
PEBBLE_ENV = {'PEBBLE_WFE_NONCEREJECT': '0', 'PEBBLE_AUTHZREUSE': '0'}  # see test_hooks_certbot


@pytest.fixture
def cf(sandbox_factory, tmp_path):
    if not os.path.exists('/usr/lib/python3/dist-packages/certbot_dns_cloudflare'):
        pytest.fail('install the Debian packages certbot and python3-certbot-dns-cloudflare '
                    '(scripts/packages-test.txt)')
    sb = sandbox_factory(pebble_env=PEBBLE_ENV)
    backend = BindBackend.from_sandbox(sb)
    fake = CloudflareFake(backend, zones=list(sb.zones), token=TOKEN,
                          workdir=str(tmp_path / 'fake')).start()
    yield sb, fake
    fake.stop()
    backend.wait_applied()
    fake.assert_no_errors()
    assert backend.errors == []


def certbot(sb, fake, workdir, args):
    """certbot with its state in workdir, trusting pebble's and the fake's CAs."""
    bundle = os.path.join(workdir, 'ca-bundle.pem')
    with open(bundle, 'w', encoding='ascii') as out:
        for pem in (sb.ca_bundle, fake.ca_pem):
            with open(pem, encoding='ascii') as f:
                out.write(f.read())
    env = {k: v for k, v in os.environ.items() if not k.startswith(('CLOUDFLARE_', 'CF_'))}
    env.update({'REQUESTS_CA_BUNDLE': bundle, 'CLOUDFLARE_API_URL': fake.api_url,
                'HOME': workdir})
    dirs = ['--config-dir', os.path.join(workdir, 'config'), '--work-dir',
            os.path.join(workdir, 'work'), '--logs-dir', os.path.join(workdir, 'logs')]
    return subprocess.run([CERTBOT] + args + ['--non-interactive', '--agree-tos',
                                              '--register-unsafely-without-email',
                                              '--server', sb.acme_directory] + dirs,
                          env=env, capture_output=True, text=True, timeout=180,
                          stdin=subprocess.DEVNULL)


def test_certbot_dns_cloudflare_issues_through_the_fake(cf, tmp_path):
    sb, fake = cf
    ini = tmp_path / 'cloudflare.ini'
    ini.write_text('dns_cloudflare_api_token = %s\n' % TOKEN)
    os.chmod(ini, 0o600)
    # the fake applies changes before it answers: a 1 s wait is enough for pebble
    proc = certbot(sb, fake, str(tmp_path), [
        'certonly', '--dns-cloudflare', '--dns-cloudflare-credentials', str(ini),
        '--dns-cloudflare-propagation-seconds', '1', '--cert-name', 'cf',
        '-d', 'example.test', '-d', '*.example.test'])
    assert proc.returncode == 0, describe(proc)
    assert os.path.exists(tmp_path / 'config' / 'live' / 'cf' / 'fullchain.pem')
    posts = fake.requests_matching('POST', BASE + '/zones/{z}/dns_records')
    assert len(posts) == 2
    bodies = [p.json() for p in posts]
    assert all(b['type'] == 'TXT' and b['name'] == '_acme-challenge.example.test'
               and b['ttl'] == 120 for b in bodies)
    assert all(not b['content'].startswith('"') for b in bodies)  # certbot sends it bare
    assert fake.count('DELETE', BASE + '/zones/{z}/dns_records/{id}') == 2
    assert fake.records_at('_acme-challenge.example.test') == []
    assert sb.query_txt('primary', '_acme-challenge.example.test.') == []


def test_dns01_removes_what_certbot_left(cf, tmp_path, build_dir, monkeypatch):
    sb, fake = cf
    # certbot's client writes the content bare; the record outlives a killed certbot run
    import CloudFlare
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', fake.ca_pem)
    monkeypatch.setenv('HOME', str(tmp_path))
    client = CloudFlare.CloudFlare(token=TOKEN, base_url=fake.api_url)
    client.zones.dns_records.post(fake.zone_ids['example.test'], data={
        'type': 'TXT', 'name': '_acme-challenge.left.example.test',
        'content': 'certbot-value', 'ttl': 120})
    monkeypatch.delenv('REQUESTS_CA_BUNDLE')
    config = tmp_path / 'tool.toml'
    config.write_text(render_toml({'providers.cf': {
        'type': 'cloudflare', 'zones': ['example.test'], 'endpoint': fake.api_url,
        'ca_bundle': fake.ca_pem, 'api_token': TOKEN}}))
    os.chmod(config, 0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith(('CLOUDFLARE_', 'CF_'))}
    env.setdefault('DNS01_PROVIDER_PATH', os.path.join(build_dir, 'providers'))
    proc = subprocess.run([os.path.join(build_dir, 'tests', 'provider', 'dns01-provider-tool'),
                           '--config', str(config), '--provider', 'cf', 'remove',
                           '_acme-challenge.left.example.test', 'certbot-value'],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, describe(proc)
    assert fake.records_at('_acme-challenge.left.example.test') == []
    assert sb.query_txt('primary', '_acme-challenge.left.example.test.') == []
