"""The rest of a certificate's life after `dns01 issue`: renew, revoke, certificates — against the
sandbox (pebble asking the BIND secondary). Contract: /work/notes/cli-lifecycle.md, docs/cli.md.

pebble's certificates live 5 years and its directory has no renewalInfo, so a fresh lineage is
"not due" (more than a third of the lifetime left) until --force.
"""

import os
import stat

from issue_support import (assert_clean, challenge_names, describe, issue_env,  # noqa: F401
                           load_certs, pebble_cert_status, sb)


def issued(env, domains, *extra):
    proc, result = env.issue(domains, *extra)
    assert proc.returncode == 0, describe(proc)
    return result


def renew(env, *args):
    proc, result = env.run(['renew'] + list(args))
    assert result is not None, describe(proc)
    return proc, result


def versions(env, name):
    return sorted(f for f in os.listdir(os.path.join(env.storage, 'archive', name))
                  if f.startswith('cert'))


def test_renew_twice_second_does_nothing_unless_forced(sb, issue_env):
    env = issue_env
    name = 'renew.example.test'
    domains = [name, '*.' + name]
    first = issued(env, domains)

    proc, result = renew(env)  # fresh: not due
    assert proc.returncode == 0, describe(proc)
    [entry] = result['certificates']
    assert entry['cert_name'] == name and entry['status'] == 'not_due', entry
    assert entry['result'] is None and result['renewed_domains'] == []
    assert versions(env, name) == ['cert1.pem']

    out = os.path.join(env.dir, 'deploy.out')
    hook = 'printf "%%s|%%s\\n" "$RENEWED_LINEAGE" "$RENEWED_DOMAINS" >> %s' % out
    proc, result = renew(env, '--cert-name', name, '--force', '--deploy-hook', hook)
    assert proc.returncode == 0, describe(proc)
    [entry] = result['certificates']
    assert entry['status'] == 'renewed' and entry['reason'] == 'forced', entry
    assert entry['result']['version'] == 2
    assert entry['result']['certificate']['serial'] != first['certificate']['serial']
    assert sorted(result['renewed_domains']) == sorted(domains)
    assert versions(env, name) == ['cert1.pem', 'cert2.pem']
    assert int(entry['result']['certificate']['serial'], 16) == \
        load_certs(env.live(name, 'cert'))[0].serial_number
    with open(out, encoding='utf-8') as f:
        [line] = f.read().splitlines()
    lineage, renewed = line.split('|')
    assert os.path.realpath(lineage) == os.path.realpath(os.path.join(env.storage, 'live', name))
    assert sorted(renewed.split()) == sorted(domains)

    proc, result = renew(env)  # the second renew: nothing to do
    assert proc.returncode == 0, describe(proc)
    assert [c['status'] for c in result['certificates']] == ['not_due']
    assert versions(env, name) == ['cert1.pem', 'cert2.pem']

    proc, _ = env.run(['renew'], json_output=False)
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout.startswith('%s: not due (' % name), proc.stdout
    assert_clean(sb, challenge_names(domains), env)


def test_renew_dry_run_stores_nothing(sb, issue_env):
    env = issue_env
    name = 'renewdry.example.test'
    issued(env, [name])
    proc, result = renew(env, '--dry-run')
    assert proc.returncode == 0, describe(proc)
    assert result['dry_run'] is True
    assert [c['status'] for c in result['certificates']] == ['dry_run']
    assert versions(env, name) == ['cert1.pem']
    assert_clean(sb, challenge_names([name]), env)


def test_renew_unknown_cert_name_is_a_storage_error(sb, issue_env):
    proc, result = issue_env.run(['renew', '--cert-name', 'nothere.example.test'])
    assert proc.returncode == 8, describe(proc)
    assert result['ok'] is False and 'nothere.example.test' in result['error']['message']


