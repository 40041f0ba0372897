"""Issue 17, finding 2: a root `dns01 issue` must not be steered by what another local user
planted in the storage: a lock file linked to a root-owned file was truncated and got a PID, an
archive directory linked elsewhere was chmod-ed 0700 and received the certificate and the key.

The test runs as root (like the attacked run) and plays the other user with lchown to nobody.
"""

import os
import stat

from issue_support import (assert_clean, challenge_names, describe, issue_env,  # noqa: F401
                           sb)

NOBODY = 65534


def plant_link(target, link):
    os.makedirs(os.path.dirname(link), exist_ok=True)
    os.symlink(target, link)
    os.lchown(link, NOBODY, NOBODY)


def prepare_storage(env):
    os.makedirs(env.storage, exist_ok=True)
    os.chmod(env.storage, 0o700)


def storage_error(proc, result):
    assert proc.returncode == 8, describe(proc)
    assert result is not None and result['error']['category'] == 'storage', describe(proc)
    return result['error']['message']


def test_lock_file_linked_to_a_root_file_is_refused_and_untouched(sb, issue_env):
    env = issue_env
    prepare_storage(env)
    victim = os.path.join(env.dir, 'root-owned.conf')
    with open(victim, 'w', encoding='utf-8') as f:
        f.write('precious\n')
    os.chmod(victim, 0o644)
    name = 'locklink.example.test'
    plant_link(victim, os.path.join(env.storage, 'locks', name + '.lock'))
    proc, result = env.issue([name])
    assert 'symbolic link' in storage_error(proc, result)
    with open(victim, encoding='utf-8') as f:
        assert f.read() == 'precious\n'
    assert_clean(sb, challenge_names([name]), env)


def test_archive_linked_elsewhere_gets_no_chmod_and_no_key(sb, issue_env):
    env = issue_env
    prepare_storage(env)
    elsewhere = os.path.join(env.dir, 'elsewhere')
    os.makedirs(elsewhere)
    os.chmod(elsewhere, 0o755)
    name = 'archlink.example.test'
    plant_link(elsewhere, os.path.join(env.storage, 'archive', name))
    proc, result = env.issue([name])
    assert 'symbolic link' in storage_error(proc, result)
    assert stat.S_IMODE(os.stat(elsewhere).st_mode) == 0o755
    assert os.listdir(elsewhere) == []


def test_storage_writable_by_others_is_refused_before_anything_is_ordered(sb, issue_env):
    env = issue_env
    prepare_storage(env)
    os.chmod(env.storage, 0o777)
    proc, result = env.issue(['openstore.example.test'])
    message = storage_error(proc, result)
    assert 'writable by everyone' in message, message
    assert 'chmod go-w' in result['error']['hint']
