"""The issuance engine behind `dns01 apply` and `dns01 renew` (flow/include/dns01/flow/engine.hpp),
with a handful of lineages against the sandbox (pebble, BIND primary + secondary, the CA asking
the secondary):

- one run issues what is missing, renews what is due, leaves the rest (`not_due`), and reports
  a lineage whose provider refuses while the others issue; nothing is left in DNS;
- every lineage of the run shares ONE propagation wait (same packet count and wait time in each
  lineage's result);
- a second run right after places no order;
- a name dropped from the file fails that lineage (certificate kept) unless --allow-shrink;
- `renew` renews every due lineage in one engine run, its --json shape unchanged (plus
  "preflight" when it ran).
"""

import os

from issue_support import (EXIT, assert_clean, challenge_names, describe,  # noqa: F401
                           issue_env, pebble_new_orders, sb, write_set)

WRONG_SECRET = 'd3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZzE='  # valid base64, not the key's

LINEAGES = [
    ('pair-a', ['ea.example.test', '*.ea.example.test']),
    ('host-b', ['eb.example.test']),
    ('pair-c', ['ic.internal.test', '*.ic.internal.test']),
    ('host-d', ['id.internal.test']),
]
BAD = ('bad', ['eng.other.test'])


def with_refusing_provider(env):
    wrong = env._secret('wrong-tsig.secret', WRONG_SECRET)
    bad = env.provider(['other.test'])
    bad['secret_file'] = wrong
    env.write_config(providers={'main': env.provider(['example.test', 'internal.test']),
                                'refusing': bad})


def make_due(env, name):
    """An ARI renewal time in the past in renewal/<name>.toml: due now."""
    with open(os.path.join(env.storage, 'renewal', name + '.toml'), 'a', encoding='utf-8') as f:
        f.write('ari_window_start = "2000-01-01T00:00:00Z"\n'
                'ari_window_end = "2000-01-02T00:00:00Z"\n'
                'ari_renewal_time = "2000-01-01T12:00:00Z"\n')


def by_name(result):
    return {c['name']: c for c in result['certificates']}


def names_of(lineages):
    out = []
    for _, domains in lineages:
        out += challenge_names(domains)
    return out


def test_apply_issues_renews_and_reports_per_lineage(sb, issue_env, tmp_path):
    env = issue_env
    with_refusing_provider(env)
    setup = write_set(tmp_path / 'setup.toml', LINEAGES[2:])
    proc, result = env.run(['apply', setup])
    assert proc.returncode == 0, describe(proc)
    assert [c['status'] for c in result['certificates']] == ['issued', 'issued'], describe(proc)
    make_due(env, 'pair-c')

    set_file = write_set(tmp_path / 'set.toml', LINEAGES + [BAD])
    sb.set_secondary_delay(1)
    orders = pebble_new_orders(sb)
    proc, result = env.run(['apply', set_file])
    assert result is not None, describe(proc)
    assert proc.returncode == EXIT['provider'], describe(proc)
    assert result['ok'] is False
    status = by_name(result)
    assert {n: c['status'] for n, c in status.items()} == {
        'pair-a': 'issued', 'host-b': 'issued', 'pair-c': 'renewed', 'host-d': 'not_due',
        'bad': 'failed'}, describe(proc)
    assert status['bad']['error']['category'] == 'provider', status['bad']
    assert status['bad']['error']['exit_code'] == EXIT['provider']
    assert result['error'] == status['bad']['error']
    assert WRONG_SECRET not in proc.stdout + proc.stderr
    # One order each for pair-a, host-b, pair-c; none for bad or host-d. (pebble's request log
    # also counts newOrder POSTs it refused with badNonce, so the engine's own count is exact.)
    assert result['orders'] == 3, describe(proc)
    assert pebble_new_orders(sb) > orders
    assert result['preflight'] is not None and result['preflight']['ok'] is False
    # One wait for every record of the run: each lineage reports the same wait.
    waits = {(c['result']['dns_queries'], c['result']['timings_ms']['propagation'])
             for n, c in status.items() if n in ('pair-a', 'host-b', 'pair-c')}
    assert len(waits) == 1, waits
    assert result['dns_queries'] == next(iter(waits))[0]
    for name in ('pair-a', 'host-b', 'pair-c', 'host-d'):
        assert os.path.exists(env.live(name)), name
    assert status['pair-c']['result']['version'] == 2

    # A second run right after: no order.
    orders = pebble_new_orders(sb)
    proc, again = env.run(['apply', set_file])
    assert proc.returncode == EXIT['provider'], describe(proc)
    assert pebble_new_orders(sb) == orders, describe(proc)
    assert [c['status'] for c in again['certificates']] == ['not_due'] * 4 + ['failed']
    assert_clean(sb, names_of(LINEAGES + [BAD]) + ['_acme-challenge.other.test'], env)


