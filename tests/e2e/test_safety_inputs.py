"""Issue 17, findings 9-11: hostile files, secrets in unknown keys and in the hook environment,
and what errors and logs say.

- `--config /dev/zero` grew to 2 GB and ended in bad_alloc; a FIFO as --config or secret_file
  hung for ever. Only regular files of bounded size are read now.
- a secret under a misspelt key was printed by `config show`; DNS01_* secrets reached hooks.
- an unreadable ca_bundle was "does not exist"; `--cert-name '*'` / `--help` were accepted; after
  Ctrl-C the error read "dns01: error: dns01: ...".
"""

import json
import os
import signal
import subprocess
import tempfile
import time

import pytest

from issue_support import (EXIT, assert_clean, challenge_names, describe, issue_env,  # noqa: F401
                           sb, wait_for_any_txt)

NOBODY = 65534


def run(env, args, timeout=20, json_output=False, as_user=None):
    argv = env.argv(args, json_output=json_output)
    return subprocess.run(argv, env=env.environ(), capture_output=True, text=True, timeout=timeout,
                          preexec_fn=(lambda: os.setuid(as_user)) if as_user is not None else None)


def test_config_that_is_a_device_is_refused_at_once(issue_env):
    env = issue_env
    env.config = '/dev/zero'
    start = time.monotonic()
    proc = run(env, ['config', 'check'])
    assert proc.returncode == EXIT['config'], describe(proc)
    assert 'not a regular file' in proc.stderr, proc.stderr
    assert time.monotonic() - start < 10


def test_config_that_is_a_fifo_does_not_hang(issue_env, tmp_path):
    env = issue_env
    fifo = str(tmp_path / 'dns01.toml.fifo')
    os.mkfifo(fifo)
    env.config = fifo
    proc = run(env, ['config', 'check'], timeout=15)  # a hang raises TimeoutExpired
    assert proc.returncode == EXIT['config'], describe(proc)
    assert 'not a regular file' in proc.stderr, proc.stderr


def test_oversized_config_is_refused(issue_env, tmp_path):
    env = issue_env
    big = tmp_path / 'big.toml'
    with open(big, 'w', encoding='ascii') as f:
        f.write('# padding\n' * 200000)  # 2 MB of comments
    env.config = str(big)
    proc = run(env, ['config', 'check'])
    assert proc.returncode == EXIT['config'], describe(proc)
    assert 'larger than' in proc.stderr, proc.stderr


def test_secret_file_that_is_a_fifo_does_not_hang(issue_env, tmp_path):
    env = issue_env
    fifo = str(tmp_path / 'secret.fifo')
    os.mkfifo(fifo, 0o600)
    env.write_config(providers={'main': env.provider(env.sb.zones, secret_file=fifo)})
    proc = run(env, ['config', 'check'], timeout=15)
    assert proc.returncode == EXIT['config'], describe(proc)
    assert 'not a regular file' in proc.stderr, proc.stderr


def test_secret_under_a_misspelt_key_is_never_printed(issue_env):
    env = issue_env
    secret = 'misspelt-secret-value-4711'
    env.write_config(providers={'main': env.provider(env.sb.zones, secert=secret)})
    check = run(env, ['config', 'check'])
    assert check.returncode == EXIT['config'], describe(check)
    assert 'secert' in check.stderr
    for json_output in (False, True):
        show = run(env, ['config', 'show'], json_output=json_output)
        assert secret not in show.stdout + show.stderr, describe(show)
        if show.returncode == 0 and json_output:
            settings = json.loads(show.stdout)['config']['providers']['main']['settings']
            assert settings['secert'] == '[REDACTED]', settings


def test_unreadable_ca_bundle_is_reported_as_unreadable(issue_env):
    # As root every file is readable, so the check runs as nobody, with a config nobody may read
    # and a CA bundle it may not.
    env = issue_env
    work = tempfile.mkdtemp(prefix='dns01-cabundle-')
    try:
        os.chmod(work, 0o755)
        bundle = os.path.join(work, 'ca.pem')
        with open(bundle, 'w', encoding='ascii') as f:
            f.write('-----BEGIN CERTIFICATE-----\n')
        os.chmod(bundle, 0o600)
        config = os.path.join(work, 'dns01.toml')
        with open(config, 'w', encoding='ascii') as f:
            f.write('[acme]\nserver = "https://127.0.0.1:14000/dir"\nca_bundle = "%s"\n' % bundle)
        os.chmod(config, 0o644)
        env.config = config
        proc = run(env, ['config', 'check'], as_user=NOBODY)
        assert proc.returncode == EXIT['config'], describe(proc)
        assert 'Permission denied' in proc.stderr, proc.stderr
        assert 'does not exist' not in proc.stderr
    finally:
        for name in ('ca.pem', 'dns01.toml'):
            if os.path.exists(os.path.join(work, name)):
                os.unlink(os.path.join(work, name))
        os.rmdir(work)


@pytest.mark.parametrize('name', ['*', '--help', '-x', '*.example.test'])
def test_cert_names_that_are_wildcards_or_options_are_usage_errors(issue_env, name):
    proc = run(issue_env, ['issue', '-d', 'name.example.test', '--cert-name=' + name])
    assert proc.returncode == EXIT['usage'], describe(proc)
    assert 'certificate name' in proc.stderr, proc.stderr


def test_interrupted_error_says_dns01_once(sb, issue_env):
    env = issue_env
    sb.set_secondary_delay(10)
    domains = ['once.example.test']
    proc = env.start(['issue', '-d', domains[0]])
    # The primary serving the record is the event: the run is past its add and, with the
    # secondary 10 s behind, in (or entering) its propagation wait; both end in cleanup and 130.
    wait_for_any_txt(sb, challenge_names(domains)[0], proc=proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == EXIT['interrupted'], err
    assert 'dns01: error: ' in err and 'dns01: error: dns01:' not in err, err
    assert_clean(sb, challenge_names(domains), env)
