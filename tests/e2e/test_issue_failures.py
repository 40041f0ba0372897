"""`dns01 issue` failing, interrupted or killed: a clear error with the documented exit code, and
never a TXT record left behind (checked on the primary and on the secondary) — or, after
SIGKILL, a journal that the next run or `dns01 cleanup --stale` uses to remove them.

The sandbox's pebble asks the secondary. A lagging secondary (set_secondary_delay) keeps a run in
its propagation wait for as long as a test needs; settle() brings the secondary up to date at
once afterwards, so no test sleeps out a delay.
"""

import json
import os
import signal
import time

import pytest

from issue_support import (EXIT, assert_clean, challenge_names, describe, issue_env,  # noqa: F401
                           pebble_new_orders, sb, settle, wait_for_any_txt, wait_for_stderr)


def issue_args(domains, *extra):
    args = ['issue']
    for d in domains:
        args += ['-d', d]
    return args + list(extra)


# What `dns01 issue` logs once every record is presented, right before its propagation wait.
WAITING = 'waiting until every authoritative nameserver serves'


def check_error(proc, result, category):
    assert proc.returncode == EXIT[category], describe(proc)
    assert result is not None and result['ok'] is False, describe(proc)
    error = result['error']
    assert error['category'] == category and error['exit_code'] == EXIT[category], error
    assert error['message'] and 'hint' in error
    return error


def test_unknown_provider_type_fails_before_anything_is_ordered(sb, issue_env):
    env = issue_env
    table = env.provider(['example.test'])
    table['type'] = 'nosuchdns'
    env.write_config(providers={'main': table})
    orders = pebble_new_orders(sb)
    proc, result = env.issue(['unknown.example.test'])
    error = check_error(proc, result, 'config')
    assert 'nosuchdns' in error['message'], error
    assert pebble_new_orders(sb) == orders, 'an order was placed before the config was checked'
    assert_clean(sb, ['_acme-challenge.unknown.example.test'], env)


def test_domain_no_provider_serves_fails_before_anything_is_ordered(sb, issue_env):
    env = issue_env
    env.write_config(providers={'main': env.provider(['example.test'])})
    orders = pebble_new_orders(sb)
    domains = ['served.example.test', 'orphan.internal.test']
    proc, result = env.issue(domains)
    error = check_error(proc, result, 'config')
    assert 'orphan.internal.test' in error['message'], error
    assert pebble_new_orders(sb) == orders, 'an order was placed for a name no provider serves'
    # Not even the served name's record was written.
    assert sb.query_txt('primary', '_acme-challenge.served.example.test.') == []
    assert_clean(sb, challenge_names(domains), env)


def test_usage_errors_fail_before_anything_is_ordered(sb, issue_env):
    env = issue_env
    orders = pebble_new_orders(sb)
    for args in (['issue'],                                           # no -d
                 ['issue', '-d', 'a.*.example.test'],                 # wildcard not first
                 ['issue', '-d', 'kt.example.test', '--key-type', 'dsa1024']):
        proc, result = env.run(args)
        assert proc.returncode == 2, describe(proc)
        assert result is None or result['error']['category'] == 'usage', describe(proc)
    assert pebble_new_orders(sb) == orders


def test_ca_rejecting_the_record_is_a_clear_error_and_cleans(sb, issue_env):
    # The CA asks the secondary, which serves only a wrong value (added beforehand) and lags 3 s
    # behind the primary; dns01 is told the primary is the only nameserver, so it answers the
    # challenge at once and the CA finds the wrong TXT value. Deterministic: pebble validates
    # within milliseconds of the answer (PEBBLE_VA_NOSLEEP). The unrelated value must survive.
    env = issue_env
    name = '_acme-challenge.rejected.example.test'
    sb.nsupdate(['update add %s. 60 TXT "wrong-value"' % name], key='dns01')
    settle(sb)
    assert sb.query_txt('secondary', name + '.') == ['wrong-value']
    env.write_config(propagation={'nameservers': ['%s:%d' % (sb.primary_ip, sb.dns_port)]})
    sb.set_secondary_delay(3)
    domains = ['rejected.example.test', '*.rejected.example.test']
    proc, result = env.issue(domains)
    error = check_error(proc, result, 'acme')
    assert 'rejected.example.test' in error['message'], error
    assert 'unauthorized' in error['message'] or 'TXT' in error['message'], error
    for sub in ('live', 'archive'):
        assert not os.path.isdir(os.path.join(env.storage, sub)) or \
            os.listdir(os.path.join(env.storage, sub)) == []
    settle(sb)
    for server in ('primary', 'secondary'):
        assert sb.query_txt(server, name + '.') == ['wrong-value'], server
    sb.nsupdate(['update delete %s. TXT "wrong-value"' % name], key='dns01')
    assert_clean(sb, challenge_names(domains), env)


def test_propagation_timeout_names_the_laggard_and_cleans(sb, issue_env):
    env = issue_env
    env.write_config(propagation={'timeout': '2s'})
    sb.set_secondary_delay(10)
    domains = ['slow.example.test', '*.slow.example.test']
    started = time.monotonic()
    proc, result = env.issue(domains)
    took = time.monotonic() - started
    error = check_error(proc, result, 'propagation')
    assert sb.secondary_ip in error['message'], error
    assert took < 8, 'the 2 s timeout took %.1f s' % took
    # Removed on the primary before the process exited.
    assert sb.query_txt('primary', '_acme-challenge.slow.example.test.') == []
    assert_clean(sb, challenge_names(domains), env)