def test_revoke(sb, issue_env):
    env = issue_env
    name = 'revoke.example.test'
    serial = issued(env, [name])['certificate']['serial']
    assert pebble_cert_status(sb, serial)['Status'] == 'Valid'
    proc, result = env.run(['revoke', '--cert-name', name, '--reason', 'keycompromise'])
    assert proc.returncode == 0, describe(proc)
    assert result['ok'] is True and result['cert_name'] == name
    assert int(result['serial'], 16) == int(serial, 16)
    assert result['reason'] == 'keycompromise' and result['deleted'] is False
    assert result['signed_with'] in ('account', 'certificate key')
    assert pebble_cert_status(sb, serial)['Status'] == 'Revoked'
    # Again: the CA refuses (already revoked), exit 5 with its problem.
    proc, result = env.run(['revoke', '--cert-name', name])
    assert proc.returncode == 5, describe(proc)
    assert result['ok'] is False and result['error']['category'] == 'acme'
    proc, _ = env.run(['revoke', '--cert-name', name, '--reason', 'whatever'])
    assert proc.returncode == 2, describe(proc)
    assert_clean(sb, challenge_names([name]), env)


def test_revoke_and_delete(sb, issue_env):
    env = issue_env
    name = 'gone.example.test'
    issued(env, [name])
    proc, result = env.run(['revoke', '--cert-name', name, '--delete-after-revoke'])
    assert proc.returncode == 0, describe(proc)
    assert result['deleted'] is True
    for path in (os.path.join(env.storage, 'live', name),
                 os.path.join(env.storage, 'archive', name),
                 os.path.join(env.storage, 'renewal', name + '.toml')):
        assert not os.path.exists(path), path
    proc, _ = env.run(['revoke', '--cert-name', name])
    assert proc.returncode == 8, describe(proc)


def test_certificates_listing(sb, issue_env):
    env = issue_env
    proc, result = env.run(['certificates'])
    assert proc.returncode == 0, describe(proc)
    assert result == {'ok': True, 'certificates': [], 'broken': []} or (
        result['certificates'] == [] and result['broken'] == [])
    proc, _ = env.run(['certificates'], json_output=False)
    assert 'No certificates found.' in proc.stdout, describe(proc)

    a = issued(env, ['lista.example.test', '*.lista.example.test'])
    b = issued(env, ['listb.internal.test'], '--key-type', 'rsa2048')
    proc, result = env.run(['certificates'])
    assert proc.returncode == 0, describe(proc)
    listed = {c['cert_name']: c for c in result['certificates']}
    assert sorted(listed) == ['lista.example.test', 'listb.internal.test']
    for issued_result in (a, b):
        entry = listed[issued_result['cert_name']]
        assert entry['serial'] == issued_result['certificate']['serial']
        assert sorted(entry['domains']) == sorted(issued_result['domains'])
        assert entry['key_type'] == issued_result['certificate']['key_type']
        assert entry['expired'] is False and entry['days_left'] > 300
        assert entry['version'] == 1
        assert entry['server'] == sb.acme_directory
        assert os.path.realpath(entry['paths']['fullchain']) == os.path.realpath(
            env.live(issued_result['cert_name'], 'fullchain'))
    assert listed['listb.internal.test']['key_type'] == 'rsa2048'

    proc, _ = env.run(['certificates'], json_output=False)
    assert proc.returncode == 0, describe(proc)
    assert 'Found the following certificates:' in proc.stdout
    assert 'Certificate Name: lista.example.test' in proc.stdout
    assert 'Domains: lista.example.test *.lista.example.test' in proc.stdout
    assert '(VALID: ' in proc.stdout

    # A broken lineage is listed apart, not fatal.
    cert1 = os.path.join(env.storage, 'archive', 'listb.internal.test', 'cert1.pem')
    os.chmod(cert1, stat.S_IRUSR | stat.S_IWUSR)
    with open(cert1, 'w', encoding='ascii') as f:
        f.write('not a certificate\n')
    proc, result = env.run(['certificates'])
    assert proc.returncode == 0, describe(proc)
    assert [c['cert_name'] for c in result['certificates']] == ['lista.example.test']
    assert [b['cert_name'] for b in result['broken']] == ['listb.internal.test']
    proc, _ = env.run(['certificates', '--cert-name', 'nothere.example.test'])
    assert proc.returncode == 8, describe(proc)
    assert_clean(sb, challenge_names(['lista.example.test', 'listb.internal.test']), env)
