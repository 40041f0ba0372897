"""`dns01 issue` succeeding against the sandbox: real pebble asking the BIND secondary, records
written to the BIND primary through the rfc2136 provider, discovery of both nameservers through
the primary (never /etc/resolv.conf).

After every issuance the test proves that nothing was left behind: no TXT value at the challenge
names on the primary nor on the secondary, and no journal in the storage directory.
Failure paths: test_issue_failures.py; renew/revoke/certificates: test_lifecycle.py.
"""

import os
import stat

from issue_support import (assert_clean, challenge_names, common_name, describe, dns_names,  # noqa: F401
                           issue_env, key_type_of, load_certs, pebble_root_cn, public_key_der, sb,
                           settle)

TIMINGS = ('setup', 'order', 'present', 'propagation', 'validation', 'cleanup', 'finalize',
           'store', 'hooks', 'total')


def issued(env, domains, *extra, **kwargs):
    proc, result = env.issue(domains, *extra, **kwargs)
    assert proc.returncode == 0, describe(proc)
    assert result is not None and result['ok'] is True, describe(proc)
    return proc, result


def check_result_shape(env, result, domains, name):
    assert result['cert_name'] == name
    assert result['domains'] == domains
    assert result['directory_url'] == env.sb.acme_directory
    assert result['dry_run'] is False
    assert result['version'] == 1  # the archive version (archive/<name>/cert1.pem)
    paths = result['paths']
    live = os.path.join(env.storage, 'live', name)
    assert os.path.realpath(paths['live_dir']) == os.path.realpath(live)
    for what in ('cert', 'chain', 'fullchain', 'privkey'):
        assert os.path.realpath(paths[what]) == os.path.realpath(env.live(name, what))
    cert = load_certs(env.live(name, 'cert'))[0]
    info = result['certificate']
    assert int(info['serial'], 16) == cert.serial_number
    assert info['serial'] == info['serial'].lower()
    assert sorted(info['dns_names']) == sorted(domains) == sorted(dns_names(cert))
    assert info['issuer_cn'] == common_name(cert.issuer)
    assert info['key_type'] == 'ec256'
    assert info['not_before'] and info['not_after'] and info['days_left'] > 0
    assert isinstance(result['reused_authorizations'], int)
    assert result['stale_records_removed'] == 0
    assert result['cleanup_errors'] == [] and result['hook_errors'] == []
    assert isinstance(result['dns_queries'], int) and result['dns_queries'] > 0
    timings = result['timings_ms']
    assert set(TIMINGS) <= set(timings), timings
    assert all(isinstance(timings[k], int) and timings[k] >= 0 for k in TIMINGS), timings
    assert timings['total'] >= max(timings[k] for k in TIMINGS if k != 'total')


def check_storage_layout(env, name, version=1):
    """certbot's layout: relative symlinks into archive/, keys 0600, directories 0700."""
    live = os.path.join(env.storage, 'live', name)
    for what in ('cert', 'chain', 'fullchain', 'privkey'):
        link = env.live(name, what)
        assert os.path.islink(link), link
        target = os.readlink(link)
        assert not os.path.isabs(target), '%s -> %s is absolute' % (link, target)
        assert os.path.realpath(link) == os.path.realpath(env.archive(name, what, version))
        assert os.path.isfile(link)
    for key in (env.live(name, 'privkey'), env.archive(name, 'privkey', version)):
        assert stat.S_IMODE(os.stat(key).st_mode) == 0o600, key
    for d in (env.storage, os.path.join(env.storage, 'archive'),
              os.path.join(env.storage, 'archive', name), os.path.join(env.storage, 'live'),
              live, os.path.join(env.storage, 'accounts')):
        assert stat.S_IMODE(os.stat(d).st_mode) == 0o700, d
    with open(env.live(name, 'fullchain'), encoding='ascii') as f:
        fullchain = f.read()
    with open(env.live(name, 'cert'), encoding='ascii') as f:
        cert = f.read()
    with open(env.live(name, 'chain'), encoding='ascii') as f:
        chain = f.read()
    assert fullchain.replace('\n', '') == (cert + chain).replace('\n', '')
    assert public_key_der(env.live(name, 'privkey')) == public_key_der(
        load_certs(env.live(name, 'cert'))[0])
    renewal = os.path.join(env.storage, 'renewal', name + '.toml')
    assert os.path.isfile(renewal)
    with open(renewal, encoding='utf-8') as f:
        text = f.read()
    assert 'domains' in text and name in text
    assert env.sb.acme_directory in text