@pytest.mark.parametrize('sig', [signal.SIGTERM, signal.SIGINT], ids=['SIGTERM', 'SIGINT'])
def test_signal_during_the_wait_cleans_and_exits_130(sb, issue_env, sig):
    env = issue_env
    sb.set_secondary_delay(10)
    label = 'sig%d' % sig
    domains = ['%s.example.test' % label, '*.%s.example.test' % label]
    name = '_acme-challenge.%s.example.test' % label
    proc = env.start(issue_args(domains))
    before = wait_for_stderr(proc, WAITING)  # inside the wait: the secondary lags 10 s
    assert sb.query_txt('primary', name + '.'), before
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    err = before + err
    assert proc.returncode == 130, 'exit %d\n%s\n%s' % (proc.returncode, err, out)
    assert json.loads(out)['error']['category'] == 'interrupted', out
    assert sb.query_txt('primary', name + '.') == []  # removed before the process exited
    assert_clean(sb, challenge_names(domains), env)


def test_provider_error_is_clear_and_leaves_nothing(sb, issue_env):
    env = issue_env
    bad = os.path.join(env.dir, 'bad.secret')
    with open(bad, 'w', encoding='ascii') as f:
        f.write('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n')
    os.chmod(bad, 0o600)
    env.write_config(providers={'main': env.provider(['example.test'], secret_file=bad)})
    domains = ['badkey.example.test', '*.badkey.example.test']
    proc, result = env.issue(domains)
    error = check_error(proc, result, 'provider')
    assert 'BADSIG' in error['message'] and 'rfc2136' in error['message'], error
    assert sb.tsig_secret not in proc.stdout + proc.stderr
    settle(sb)
    for server in ('primary', 'secondary'):
        assert sb.query_txt(server, '_acme-challenge.badkey.example.test.') == []
    # A failed add counts as "maybe added" (records.hpp), and removing with the same bad key
    # fails too: the records stay journaled. Once the key is fixed, cleanup --stale settles them.
    assert len(env.pending_journal_records()) == 2, env.pending_journal_records()
    env.write_config(providers={'main': env.provider(['example.test'])})
    proc, result = env.run(['cleanup', '--stale'])
    assert proc.returncode == 0 and result['errors'] == [], describe(proc)
    assert_clean(sb, challenge_names(domains), env)


def _killed_during_wait(sb, env, domains):
    sb.set_secondary_delay(10)
    name = challenge_names(domains)[0]
    proc = env.start(issue_args(domains))
    wait_for_stderr(proc, WAITING)  # every record presented, the wait begun
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    left = sb.query_txt('primary', name + '.')
    assert len(left) == len(domains), left  # apex + wildcard values stayed
    pending = env.pending_journal_records()
    assert sorted(v for n, v in pending if n == name) == sorted(left), pending
    sb.set_secondary_delay(0)
    return name, left


def test_sigkill_then_cleanup_stale_removes_the_records(sb, issue_env):
    env = issue_env
    domains = ['killed.example.test', '*.killed.example.test']
    name, left = _killed_during_wait(sb, env, domains)
    proc, result = env.run(['cleanup', '--stale'])
    assert proc.returncode == 0, describe(proc)
    assert result['ok'] is True and result['journals'] == 1 and result['errors'] == [], result
    assert len(result['removed']) == len(left), result
    assert sb.query_txt('primary', name + '.') == []
    assert_clean(sb, [name], env)
    # Nothing left to do the second time.
    proc, result = env.run(['cleanup', '--stale'])
    assert proc.returncode == 0, describe(proc)
    assert result['journals'] == 0 and result['removed'] == []


def test_sigkill_then_the_next_issue_cleans_first(sb, issue_env):
    env = issue_env
    domains = ['killed2.example.test', '*.killed2.example.test']
    name, left = _killed_during_wait(sb, env, domains)
    proc, result = env.issue(['next.example.test'])
    assert proc.returncode == 0, describe(proc)
    assert result['stale_records_removed'] == len(left), result
    assert sb.query_txt('primary', name + '.') == []
    assert_clean(sb, [name, '_acme-challenge.next.example.test'], env)


def test_two_concurrent_runs_for_one_name(sb, issue_env):
    # The first run holds the lineage lock while it waits for the lagging secondary (5 s: far
    # longer than the second run needs to reach the lock); the second, with the default
    # --lock-wait 0, fails at once naming the lock and its holder (exit 8).
    env = issue_env
    sb.set_secondary_delay(5)
    domains = ['busy.example.test']
    first = env.start(issue_args(domains))
    wait_for_any_txt(sb, '_acme-challenge.busy.example.test', proc=first)
    proc, result = env.issue(domains, timeout=60)
    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, 'first run: exit %d\n%s\n%s' % (first.returncode, err, out)
    error = check_error(proc, result, 'storage')
    text = error['message'].lower()
    assert 'lock' in text or 'another dns01' in text, error
    assert str(first.pid) in error['message'] + error.get('hint', ''), error
    assert_clean(sb, challenge_names(domains), env)
