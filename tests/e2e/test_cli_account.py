"""issue 18: account commands (show, update contact, key rollover, deactivate), `delete` of a
lineage, `revoke --cert-path`, `renew --days` — against the sandbox's pebble."""

import os
import shutil

from issue_support import (assert_clean, challenge_names, describe, issue_env,  # noqa: F401
                           pebble_cert_status, sb)


def issued(env, domains, *extra):
    proc, result = env.issue(domains, *extra)
    assert proc.returncode == 0, describe(proc)
    return result


def test_account_show_update_rollover_deactivate(sb, issue_env):
    env = issue_env
    proc, result = env.run(['account', 'show'])
    assert proc.returncode == 8, describe(proc)  # nothing stored yet
    assert 'dns01 issue' in result['error']['hint'], result

    issued(env, ['account.example.test'])
    proc, shown = env.run(['account', 'show'])
    assert proc.returncode == 0, describe(proc)
    assert shown['status'] == 'valid' and shown['url'].startswith('https://'), shown
    assert shown['contact'] == ['mailto:hostmaster@example.test'], shown

    proc, updated = env.run(['account', 'update', '--email', 'a@example.test,b@example.test'])
    assert proc.returncode == 0, describe(proc)
    assert updated['contact'] == ['mailto:a@example.test', 'mailto:b@example.test'], updated
    proc, again = env.run(['account', 'show'])
    assert again['contact'] == updated['contact'], again
    proc, _ = env.run(['account', 'update'])
    assert proc.returncode == 2, describe(proc)

    proc, rolled = env.run(['account', 'rollover'])
    assert proc.returncode == 0, describe(proc)
    assert rolled['url'] == shown['url'] and rolled['thumbprint'] != shown['thumbprint'], rolled
    assert not any(f.endswith('.next') for f in os.listdir(rolled['directory']))
    # The rolled-over account still orders (and is the same account).
    issued(env, ['account2.example.test'])
    proc, after = env.run(['account', 'show'])
    assert after['url'] == shown['url'] and after['thumbprint'] == rolled['thumbprint'], after

    proc, _ = env.run(['account', 'deactivate'])
    assert proc.returncode == 2, describe(proc)  # needs --yes
    proc, gone = env.run(['account', 'deactivate', '--yes'])
    assert proc.returncode == 0, describe(proc)
    assert gone['status'] == 'deactivated', gone
    # The next issue registers a new account.
    issued(env, ['account3.example.test'])
    proc, fresh = env.run(['account', 'show'])
    assert fresh['url'] != shown['url'] and fresh['status'] == 'valid', fresh
    assert_clean(sb, challenge_names(['account.example.test', 'account2.example.test',
                                      'account3.example.test']), env)


def test_delete_and_revoke_by_path(sb, issue_env):
    env = issue_env
    name = 'delete.example.test'
    issued(env, [name])
    proc, result = env.run(['delete', '--cert-name', name])
    assert proc.returncode == 0 and result == {'ok': True, 'cert_name': name, 'deleted': True}, describe(proc)
    for d in ('live', 'archive'):
        assert not os.path.exists(os.path.join(env.storage, d, name))
    assert not os.path.exists(os.path.join(env.storage, 'renewal', name + '.toml'))
    proc, result = env.run(['renew'])
    assert proc.returncode == 0 and result['certificates'] == [], describe(proc)
    proc, _ = env.run(['delete', '--cert-name', name])
    assert proc.returncode == 8, describe(proc)

    # revoke --cert-path: a lineage's file, then a copy outside the storage (signed by the account).
    name = 'bypath.example.test'
    serial = issued(env, [name])['certificate']['serial']
    proc, result = env.run(['revoke', '--cert-path', env.live(name, 'cert')])
    assert proc.returncode == 0, describe(proc)
    assert result['cert_name'] == name and pebble_cert_status(sb, serial)['Status'] == 'Revoked'
    other = 'outside.example.test'
    serial = issued(env, [other])['certificate']['serial']
    copy = os.path.join(env.dir, 'copy.pem')
    shutil.copy(env.live(other, 'cert'), copy)
    proc, result = env.run(['revoke', '--cert-path', copy])
    assert proc.returncode == 0, describe(proc)
    assert result['cert_name'] == '' and pebble_cert_status(sb, serial)['Status'] == 'Revoked'
    proc, _ = env.run(['revoke', '--cert-path', copy, '--cert-name', other])
    assert proc.returncode == 2, describe(proc)
    assert_clean(sb, challenge_names([name, other]), env)


def test_renew_days(sb, issue_env):
    env = issue_env
    name = 'days.example.test'
    issued(env, [name])  # pebble: 5 years
    proc, result = env.run(['renew', '--days', '30'])
    assert proc.returncode == 0, describe(proc)
    assert [c['status'] for c in result['certificates']] == ['not_due'], result
    assert '(--days)' in result['certificates'][0]['reason']
    proc, result = env.run(['renew', '--days', '4000'])
    assert proc.returncode == 0, describe(proc)
    assert [c['status'] for c in result['certificates']] == ['renewed'], result
    assert_clean(sb, challenge_names([name]), env)
