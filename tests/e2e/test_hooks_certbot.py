"""dns01 as certbot's manual DNS hooks (issue 7), with the real certbot 2.1.0 against the sandbox.

certbot is the ACME client here, so pebble runs with PEBBLE_WFE_NONCEREJECT=0 (certbot 2.1.0
crashes on two consecutive badNonce rejections: testbed-notes gotcha 7) and
PEBBLE_AUTHZREUSE=0 (a reused authorization runs no hooks, and `renew` must replay them).
"""

import glob
import json
import os

import pytest

import peers

PEBBLE_ENV = {'PEBBLE_WFE_NONCEREJECT': '0', 'PEBBLE_AUTHZREUSE': '0'}
APEX = '_acme-challenge.example.test'


def challenge_names(domains):
    return sorted({'_acme-challenge.' + d.lstrip('*.').rstrip('.') for d in domains})


def hook_files(config_dir):
    return glob.glob(os.path.join(config_dir, 'storage', 'journal', 'hooks', '*.json'))


def assert_clean(sandbox, domains, workdir):
    left = peers.wait_all_clean(sandbox, challenge_names(domains), timeout=sandbox.secondary_delay + 10)
    assert not left, 'records left behind: %r' % left
    assert hook_files(workdir) == []


def certonly(sandbox, workdir, dns01_bin, config, env, domains, extra=()):
    args = ['certonly'] + peers.certbot_hook_flags(dns01_bin, config) + list(extra)
    for d in domains:
        args += ['-d', d]
    return peers.certbot(sandbox, os.path.join(workdir, 'certbot'), args, env=env)


def certbot_log(workdir):
    """certbot's log (hook stderr is logged there): what our hooks said."""
    text = ''
    for path in sorted(glob.glob(os.path.join(workdir, 'certbot', 'logs', 'letsencrypt.log*'))):
        with open(path, encoding='utf-8', errors='replace') as f:
            text += f.read()
    return text


@pytest.fixture(autouse=True)
def _client_installed():
    if not os.path.exists(peers.CERTBOT):
        pytest.fail('%s is missing: install the Debian packages certbot and '
                    'python3-certbot-dns-rfc2136 (scripts/packages-test.txt)'
                    % peers.CERTBOT)


def ok(result):
    assert result.returncode == 0, 'stdout:\n%s\nstderr:\n%s' % (result.stdout, result.stderr)
    return result


def test_one_then_five_names(sandbox_factory, tmp_path, dns01_bin, build_dir):
    sb = sandbox_factory(pebble_env=PEBBLE_ENV)
    config = peers.dns01_config(sb, str(tmp_path))
    env = peers.dns01_env(build_dir)
    ok(certonly(sb, str(tmp_path), dns01_bin, config, env, ['example.test']))
    assert_clean(sb, ['example.test'], str(tmp_path))
    five = ['example.test', '*.example.test', 'www.example.test', 'api.example.test',
            'mail.example.test']
    ok(certonly(sb, str(tmp_path), dns01_bin, config, env, five, ['--cert-name', 'five']))
    live = os.path.join(str(tmp_path), 'certbot', 'config', 'live', 'five', 'fullchain.pem')
    assert os.path.exists(live)
    assert_clean(sb, five, str(tmp_path))
    # Four auth calls returned at once, the fifth waited once for all five records.
    log = certbot_log(str(tmp_path))
    assert log.count('more challenge(s) to come') == 4
    assert 'serves the 5 record(s) of this run' in log


