"""Issue 17, finding 7 (the stale sweep's part): one bounded cleanup pass. A DNS server that does
not answer used to cost one timeout per stale record (and another for the batch first) before
`cleanup --stale` or the next `issue` could go on; now an unreachable provider instance is asked
once per sweep and its records stay journaled for the next one.
"""

import json
import os
import socket
import time

from issue_support import describe, issue_env, sb  # noqa: F401


def write_stale_journal(env, fname, names):
    d = os.path.join(env.storage, 'journal')
    os.makedirs(d, exist_ok=True)
    os.chmod(env.storage, 0o700)
    os.chmod(d, 0o700)
    path = os.path.join(d, fname)
    with open(path, 'w', encoding='utf-8') as f:
        for name in names:
            f.write(json.dumps({'op': 'add', 'provider': 'dead', 'zone': 'example.test',
                                'name': name, 'value': 'stale-' + name, 'time': 1}) + '\n')
    os.chmod(path, 0o600)


def sweep(env):
    start = time.monotonic()
    proc, result = env.run(['cleanup', '--stale'], timeout=180)
    return time.monotonic() - start, proc, result


def test_an_unreachable_server_costs_one_timeout_per_sweep(sb, issue_env):
    env = issue_env
    blackhole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # bound, never answers
    blackhole.bind(('127.0.0.1', 0))
    try:
        dead = env.provider(['example.test'], server='127.0.0.1:%d' % blackhole.getsockname()[1],
                            timeout='1s')
        env.write_config(providers={'dead': dead})

        write_stale_journal(env, '999991-00000001.jsonl', ['_acme-challenge.one.example.test'])
        single, proc, result = sweep(env)
        assert proc.returncode != 0 and result is not None, describe(proc)
        print('one record: %.2f s: %s' % (single, result['errors']))
        assert single >= 0.9, 'the dead server did not time out: %s' % result['errors']
        assert len(env.pending_journal_records()) == 1

        for f in env.journal_files():
            os.unlink(os.path.join(env.storage, 'journal', f))
        write_stale_journal(env, '999992-00000002.jsonl',
                            ['_acme-challenge.a%d.example.test' % i for i in range(3)])
        write_stale_journal(env, '999993-00000003.jsonl',
                            ['_acme-challenge.b%d.example.test' % i for i in range(3)])
        many, proc, result = sweep(env)
        assert proc.returncode != 0, describe(proc)
        print('six records: %.2f s' % many)
        assert len(result['errors']) == 6, result
        assert len(env.pending_journal_records()) == 6  # kept for the next sweep
        # Six records, two journals: still about one timeout, not six or seven.
        assert many < 2 * single + 1.5, 'one record took %.1f s, six took %.1f s' % (single, many)
    finally:
        blackhole.close()


def test_issue_cleans_up_once_when_the_provider_is_unreachable(sb, issue_env):
    # The add times out; the cleanup then tries the batch removal once, does not go on one record
    # at a time (the server will not answer those either) and does not try the whole pass again
    # when the run ends: two timeouts in all, and the records stay journaled.
    env = issue_env
    blackhole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # bound, never answers
    blackhole.bind(('127.0.0.1', 0))
    try:
        dead = env.provider(['example.test'], server='127.0.0.1:%d' % blackhole.getsockname()[1],
                            timeout='1s', zone='example.test')
        env.write_config(providers={'dead': dead})
        start = time.monotonic()
        proc, _ = env.issue(['example.test', '*.example.test'], json_output=False, timeout=120)
        wall = time.monotonic() - start
        assert proc.returncode == 4, describe(proc)
        assert 'removing one by one' not in proc.stderr, proc.stderr
        assert '`dns01 cleanup --stale` retries them' in proc.stderr, proc.stderr
        assert proc.stderr.count('could not remove') == 1, proc.stderr
        assert len(env.pending_journal_records()) == 2
        # add (1 s) + one batch removal (1 s), each an UPDATE over UDP then its TCP retry at
        # most; the old behaviour (batch, two singles, then the same again) took over 6 s.
        assert wall < 6, 'took %.1f s:\n%s' % (wall, proc.stderr)
    finally:
        blackhole.close()
