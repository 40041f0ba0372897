"""issue 18: `dns01 issue` behaves the way certbot users expect — against the sandbox (pebble +
BIND): never silently drops names from a lineage, `--expand` / `--shrink` to change them, a
re-run with the same names is a no-op until renewal is due (`--force-renewal` overrides), and
`-d a,b` / non-greedy `-d` and `--deploy-hook`."""

import os

from issue_support import (assert_clean, challenge_names, describe, dns_names, issue_env,  # noqa: F401
                           load_certs, pebble_new_orders, sb)


def versions(env, name):
    d = os.path.join(env.storage, 'archive', name)
    return sorted(f for f in os.listdir(d) if f.startswith('cert')) if os.path.isdir(d) else []


def ok(proc, result):
    assert proc.returncode == 0, describe(proc)
    assert result is not None and result['ok'] is True, describe(proc)
    return result


def test_same_names_twice_is_a_no_op_until_forced(sb, issue_env):
    env = issue_env
    name = 'again.example.test'
    domains = [name, '*.' + name]
    first = ok(*env.issue(domains))
    assert first['status'] == 'issued' and first['version'] == 1
    orders = pebble_new_orders(sb)

    proc, second = env.issue(domains)
    ok(proc, second)
    assert second['status'] == 'not_due', second
    assert 'days left' in second['reason'], second
    assert second['version'] == 1 and second['certificate']['serial'] == first['certificate']['serial']
    assert os.path.realpath(second['paths']['fullchain']) == os.path.realpath(env.live(name, 'fullchain'))
    assert 'no action taken' in proc.stderr, describe(proc)
    assert pebble_new_orders(sb) == orders, 'a no-op issue placed an order'
    assert versions(env, name) == ['cert1.pem']

    # The same names in another order and spelling are the same set.
    proc, again = env.issue(['*.' + name.upper(), name])
    assert ok(proc, again)['status'] == 'not_due'

    # Without --json: the paths on stdout as for a new certificate, exit 0.
    proc, _ = env.run(['issue', '-d', name, '-d', '*.' + name], json_output=False)
    assert proc.returncode == 0, describe(proc)
    printed = [os.path.realpath(p) for p in proc.stdout.split()]
    assert printed == [os.path.realpath(env.live(name, w)) for w in ('fullchain', 'privkey')], describe(proc)

    forced = ok(*env.issue(domains, '--force-renewal'))
    assert forced['status'] == 'issued' and forced['version'] == 2
    assert forced['certificate']['serial'] != first['certificate']['serial']
    assert versions(env, name) == ['cert1.pem', 'cert2.pem']
    assert_clean(sb, challenge_names(domains), env)


def test_dropping_a_name_makes_a_new_lineage_unless_shrink(sb, issue_env):
    env = issue_env
    name = 'shrink.example.test'
    both = [name, '*.' + name]
    ok(*env.issue(both))

    # certbot's behaviour: the lineage that holds both names stays as it is.
    proc, result = env.issue(['*.' + name])
    ok(proc, result)
    assert result['cert_name'] == name + '-0001', result
    assert result['status'] == 'issued' and result['version'] == 1
    assert sorted(dns_names(load_certs(env.live(name, 'cert'))[0])) == sorted(both)
    assert dns_names(load_certs(env.live(name + '-0001', 'cert'))[0]) == ['*.' + name]
    assert "storing it as a new certificate '%s-0001'" % name in proc.stderr, describe(proc)

    # Asking again for the wildcard alone finds that lineage: nothing to do.
    proc, result = env.issue(['*.' + name])
    assert ok(proc, result)['status'] == 'not_due' and result['cert_name'] == name + '-0001'

    # --shrink rewrites the names of the default lineage instead (version 2 without the apex).
    proc, result = env.issue(['*.' + name], '--shrink', '--cert-name', name)
    ok(proc, result)
    assert result['cert_name'] == name and result['version'] == 2, result
    assert dns_names(load_certs(env.live(name, 'cert'))[0]) == ['*.' + name]
    assert 'removing %s from %s (--shrink)' % (name, name) in proc.stderr, describe(proc)
    assert_clean(sb, challenge_names(both), env)


def test_adding_names_needs_expand(sb, issue_env):
    env = issue_env
    name = 'expand.example.test'
    ok(*env.issue([name]))
    orders = pebble_new_orders(sb)

    proc, result = env.issue([name, 'www.' + name])
    assert proc.returncode == 2, describe(proc)
    assert result['ok'] is False and '--expand' in result['error']['hint'], result
    assert 'www.' + name in result['error']['message'], result
    assert pebble_new_orders(sb) == orders
    assert versions(env, name) == ['cert1.pem']

    # An explicit --cert-name that would drop a name is refused too, naming it.
    proc, result = env.issue(['www.' + name], '--cert-name', name)
    assert proc.returncode == 2, describe(proc)
    assert name in result['error']['message'] and '--shrink' in result['error']['hint'], result

    result = ok(*env.issue([name, 'www.' + name], '--expand'))
    assert result['cert_name'] == name and result['version'] == 2
    assert sorted(dns_names(load_certs(env.live(name, 'cert'))[0])) == sorted([name, 'www.' + name])
    assert_clean(sb, challenge_names([name, 'www.' + name]), env)


def test_comma_separated_domains_and_no_greedy_options(sb, issue_env):
    env = issue_env
    name = 'comma.example.test'
    out = os.path.join(env.dir, 'deploy.out')
    proc, result = env.run(['issue', '-d', '%s,www.%s' % (name, name),
                            '--deploy-hook', 'echo one >> %s' % out])
    ok(proc, result)
    assert result['domains'] == [name, 'www.' + name], result
    with open(out, encoding='utf-8') as f:
        assert f.read().split() == ['one']

    # `-d a b`: b is not a second name but an unexpected argument (exit 2, nothing ordered).
    orders = pebble_new_orders(sb)
    proc, _ = env.run(['issue', '-d', 'other.example.test', 'stray.example.test'], json_output=False)
    assert proc.returncode == 2, describe(proc)
    assert 'stray.example.test' in proc.stderr, describe(proc)
    # `--deploy-hook CMD x`: likewise.
    proc, _ = env.run(['issue', '-d', 'other.example.test', '--deploy-hook', 'true', 'extra'],
                      json_output=False)
    assert proc.returncode == 2 and 'extra' in proc.stderr, describe(proc)
    assert pebble_new_orders(sb) == orders
    assert_clean(sb, challenge_names([name, 'www.' + name]), env)
