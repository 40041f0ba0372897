"""Issue 17, finding 1: parallel first runs and damaged account files.

Ten `dns01 issue` runs started together on empty storage used to create eight accounts at the CA,
fail one run with `JWS verification error`, and leave an account.json of one key next to another
key, so that every later run failed the same way. Now: one account, every run succeeds, and an
account file that does not fit its key is explained and repaired.
"""

import json
import os
import subprocess

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from issue_support import (assert_clean, challenge_names, describe, issue_env,  # noqa: F401
                           parse_json, sb)


def pebble_accounts_created(sb):
    """Accounts pebble has created so far ("There are now N accounts in memory" per newAccount)."""
    path = os.path.join(sb.workdir, 'pebble', 'stdout.log')
    with open(path, encoding='utf-8', errors='replace') as f:
        return sum(1 for line in f if 'accounts in memory' in line)


def account_dirs(env):
    root = os.path.join(env.storage, 'accounts')
    return [os.path.join(root, d) for d in os.listdir(root)] if os.path.isdir(root) else []


def account_record(env):
    [d] = account_dirs(env)
    with open(os.path.join(d, 'account.json'), encoding='utf-8') as f:
        return d, json.load(f)


def replace_key(account_dir):
    """What the race of an older dns01 left: another run's key next to this account.json."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path = os.path.join(account_dir, 'private_key.pem')
    with open(path, 'wb') as f:
        f.write(pem)
    os.chmod(path, 0o600)


def issued(env, name):
    proc, result = env.issue([name])
    assert proc.returncode == 0, describe(proc)
    return proc, result


def test_ten_parallel_first_runs_share_one_account_and_all_succeed(sb, issue_env):
    env = issue_env
    before = pebble_accounts_created(sb)
    names = ['par%d.example.test' % i for i in range(10)]
    procs = [env.start(['issue', '-d', name]) for name in names]
    outcomes = []
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        outcomes.append((proc.returncode, out, err))
    for name, (rc, out, err) in zip(names, outcomes):
        assert rc == 0, '%s: exit %s\n%s\n%s' % (name, rc, err, out)
    assert pebble_accounts_created(sb) - before == 1, 'more than one account was created'
    d, record = account_record(env)
    assert record['url'] and record['key_thumbprint']
    assert not [f for f in os.listdir(d) if f.endswith('.tmp')]
    # The storage stays usable: a later run signs with the same account.
    issued(env, 'par-later.example.test')
    assert account_record(env)[1]['url'] == record['url']
    assert pebble_accounts_created(sb) - before == 1
    assert_clean(sb, challenge_names(names + ['par-later.example.test']), env)


def test_account_file_of_another_key_is_explained_and_repaired(sb, issue_env):
    env = issue_env
    issued(env, 'acct-a.example.test')
    d, first = account_record(env)
    replace_key(d)
    proc, _ = issued(env, 'acct-b.example.test')
    assert 'belongs to another key' in proc.stderr, proc.stderr
    _, repaired = account_record(env)
    assert repaired['key_thumbprint'] != first['key_thumbprint']
    assert repaired['url'] != first['url']
    # and it stays repaired: no warning the next time
    proc, _ = issued(env, 'acct-c.example.test')
    assert 'account' not in ''.join(l for l in proc.stderr.splitlines(True) if ' warn ' in l)


def test_account_file_without_thumbprint_is_checked_once(sb, issue_env):
    # Written by a dns01 before thumbprints, possibly by the racing first runs: the URL is
    # checked against the key's account at the CA once, then the thumbprint is recorded.
    env = issue_env
    issued(env, 'legacy-a.example.test')
    d, record = account_record(env)
    del record['key_thumbprint']
    with open(os.path.join(d, 'account.json'), 'w', encoding='utf-8') as f:
        json.dump(record, f)
    replace_key(d)
    proc, _ = issued(env, 'legacy-b.example.test')
    assert 'registering' in proc.stderr or 'repaired' in proc.stderr, proc.stderr
    assert account_record(env)[1].get('key_thumbprint')


def test_unparsable_account_file_is_explained_and_repaired(sb, issue_env):
    env = issue_env
    issued(env, 'torn-a.example.test')
    d, record = account_record(env)
    with open(os.path.join(d, 'account.json'), 'w', encoding='utf-8') as f:
        f.write('{"url": "htt')
    proc, _ = issued(env, 'torn-b.example.test')
    assert 'is damaged' in proc.stderr, proc.stderr
    assert account_record(env)[1]['url'] == record['url']  # the same account, found again


def test_damaged_account_key_is_a_storage_error_that_says_what_to_do(sb, issue_env):
    env = issue_env
    issued(env, 'badkey-a.example.test')
    [d] = account_dirs(env)
    with open(os.path.join(d, 'private_key.pem'), 'w', encoding='ascii') as f:
        f.write('-----BEGIN PRIVATE KEY-----\ntruncated')
    proc, result = env.issue(['badkey-b.example.test'])
    assert proc.returncode == 8, describe(proc)
    error = (result or parse_json(proc) or {}).get('error', {})
    assert 'damaged' in error.get('message', ''), describe(proc)
    assert 'move' in error.get('hint', '') and 'new account' in error.get('hint', ''), error
