"""Issue 19, accounts for ephemeral runners: the ACME account key from a secret ([acme]
account_key, DNS01_ACME_ACCOUNT_KEY[_FILE]). A CI job starts from empty storage every time; with
the key given it must find its existing account at the CA (onlyReturnExisting) instead of
registering a new one per run, and the key must never be written to storage or printed.

pebble logs "There are now N accounts in memory" once per account it creates: that count, not
dns01's own output, proves that no account was created.
"""

import json
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from issue_support import EXIT, describe, issue_env, sb  # noqa: F401
from test_safety_accounts import pebble_accounts_created


def new_key_pem():
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def key_fragments(pem):
    """The base64 lines of the key: none of them may appear anywhere dns01 writes."""
    return [line for line in pem.splitlines() if line and not line.startswith('-----')]


def assert_key_nowhere(pem, texts, storage, stored_key_expected=False):
    """No line of the key in texts or in any file of storage; and no private_key.pem under
    accounts/ unless that storage had a stored-key account before (stored_key_expected)."""
    for line in key_fragments(pem):
        for text in texts:
            assert line not in text, 'account key text in output'
    for root, _dirs, files in os.walk(storage):
        for name in files:
            path = os.path.join(root, name)
            with open(path, 'rb') as f:
                data = f.read().decode('latin-1')
            for line in key_fragments(pem):
                assert line not in data, 'account key text in %s' % path
            if os.sep + 'accounts' + os.sep in path and not stored_key_expected:
                assert name != 'private_key.pem', 'a key was stored: %s' % path


def account_json(storage):
    root = os.path.join(storage, 'accounts')
    [ca] = os.listdir(root)
    with open(os.path.join(root, ca, 'account.json'), encoding='utf-8') as f:
        return json.load(f)


def secret_file(env, name, pem):
    path = os.path.join(env.dir, name)
    with open(path, 'w', encoding='ascii') as f:
        f.write(pem)
    os.chmod(path, 0o600)
    return path


def fresh_storage(env, name):
    """Points the config at a new, empty storage directory (a fresh CI runner)."""
    env.storage = os.path.join(env.dir, name)
    env.write_config()
    return env.storage


def test_fresh_runner_with_the_key_from_a_secret_reuses_its_account(sb, issue_env):
    env = issue_env
    pem = new_key_pem()
    key_file = secret_file(env, 'account.key', pem)

    # First run: the CA has no account for the key yet: registered once.
    before = pebble_accounts_created(sb)
    fresh_storage(env, 'run1')
    proc, result = env.issue(['ci1.example.test'], env={'DNS01_ACME_ACCOUNT_KEY_FILE': key_file})
    assert proc.returncode == 0, describe(proc)
    assert pebble_accounts_created(sb) - before == 1
    first = account_json(env.storage)
    assert_key_nowhere(pem, [proc.stdout, proc.stderr], env.storage)

    # Every later run on empty storage finds that account: no new one, the same URL; the key
    # comes from the variable itself this time.
    for run, variables in (('run2', {'DNS01_ACME_ACCOUNT_KEY': pem}),
                           ('run3', {'DNS01_ACME_ACCOUNT_KEY_FILE': key_file})):
        fresh_storage(env, run)
        proc, result = env.issue(['%s.example.test' % run], env=variables)
        assert proc.returncode == 0, describe(proc)
        assert 'using the existing account' in proc.stderr, proc.stderr
        assert account_json(env.storage)['url'] == first['url']
        assert_key_nowhere(pem, [proc.stdout, proc.stderr], env.storage)
    assert pebble_accounts_created(sb) - before == 1

    # `dns01 account show` on a fresh runner finds it too, says where the key is from, creates nothing.
    fresh_storage(env, 'run4')
    proc, result = env.run(['account', 'show'], env={'DNS01_ACME_ACCOUNT_KEY_FILE': key_file})
    assert proc.returncode == 0, describe(proc)
    assert result['url'] == first['url'] and result['key_source'] == 'config', result
    assert result['key'] == '[acme] account_key'
    proc, _ = env.run(['account', 'show'], json_output=False, env={'DNS01_ACME_ACCOUNT_KEY_FILE': key_file})
    assert 'Key: [acme] account_key' in proc.stdout, proc.stdout
    assert_key_nowhere(pem, [proc.stdout, proc.stderr], env.storage)
    assert pebble_accounts_created(sb) - before == 1


def test_configured_key_wins_over_a_stored_account(sb, issue_env):
    env = issue_env
    # storage with its own (stored-key) account
    proc, _ = env.issue(['stored1.example.test'])
    assert proc.returncode == 0, describe(proc)
    stored = account_json(env.storage)
    # a key registered elsewhere before (another runner)
    pem = new_key_pem()
    elsewhere = fresh_storage(env, 'elsewhere')
    proc, _ = env.issue(['elsewhere.example.test'], env={'DNS01_ACME_ACCOUNT_KEY': pem})
    assert proc.returncode == 0, describe(proc)
    secret_account = account_json(elsewhere)['url']

    env.storage = os.path.join(env.dir, 'storage')
    env.write_config(acme={'account_key_file': secret_file(env, 'acct.key', pem)})
    before = pebble_accounts_created(sb)
    proc, _ = env.issue(['stored2.example.test'])
    assert proc.returncode == 0, describe(proc)
    assert pebble_accounts_created(sb) == before
    assert account_json(env.storage)['url'] == secret_account != stored['url']
    assert ' warn ' not in proc.stderr, proc.stderr  # a planned change, not damage
    # rollover cannot write the secret store: refused, nothing changes
    proc, _ = env.run(['account', 'rollover'])
    assert proc.returncode == EXIT['usage'], describe(proc)
    assert 'account_key' in proc.stderr
    assert_key_nowhere(pem, [proc.stdout, proc.stderr], env.storage, stored_key_expected=True)


def test_unusable_key_is_a_config_error_that_does_not_print_it(sb, issue_env):
    env = issue_env
    pem = new_key_pem()
    broken = pem.replace(key_fragments(pem)[1], 'AAAA' + key_fragments(pem)[1][4:])
    before = pebble_accounts_created(sb)
    proc, result = env.issue(['badacct.example.test'], env={'DNS01_ACME_ACCOUNT_KEY': broken})
    assert proc.returncode == EXIT['config'], describe(proc)
    assert 'account_key' in result['error']['message'], result
    assert 'damaged' in result['error']['message'], result
    assert_key_nowhere(broken, [proc.stdout, proc.stderr], env.storage)
    assert pebble_accounts_created(sb) == before