def test_apply_without_preflight_reports_the_refused_batch(sb, issue_env, tmp_path):
    """No pre-flight: the refusing instance fails when the records go out; its lineage is reported,
    the others are issued. Nothing is left in DNS; the refused record stays in the journal (a
    failed batch counts as "maybe added", records.hpp) for `cleanup --stale`, nothing else."""
    env = issue_env
    with_refusing_provider(env)
    lineages = [('np-a', ['np.example.test']), ('np-bad', ['np.other.test'])]
    set_file = write_set(tmp_path / 'set.toml', lineages)
    proc, result = env.run(['apply', '--no-preflight', set_file])
    assert proc.returncode == EXIT['provider'], describe(proc)
    status = by_name(result)
    assert status['np-a']['status'] == 'issued', describe(proc)
    assert status['np-bad']['status'] == 'failed'
    assert result['preflight'] is None
    assert_clean(sb, names_of(lineages))
    assert [name for name, _ in env.pending_journal_records()] == ['_acme-challenge.np.other.test']


def test_apply_never_silently_shrinks(sb, issue_env, tmp_path):
    env = issue_env
    wide = [('shrink', ['sa.example.test', 'sb.example.test'])]
    proc, _ = env.run(['apply', write_set(tmp_path / 'wide.toml', wide)])
    assert proc.returncode == 0, describe(proc)
    narrow = write_set(tmp_path / 'narrow.toml', [('shrink', ['sa.example.test'])])
    orders = pebble_new_orders(sb)
    proc, result = env.run(['apply', narrow])
    assert proc.returncode == EXIT['usage'], describe(proc)
    assert result['certificates'][0]['status'] == 'failed'
    assert 'sb.example.test' in result['certificates'][0]['error']['message']
    assert pebble_new_orders(sb) == orders
    proc, result = env.run(['apply', '--allow-shrink', narrow])
    assert proc.returncode == 0, describe(proc)
    assert result['certificates'][0]['status'] == 'renewed'
    assert result['certificates'][0]['reason'] == 'drops sb.example.test'


def test_renew_runs_every_due_lineage_in_one_engine_run(sb, issue_env, tmp_path):
    env = issue_env
    lineages = [('rn-a', ['rna.example.test']), ('rn-b', ['rnb.internal.test', '*.rnb.internal.test']),
                ('rn-c', ['rnc.example.test'])]
    proc, _ = env.run(['apply', write_set(tmp_path / 'set.toml', lineages)])
    assert proc.returncode == 0, describe(proc)
    sb.set_secondary_delay(1)
    proc, summary = env.run(['renew', '--force'])
    assert proc.returncode == 0, describe(proc)
    # The documented shape (docs/cli.md), plus "preflight" since more than one lineage was due.
    assert set(summary) == {'ok', 'dry_run', 'force', 'certificates', 'renewed_domains',
                            'failed_domains', 'hook_errors', 'preflight'}, summary.keys()
    status = {c['cert_name']: c for c in summary['certificates']}
    assert {n: c['status'] for n, c in status.items()} == {
        'rn-a': 'renewed', 'rn-b': 'renewed', 'rn-c': 'renewed'}, describe(proc)
    waits = {(c['result']['dns_queries'], c['result']['timings_ms']['propagation'])
             for c in status.values()}
    assert len(waits) == 1, waits  # one wait for every lineage
    assert {c['result']['version'] for c in status.values()} == {2}
    assert summary['renewed_domains'] == [d for _, ds in lineages for d in ds]
    assert summary['preflight']['ok'] is True
    assert_clean(sb, names_of(lineages), env)
