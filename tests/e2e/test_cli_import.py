"""issue 18: migration from certbot — a certbot 2.1 lineage made with its own --dns-rfc2136
plugin in the sandbox is imported, renews under `dns01 renew`, and certbot no longer renews it."""

import json
import os
import subprocess

import pytest

import peers

PEBBLE_ENV = {'PEBBLE_WFE_NONCEREJECT': '0', 'PEBBLE_AUTHZREUSE': '0'}


@pytest.fixture(autouse=True)
def _client_installed():
    if not os.path.exists(peers.CERTBOT):
        pytest.fail('%s is missing: install certbot and python3-certbot-dns-rfc2136' % peers.CERTBOT)


def dns01(dns01_bin, env, config, *args):
    proc = subprocess.run([dns01_bin, '--config', config, '--json', *args], env=env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    return proc, (json.loads(proc.stdout) if proc.stdout.strip() else None)


def test_certbot_rfc2136_lineage_moves_to_dns01(sandbox_factory, tmp_path, dns01_bin, build_dir):
    sb = sandbox_factory(pebble_env=PEBBLE_ENV)
    work = str(tmp_path)
    certbot_dir = os.path.join(work, 'certbot')
    ini = peers.certbot_rfc2136_ini(sb, work, key='full')
    args = ['certonly', '--dns-rfc2136', '--dns-rfc2136-credentials', ini,
            '--dns-rfc2136-propagation-seconds', '2', '--cert-name', 'moved',
            '-d', 'moved.example.test', '-d', '*.moved.example.test',
            '--deploy-hook', 'echo deployed >> %s' % os.path.join(work, 'deploy.out')]
    made = peers.certbot(sb, certbot_dir, args)
    assert made.returncode == 0, made.stdout + made.stderr
    conf_dir = os.path.join(certbot_dir, 'config')
    conf = os.path.join(conf_dir, 'renewal', 'moved.conf')
    assert os.path.exists(conf)
    # A non-DNS lineage next to it is left alone.
    with open(os.path.join(conf_dir, 'renewal', 'web.conf'), 'w', encoding='utf-8') as f:
        f.write('[renewalparams]\nauthenticator = webroot\n')

    config = peers.dns01_config(sb, os.path.join(work, 'dns01'), key='full')
    with open(config, 'a', encoding='utf-8') as f:
        f.write('[acme]\nca_bundle = "%s"\n' % sb.ca_bundle)
    env = peers.dns01_env(build_dir)

    proc, before = dns01(dns01_bin, env, config, 'renew')
    assert proc.returncode == 0 and before['certificates'] == [], proc.stderr

    proc, result = dns01(dns01_bin, env, config, 'import', '--certbot-dir', conf_dir, '--dry-run')
    assert proc.returncode == 0, proc.stderr
    assert {c['cert_name']: c['status'] for c in result['certificates']} == {
        'moved': 'would_import', 'web': 'skipped'}, result
    assert os.path.exists(conf)

    proc, result = dns01(dns01_bin, env, config, 'import', '--certbot-dir', conf_dir)
    assert proc.returncode == 0, proc.stderr
    by_name = {c['cert_name']: c for c in result['certificates']}
    moved = by_name['moved']
    assert moved['status'] == 'imported' and moved['reason'] == 'dns-rfc2136', moved
    assert sorted(moved['domains']) == ['*.moved.example.test', 'moved.example.test']
    assert moved['unrouted'] == []
    assert 'webroot' in by_name['web']['reason']
    assert not os.path.exists(conf) and os.path.exists(conf + '.imported-by-dns01')
    # certbot's own files are untouched.
    assert os.path.exists(os.path.join(conf_dir, 'live', 'moved', 'fullchain.pem'))

    # certbot no longer knows the lineage, so it never renews it.
    listed = peers.certbot(sb, certbot_dir, ['certificates'])
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert 'moved' not in listed.stdout, listed.stdout
    renewed_by_certbot = peers.certbot(sb, certbot_dir, ['renew', '--no-random-sleep-on-renew'])
    assert 'moved' not in renewed_by_certbot.stdout + renewed_by_certbot.stderr

    # dns01 renews it: not due (pebble: 5 years) until forced, then a new version with the
    # certbot deploy hook carried over.
    proc, result = dns01(dns01_bin, env, config, 'renew')
    assert proc.returncode == 0, proc.stderr
    assert [(c['cert_name'], c['status']) for c in result['certificates']] == [('moved', 'not_due')]
    proc, result = dns01(dns01_bin, env, config, 'renew', '--force')
    assert proc.returncode == 0, proc.stderr + proc.stdout
    [entry] = result['certificates']
    assert entry['status'] == 'renewed' and entry['result']['version'] == 2, entry
    with open(os.path.join(work, 'deploy.out'), encoding='utf-8') as f:
        assert f.read().split() == ['deployed', 'deployed']  # certbot's run, then dns01's

    # Importing again: dns01 has it already.
    os.rename(conf + '.imported-by-dns01', conf)
    proc, result = dns01(dns01_bin, env, config, 'import', '--certbot-dir', conf_dir, '--cert-name', 'moved')
    assert proc.returncode == 0, proc.stderr
    assert result['certificates'][0]['status'] == 'skipped', result
    assert 'already' in result['certificates'][0]['reason']
    peers.wait_all_clean(sb, ['_acme-challenge.moved.example.test'], timeout=10)