def test_wildcard_and_apex_share_one_record_name(sb, issue_env):
    # The restricted key may only write TXT at _acme-challenge.sub.example.test: both values
    # (apex and wildcard) must live there side by side, and both must be removed.
    env = issue_env
    env.write_config(providers={'acme': env.provider(['example.test'], key='acme')})
    domains = ['sub.example.test', '*.sub.example.test']
    proc, result = issued(env, domains)
    check_result_shape(env, result, domains, 'sub.example.test')
    check_storage_layout(env, 'sub.example.test')
    records = result['records']
    assert sorted(r['label'] for r in records) == sorted(domains)
    assert {r['record_name'] for r in records} == {'_acme-challenge.sub.example.test'}
    assert {r['effective_name'] for r in records} == {'_acme-challenge.sub.example.test'}
    assert {(r['zone'], r['provider']) for r in records} == {('example.test', 'acme')}
    assert result['reused_authorizations'] == 0
    assert sb.tsig_secret not in proc.stderr and sb.acme_tsig_secret not in proc.stderr
    assert_clean(sb, challenge_names(domains), env)


def test_two_zones_on_two_provider_instances(sb, issue_env):
    env = issue_env
    env.write_config(providers={'pub': env.provider(['example.test']),
                                'intra': env.provider(['internal.test'], key='acme')})
    domains = ['two.example.test', 'host.internal.test', '*.host.internal.test']
    _, result = issued(env, domains, '--cert-name', 'both-zones')
    assert result['cert_name'] == 'both-zones'
    routed = {r['label']: (r['zone'], r['provider']) for r in result['records']}
    assert routed == {'two.example.test': ('example.test', 'pub'),
                      'host.internal.test': ('internal.test', 'intra'),
                      '*.host.internal.test': ('internal.test', 'intra')}
    assert sorted(dns_names(load_certs(env.live('both-zones'))[0])) == sorted(domains)
    assert_clean(sb, challenge_names(domains), env)


def test_cname_delegated_challenge(sb, issue_env):
    # _acme-challenge.cname.example.test is delegated by CNAME to a name under acme.example.test,
    # and only acme.example.test has a provider: what must be routable is the EFFECTIVE name
    # (docs/providers/rfc2136.md, "delegate instead"), the record name itself has no provider.
    # The target stays inside the example.test DNS zone on purpose: the sandbox's BIND does not
    # recurse, so it chases a CNAME only within its own zone, and pebble asks once without
    # following CNAMEs itself; a target in other.test would be invisible to the CA here.
    env = issue_env
    source, target = '_acme-challenge.cname.example.test', 'cname.acme.example.test'
    sb.nsupdate(['update add %s. 60 CNAME %s.' % (source, target)], key='dns01')
    settle(sb)
    for server in ('primary', 'secondary'):
        answer = sb.query(server, source + '.', 'CNAME').answer
        assert answer and answer[0][0].target.to_text() == target + '.', server
    env.write_config(providers={'delegated': env.provider(['acme.example.test'])})
    domains = ['cname.example.test']
    _, result = issued(env, domains)
    [record] = result['records']
    assert record['record_name'] == source
    assert record['effective_name'] == target
    assert record['provider'] == 'delegated'
    assert record['zone'] in ('acme.example.test', 'example.test'), record
    assert_clean(sb, [target, source], env)
    assert sb.query('secondary', source + '.', 'CNAME').answer  # the delegation itself stays


def test_key_types_rsa2048_and_ec384(sb, issue_env):
    env = issue_env
    for key_type, name in (('rsa2048', 'rsa.example.test'), ('ec384', 'ec384.example.test')):
        _, result = issued(env, [name], '--key-type', key_type)
        assert result['certificate']['key_type'] == key_type
        assert key_type_of(env.live(name, 'privkey')) == key_type
        check_storage_layout(env, name)
        assert_clean(sb, challenge_names([name]), env)


