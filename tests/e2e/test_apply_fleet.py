"""The 100-lineage proof of `dns01 apply` (issue 19, docs/apply.md), against the sandbox with the
secondary 2 s behind the primary and the CA asking the secondary.

One run handles 100 lineages - single hosts and apex + wildcard pairs across example.test and
internal.test, some already issued and not due, some due (an ARI renewal time in the past), one
in other.test whose provider instance refuses (a wrong TSIG secret) - and must: issue or renew
every good lineage, report the bad one (named by the pre-flight, no order placed for it), leave
no TXT value in DNS (the pre-flight canaries included), and use one ACME account. A second run
right after places no order. A fresh storage whose account key comes from a secret
(DNS01_ACME_ACCOUNT_KEY_FILE) registers no new account at the CA.

The pre-flight's two failure modes are also proven on their own: a refused provider key and an
unreachable nameserver, each named in the error of exactly the lineages that need it.
"""

import os
import shutil
import time

import pytest

from issue_support import (EXIT, IssueEnv, assert_clean, challenge_names, describe,  # noqa: F401
                           issue_env, sb, write_set)

GOOD_ZONES = ('example.test', 'internal.test')
BAD_ZONE = 'other.test'
WRONG_SECRET = 'd3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZzE='  # a valid base64 TSIG secret, not the key's


def pebble_accounts_created(sb):
    """Accounts pebble has created so far (one "accounts in memory" line per new account)."""
    with open(os.path.join(sb.workdir, 'pebble', 'stdout.log'), encoding='utf-8',
              errors='replace') as f:
        return sum(1 for line in f if 'accounts in memory' in line)


def pebble_orders_added(sb):
    """Orders pebble has created so far. Not the newOrder POSTs (issue_support's
    pebble_new_orders): those include the ones pebble refused with badNonce and dns01 retried."""
    with open(os.path.join(sb.workdir, 'pebble', 'stdout.log'), encoding='utf-8',
              errors='replace') as f:
        return sum(1 for line in f if 'Added order ' in line)


def fleet(count=100):
    """[(name, domains)]: 99 good lineages over the two good zones (every third an apex +
    wildcard pair), then one in the refusing zone."""
    out = []
    for i in range(count - 1):
        zone = GOOD_ZONES[i % 2]
        if i % 3 == 0:
            host = 'pair%d.%s' % (i, zone)
            out.append(('pair%d' % i, [host, '*.' + host]))
        else:
            out.append(('host%d' % i, ['host%d.%s' % (i, zone)]))
    out.append(('refused', ['refused.%s' % BAD_ZONE]))
    return out


def providers(env, refusing_secret_file):
    good = env.provider(GOOD_ZONES)
    bad = env.provider([BAD_ZONE])
    bad['secret_file'] = refusing_secret_file
    return {'main': good, 'refusing': bad}


def make_due(env, name):
    """An ARI renewal time in the past in renewal/<name>.toml: due now (engine_lineage.cpp)."""
    path = os.path.join(env.storage, 'renewal', name + '.toml')
    with open(path, 'a', encoding='utf-8') as f:
        f.write('ari_window_start = "2000-01-01T00:00:00Z"\n'
                'ari_window_end = "2000-01-02T00:00:00Z"\n'
                'ari_renewal_time = "2000-01-01T12:00:00Z"\n')


def apply(env, set_file, *extra, timeout=120, env_vars=None):
    return env.run(['apply'] + list(extra) + [set_file], timeout=timeout, env=env_vars)


def by_name(result):
    return {c['name']: c for c in result['certificates']}


def all_names(lineages):
    names = set()
    for _, domains in lineages:
        names.update(challenge_names(domains))
    return sorted(names) + ['_acme-challenge.%s' % z for z in GOOD_ZONES + (BAD_ZONE,)]


