"""Issue 17, "done when": 20 runs of `dns01 issue` killed with SIGKILL at random moments (the
secondary lagging 3 s, so kills land in every phase: setup, order, present, the propagation
wait, validation, finalize, the four live/ link switches) leave nothing behind that the next run
or `cleanup --stale` does not settle: 0 TXT records on the primary and the secondary, no journal,
and every lineage consistent (the four live links at one version whose key matches its
certificate), whatever `dns01 certificates` is asked.
"""

import os
import random
import signal
import time

from cryptography.hazmat.primitives import serialization

from issue_support import (assert_clean, challenge_names, describe, issue_env,  # noqa: F401
                           load_certs, public_key_der, sb)

RUNS = 20


def link_versions(env, name):
    out = {}
    for kind in ('cert', 'chain', 'fullchain', 'privkey'):
        target = os.readlink(os.path.join(env.storage, 'live', name, kind + '.pem'))
        out[kind] = int(os.path.basename(target)[len(kind):-len('.pem')])
    return out


def assert_lineage_consistent(env, name, leftovers_too=True):
    versions = link_versions(env, name)
    assert len(set(versions.values())) == 1, '%s: live links at %r' % (name, versions)
    cert = load_certs(env.live(name, 'cert'))[0]
    assert public_key_der(cert) == public_key_der(env.live(name, 'privkey')), \
        '%s: the key does not match the certificate' % name
    if leftovers_too:  # removed by the next run that locks the lineage
        for area in ('archive', 'live'):
            left = [f for f in os.listdir(os.path.join(env.storage, area, name)) if f.startswith('.')]
            assert left == [], '%s: temporary files left in %s/: %r' % (name, area, left)


def test_twenty_random_sigkills_leave_no_record_and_consistent_lineages(sb, issue_env):
    env = issue_env
    rng = random.Random(int(os.environ.get('DNS01_SIGKILL_SEED', time.time())))
    seed_note = 'seed %s' % os.environ.get('DNS01_SIGKILL_SEED', '(time)')
    sb.set_secondary_delay(3)
    names = ['kill%d.example.test' % (i % 4) for i in range(RUNS)]  # repeated lineages: renewals
    killed = 0
    for name in names:
        proc = env.start(['issue', '-d', name, '-d', '*.' + name, '--force-renewal'])
        time.sleep(rng.uniform(0.0, 5.0))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.communicate(timeout=120)
    assert killed >= RUNS // 4, 'too few runs were still running when killed (%d)' % killed

    # The next run settles what the killed ones left (stale journal, half-switched links).
    sb.set_secondary_delay(0)
    proc, result = env.run(['cleanup', '--stale'])
    assert proc.returncode == 0, describe(proc)
    assert result['errors'] == [], result
    assert_clean(sb, challenge_names(['kill%d.example.test' % i for i in range(4)]), env)

    proc, result = env.run(['certificates'])
    assert proc.returncode == 0, describe(proc)
    for name in sorted(set(names)):
        if os.path.isdir(os.path.join(env.storage, 'live', name)):
            assert_lineage_consistent(env, name, leftovers_too=False)
    # And issuing again works for every name.
    for name in sorted(set(names)):
        proc, _ = env.issue([name, '*.' + name], '--force-renewal')
        assert proc.returncode == 0, '%s: %s' % (seed_note, describe(proc))
        assert_lineage_consistent(env, name)
    assert_clean(sb, challenge_names(['kill%d.example.test' % i for i in range(4)]), env)