def test_reuse_key_keeps_the_key_and_a_new_issue_does_not(sb, issue_env):
    env = issue_env
    name = 'reuse.example.test'
    _, first = issued(env, [name])
    # Same names, not due: --force-renewal (without it nothing is ordered, test_cli_issue_lineage.py).
    _, second = issued(env, [name], '--reuse-key', '--force-renewal')
    assert second['certificate']['serial'] != first['certificate']['serial']
    check_storage_layout(env, name, version=2)
    assert public_key_der(env.archive(name, 'privkey', 2)) == public_key_der(
        env.archive(name, 'privkey', 1))
    _, third = issued(env, [name], '--force-renewal')
    check_storage_layout(env, name, version=3)
    assert public_key_der(env.archive(name, 'privkey', 3)) != public_key_der(
        env.archive(name, 'privkey', 1))
    assert_clean(sb, challenge_names([name]), env)


def test_dry_run_stores_nothing(sb, issue_env):
    env = issue_env
    domains = ['dry.example.test', '*.dry.example.test']
    _, result = issued(env, domains, '--dry-run', '--deploy-hook',
                       'touch %s' % os.path.join(env.dir, 'hook-ran'))
    assert result['dry_run'] is True
    assert result['certificate']['serial']  # the CA did issue
    for sub in ('archive', 'live', 'renewal'):
        d = os.path.join(env.storage, sub)
        assert not os.path.isdir(d) or os.listdir(d) == [], '%s: %r' % (d, os.listdir(d))
    assert not os.path.exists(os.path.join(env.dir, 'hook-ran')), 'deploy hook ran on dry run'
    assert_clean(sb, challenge_names(domains), env)


def test_preferred_chain_picks_the_alternate_root(sb, issue_env):
    env = issue_env
    default_root, alternate_root = pebble_root_cn(sb, 0), pebble_root_cn(sb, 1)
    assert default_root != alternate_root
    issued(env, ['chain0.example.test'])
    issued(env, ['chain1.example.test'], '--preferred-chain', alternate_root)
    top = {name: load_certs(env.live(name, 'chain'))[-1]
           for name in ('chain0.example.test', 'chain1.example.test')}
    assert common_name(top['chain0.example.test'].issuer) == default_root
    assert common_name(top['chain1.example.test'].issuer) == alternate_root
    assert_clean(sb, challenge_names(['chain0.example.test', 'chain1.example.test']), env)


def test_deploy_hook_gets_lineage_and_domains(sb, issue_env):
    env = issue_env
    out = os.path.join(env.dir, 'hook.out')
    hook = 'printf "%%s\\n%%s\\n" "$RENEWED_LINEAGE" "$RENEWED_DOMAINS" > %s' % out
    domains = ['hook.example.test', '*.hook.example.test']
    _, result = issued(env, domains, '--deploy-hook', hook)
    with open(out, encoding='utf-8') as f:
        lineage, renewed = f.read().splitlines()
    assert os.path.realpath(lineage) == os.path.realpath(
        os.path.join(env.storage, 'live', 'hook.example.test'))
    assert sorted(renewed.split()) == sorted(domains)
    assert result['hook_errors'] == []
    # A failing hook is reported, the certificate stays issued.
    proc, result = env.issue(['hook.example.test'], '--deploy-hook', 'exit 3')
    assert proc.returncode == 0, describe(proc)
    assert len(result['hook_errors']) == 1 and 'exit' in result['hook_errors'][0]
    assert_clean(sb, challenge_names(domains), env)


def test_progress_on_stderr_quiet_with_q(sb, issue_env):
    env = issue_env
    proc, _ = env.issue(['progress.example.test'], json_output=False)
    assert proc.returncode == 0, describe(proc)
    assert '_acme-challenge.progress.example.test' in proc.stderr
    assert sb.secondary_ip in proc.stderr  # per-nameserver propagation state
    proc, _ = env.issue(['progress.example.test'], json_output=False, quiet=True)
    assert proc.returncode == 0, describe(proc)
    assert proc.stderr == ''
    assert_clean(sb, challenge_names(['progress.example.test']), env)