def account_key_file(env, directory):
    """The stored account key of the first run, copied to a mode-600 file (the CI secret)."""
    root = os.path.join(env.storage, 'accounts')
    dirs = os.listdir(root)
    assert len(dirs) == 1, 'expected one account directory, found %r' % dirs
    target = os.path.join(str(directory), 'account-key.pem')
    shutil.copyfile(os.path.join(root, dirs[0], 'private_key.pem'), target)
    os.chmod(target, 0o600)
    return target


def supports_account_key_file(env, key_file):
    """(True, '') when this build reads DNS01_ACME_ACCOUNT_KEY_FILE, else (False, its error)."""
    proc = env.run(['config', 'check'], json_output=False,
                   env={'DNS01_ACME_ACCOUNT_KEY_FILE': key_file})[0]
    return proc.returncode == 0, proc.stderr


def dead_address(sb):
    """A loopback address of the sandbox's /24 nothing listens on (ICMP port unreachable)."""
    return sb.primary_ip.rsplit('.', 1)[0] + '.250'


def test_hundred_lineages_in_one_run(sb, issue_env, tmp_path):
    env = issue_env
    wrong = env._secret('wrong-tsig.secret', WRONG_SECRET)
    env.write_config(providers=providers(env, wrong))
    lineages = fleet(100)
    good = [l for l in lineages if l[0] != 'refused']

    # Before: 20 lineages exist (issued without lag); 10 of them are then made due.
    existing = good[:20]
    setup = write_set(str(tmp_path / 'setup.toml'), existing)
    proc, result = apply(env, setup)
    assert proc.returncode == 0, describe(proc)
    assert {c['status'] for c in result['certificates']} == {'issued'}, describe(proc)
    due = [name for name, _ in existing[:10]]
    for name in due:
        make_due(env, name)
    not_due = [name for name, _ in existing[10:]]
    accounts_before = pebble_accounts_created(sb)

    # The run: 100 lineages, the secondary 2 s behind.
    set_file = write_set(str(tmp_path / 'fleet.toml'), lineages)
    sb.set_secondary_delay(2)
    orders_before = pebble_orders_added(sb)
    started = time.monotonic()
    proc, result = apply(env, set_file)
    wall = time.monotonic() - started
    assert result is not None, describe(proc)
    assert proc.returncode == EXIT['provider'], describe(proc)  # the first (only) failure's category
    assert result['ok'] is False
    status = by_name(result)
    assert len(status) == 100
    for name, _ in good:
        expected = 'renewed' if name in due else 'not_due' if name in not_due else 'issued'
        assert status[name]['status'] == expected, (name, status[name])
    bad = status['refused']
    assert bad['status'] == 'failed', bad
    assert bad['error']['exit_code'] == EXIT['provider'], bad
    assert "provider instance 'refusing'" in bad['error']['message'], bad
    assert WRONG_SECRET not in proc.stdout + proc.stderr
    # Orders: one per issued or renewed lineage, none for the refused one or the not-due ones.
    assert pebble_orders_added(sb) - orders_before == len(good) - len(not_due), describe(proc)
    # The pre-flight ran and named the refusing instance; its cost is reported.
    pre = result['preflight']
    assert pre['ok'] is False and pre['milliseconds'] >= 0, pre
    assert {i['name']: i['ok'] for i in pre['instances']} == {'main': True, 'refusing': False}, pre
    # One account for the whole fleet: nothing new at the CA since the setup run.
    assert pebble_accounts_created(sb) == accounts_before
    assert len(os.listdir(os.path.join(env.storage, 'accounts'))) == 1
    for name, domains in good:
        assert os.path.exists(env.live(name)), name
    print('100-lineage apply: %.1f s wall, %d DNS queries' % (wall, result.get('dns_queries', -1)))

    # A second run right after: nothing ordered, the refused one still reported.
    orders_before = pebble_orders_added(sb)
    proc, again = apply(env, set_file)
    assert proc.returncode == EXIT['provider'], describe(proc)
    assert pebble_orders_added(sb) - orders_before == 0, describe(proc)
    statuses = by_name(again)
    assert all(statuses[name]['status'] == 'not_due' for name, _ in good), describe(proc)
    assert statuses['refused']['status'] == 'failed'

    # Nothing left in DNS: no challenge value, no canary, on the primary and the secondary.
    assert_clean(sb, all_names(lineages), env)

    # A fresh storage (an ephemeral CI runner) with the account key from a secret: the CA finds
    # the account by its key, no new account is registered.
    key_file = account_key_file(env, tmp_path)
    supported, why = supports_account_key_file(env, key_file)
    if not supported:
        pytest.skip('DNS01_ACME_ACCOUNT_KEY_FILE is not supported by this build: %s' % why.strip())
    (tmp_path / 'fresh-runner').mkdir()
    fresh = IssueEnv(sb, tmp_path / 'fresh-runner', env.bin, env.provider_path)
    fresh.write_config(providers={'main': fresh.provider(GOOD_ZONES)})
    sb.set_secondary_delay(0)
    small = write_set(str(tmp_path / 'fresh.toml'), good[:3])
    accounts_before = pebble_accounts_created(sb)
    proc, result = apply(fresh, small, env_vars={'DNS01_ACME_ACCOUNT_KEY_FILE': key_file})
    assert proc.returncode == 0, describe(proc)
    assert [c['status'] for c in result['certificates']] == ['issued'] * 3
    assert pebble_accounts_created(sb) == accounts_before, 'a new account was registered'