def test_lagging_secondary_plugin_fails_hooks_succeed_and_renew_replays(
        sandbox_factory, tmp_path, dns01_bin, build_dir):
    # The CA asks a secondary that lags ~3 s behind the primary.
    sb = sandbox_factory(secondary_delay=3, ca_asks='secondary', pebble_env=PEBBLE_ENV)
    domains = ['example.test', '*.example.test']
    work = str(tmp_path)

    # certbot's own rfc2136 plugin with a short fixed sleep: the CA sees no record yet.
    ini = peers.certbot_rfc2136_ini(sb, work)
    args = ['certonly', '--dns-rfc2136', '--dns-rfc2136-credentials', ini,
            '--dns-rfc2136-propagation-seconds', '1', '--cert-name', 'plugin']
    for d in domains:
        args += ['-d', d]
    plugin = peers.certbot(sb, os.path.join(work, 'plugin'), args)
    assert plugin.returncode != 0, plugin.stdout + plugin.stderr
    assert 'DNS' in plugin.stdout + plugin.stderr
    peers.wait_all_clean(sb, [APEX], timeout=10)  # its own cleanup, through the lag

    # dns01's hooks: the last auth call waits for both values on both servers.
    config = peers.dns01_config(sb, work)
    env = peers.dns01_env(build_dir)
    r = ok(certonly(sb, work, dns01_bin, config, env, domains, ['--cert-name', 'hooks']))
    assert_clean(sb, domains, work)
    assert 'all 2 record(s) served' in certbot_log(work)

    # What lands in the renewal conf, and `certbot renew` replaying it.
    conf_dir = os.path.join(work, 'certbot', 'config')
    renewal = open(os.path.join(conf_dir, 'renewal', 'hooks.conf'), encoding='utf-8').read()
    assert 'manual_auth_hook = %s --config %s certbot-auth' % (dns01_bin, config) in renewal
    assert 'manual_cleanup_hook = %s --config %s certbot-cleanup' % (dns01_bin, config) in renewal
    r = ok(peers.certbot(sb, os.path.join(work, 'certbot'),
                         ['renew', '--force-renewal', '--no-random-sleep-on-renew'], env=env))
    assert os.path.exists(os.path.join(conf_dir, 'archive', 'hooks', 'cert2.pem')), r.stdout + r.stderr
    assert_clean(sb, domains, work)
    assert certbot_log(work).count('all 2 record(s) served') == 2


def test_hooks_directly_apex_and_wildcard_values_live_independently(
        sandbox_factory, tmp_path, run_dns01):
    sb = sandbox_factory(secondary_delay=1)
    config = peers.dns01_config(sb, str(tmp_path))
    base = {'CERTBOT_DOMAIN': 'example.test', 'CERTBOT_ALL_DOMAINS': 'example.test,example.test'}

    first = run_dns01(['certbot-auth'], config=config, env=dict(
        base, CERTBOT_VALIDATION='apex-value', CERTBOT_REMAINING_CHALLENGES='1'))
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith('dns01-hook-record=')
    second = run_dns01(['certbot-auth'], config=config, env=dict(
        base, CERTBOT_VALIDATION='wildcard-value', CERTBOT_REMAINING_CHALLENGES='0'))
    assert second.returncode == 0, second.stderr
    # The last call waited for the whole batch on every server, the lagging secondary too.
    for server in ('primary', 'secondary'):
        assert sorted(sb.query_txt(server, APEX)) == ['apex-value', 'wildcard-value']
    assert 'record(s) served' in second.stderr

    # Cleanup of one value leaves the other; the auth output names the record file.
    r = run_dns01(['certbot-cleanup'], config=config, env=dict(
        base, CERTBOT_VALIDATION='apex-value', CERTBOT_AUTH_OUTPUT=first.stdout.strip()))
    assert r.returncode == 0, r.stderr
    assert sb.query_txt('primary', APEX) == ['wildcard-value']
    assert len(hook_files(str(tmp_path))) == 1
    # Without CERTBOT_AUTH_OUTPUT the value itself finds the record.
    r = run_dns01(['certbot-cleanup'], config=config, env=dict(base, CERTBOT_VALIDATION='wildcard-value'))
    assert r.returncode == 0, r.stderr
    assert_clean(sb, ['example.test'], str(tmp_path))