def test_preflight_names_a_refused_key_and_an_unreachable_nameserver(sb, issue_env, tmp_path):
    """Each failure stops only the lineages that need that instance or server, before any
    order, and names it; the lineage that needs neither is issued."""
    env = issue_env
    wrong = env._secret('wrong-tsig.secret', WRONG_SECRET)
    lineages = [('ok-host', ['ok.example.test', '*.ok.example.test']),
                ('refused', ['refused.other.test']),
                ('unreachable', ['u.internal.test'])]
    env.write_config(providers={
        'main': env.provider(['example.test', 'internal.test']),
        'refusing': dict(env.provider([BAD_ZONE]), secret_file=wrong),
    })
    set_file = write_set(str(tmp_path / 'three.toml'), lineages)
    # internal.test gets a third nameserver that is down.
    dead = dead_address(sb)
    sb.nsupdate(['update add ns3.internal.test. 60 A %s' % dead,
                 'update add internal.test. 60 NS ns3.internal.test.'])
    try:
        orders_before = pebble_orders_added(sb)
        proc, result = apply(env, set_file)
    finally:
        sb.nsupdate(['update delete internal.test. NS ns3.internal.test.',
                     'update delete ns3.internal.test. A'])
    assert result is not None, describe(proc)
    assert proc.returncode == EXIT['provider'], describe(proc)
    status = by_name(result)
    assert status['ok-host']['status'] == 'issued', describe(proc)
    assert status['refused']['status'] == 'failed', describe(proc)
    assert "provider instance 'refusing'" in status['refused']['error']['message']
    assert status['unreachable']['status'] == 'failed', describe(proc)
    message = status['unreachable']['error']['message']
    assert 'ns3.internal.test (%s:%d)' % (dead, sb.dns_port) in message, message
    assert 'of zone internal.test' in message, message
    assert pebble_orders_added(sb) - orders_before == 1, 'orders for stopped lineages were placed'
    servers = {(s['zone'], s['server']): s['ok'] for s in result['preflight']['servers']}
    assert servers[('internal.test', 'ns3.internal.test (%s:%d)' % (dead, sb.dns_port))] is False
    assert all(ok for (zone, _), ok in servers.items() if zone != 'internal.test'), servers
    assert WRONG_SECRET not in proc.stdout + proc.stderr
    assert_clean(sb, all_names(lineages), env)