def test_hook_failures_are_clear_and_stale_records_are_swept(sandbox_factory, tmp_path, run_dns01):
    sb = sandbox_factory()
    config = peers.dns01_config(sb, str(tmp_path))
    # Not run by certbot.
    r = run_dns01(['certbot-auth'], config=config)
    assert r.returncode == 2
    assert 'CERTBOT_DOMAIN' in r.stderr and '--manual-auth-hook' in r.stderr
    # A zone no provider serves: a config error before anything is written.
    r = run_dns01(['certbot-auth'], config=config, env={
        'CERTBOT_DOMAIN': 'example.invalid', 'CERTBOT_VALIDATION': 'v',
        'CERTBOT_REMAINING_CHALLENGES': '0', 'CERTBOT_ALL_DOMAINS': 'example.invalid'})
    assert r.returncode == 3, r.stderr
    assert 'no provider serves _acme-challenge.example.invalid' in r.stderr
    assert hook_files(str(tmp_path)) == []

    # A record whose cleanup never ran: young records survive a sweep, old ones go.
    r = run_dns01(['certbot-auth'], config=config, env={
        'CERTBOT_DOMAIN': 'www.example.test', 'CERTBOT_VALIDATION': 'abandoned',
        'CERTBOT_REMAINING_CHALLENGES': '1', 'CERTBOT_ALL_DOMAINS': 'www.example.test,x'})
    assert r.returncode == 0, r.stderr
    r = run_dns01(['--json', 'cleanup', '--stale'], config=config)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)['removed'] == []
    assert sb.query_txt('primary', '_acme-challenge.www.example.test') == ['abandoned']
    r = run_dns01(['--json', 'cleanup', '--stale', '--max-age', '0s'], config=config)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result['ok'] is True and result['errors'] == []
    assert [(x['source'], x['name'], x['value']) for x in result['removed']] == [
        ('hook', '_acme-challenge.www.example.test', 'abandoned')]
    assert_clean(sb, ['www.example.test'], str(tmp_path))


def test_stale_sweep_keeps_what_it_cannot_remove(sandbox_factory, tmp_path, run_dns01):
    sb = sandbox_factory()
    config = peers.dns01_config(sb, str(tmp_path))  # the restricted key: _acme-challenge only
    hooks = os.path.join(str(tmp_path), 'storage', 'journal', 'hooks')
    os.makedirs(hooks, mode=0o700)
    record = {'version': 1, 'id': 'forged', 'client': 'certbot', 'domain': 'example.test',
              'record_name': 'www.example.test', 'effective_name': 'www.example.test',
              'zone': 'example.test', 'provider': 'internal', 'value': 'v', 'owner_pid': 0,
              'created_ms': 1000}
    with open(os.path.join(hooks, 'forged.json'), 'w', encoding='utf-8') as f:
        json.dump(record, f)
    r = run_dns01(['--json', 'cleanup', '--stale'], config=config)
    assert r.returncode == 6, r.stderr
    result = json.loads(r.stdout)
    assert result['ok'] is False and result['removed'] == []
    assert len(result['errors']) == 1 and 'www.example.test' in result['errors'][0]
    assert 'REFUSED' in result['errors'][0]
    assert os.path.exists(os.path.join(hooks, 'forged.json'))  # kept for the next sweep


def test_cname_is_followed_and_checked_at_its_target(sandbox_factory, tmp_path, run_dns01):
    sb = sandbox_factory(secondary_delay=1)
    sb.nsupdate(['update add _acme-challenge.sub.other.test. 300 CNAME %s.' % APEX], key='dns01')
    config = peers.dns01_config(sb, str(tmp_path))
    env = {'CERTBOT_DOMAIN': 'sub.other.test', 'CERTBOT_VALIDATION': 'via-cname',
           'CERTBOT_REMAINING_CHALLENGES': '0', 'CERTBOT_ALL_DOMAINS': 'sub.other.test'}
    r = run_dns01(['certbot-auth'], config=config, env=env)
    assert r.returncode == 0, r.stderr
    assert 'is a CNAME: writing %s' % APEX in r.stderr
    assert sb.query_txt('secondary', APEX) == ['via-cname']  # waited for at the target
    r = run_dns01(['certbot-cleanup'], config=config, env=dict(env, CERTBOT_AUTH_OUTPUT=r.stdout))
    assert r.returncode == 0, r.stderr
    assert_clean(sb, ['example.test'], str(tmp_path))
