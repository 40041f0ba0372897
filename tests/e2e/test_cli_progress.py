"""issue 18: propagation progress — one line per real change per server (BIND rotating the order
of two values at one name is not a change) and a heartbeat every ~10 s naming the server checks
still waited for and the time left. Uses `dns01 check`, which shares the checker with issue."""

import re
import subprocess
import time

from issue_support import describe, sb  # noqa: F401


def test_rotation_is_not_progress_and_the_wait_has_a_heartbeat(sb, dns01_bin):
    name = '_acme-challenge.rotate.example.test'
    sb.nsupdate(['update add %s. 60 TXT "value-one"' % name,
                 'update add %s. 60 TXT "value-two"' % name])
    deadline = time.monotonic() + 15
    while len(sb.query_txt('secondary', name + '.')) < 2:
        assert time.monotonic() < deadline, 'the secondary never served both values'
        time.sleep(0.05)
    try:
        started = time.monotonic()
        proc = subprocess.run(
            [dns01_bin, 'check', name, 'value-three', '--timeout', '12s',
             '--nameserver', '%s:%d' % (sb.primary_ip, sb.dns_port),
             '--nameserver', '%s:%d' % (sb.secondary_ip, sb.dns_port)],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        elapsed = time.monotonic() - started
    finally:
        sb.nsupdate(['update delete %s. TXT' % name])
    assert proc.returncode == 7, describe(proc)
    assert elapsed >= 12, elapsed
    progress = [line for line in proc.stderr.splitlines() if ' check: ' in line]
    # One "not yet" line per server: its answer never changed meaning, only its order.
    for ip in (sb.primary_ip, sb.secondary_ip):
        mine = [line for line in progress if '%s:%d' % (ip, sb.dns_port) in line and 'not yet' in line]
        assert len(mine) == 1, 'progress lines for %s:\n%s' % (ip, '\n'.join(mine))
    heartbeats = [line for line in proc.stderr.splitlines() if 'still waiting after' in line]
    assert len(heartbeats) == 1, describe(proc)  # at ~10 s of a 12 s wait
    m = re.search(r'still waiting after (\d+) s \((\d+) s left\) for 2 of 2 server checks: (.*)',
                  heartbeats[0])
    assert m, heartbeats[0]
    assert 9 <= int(m.group(1)) <= 11 and 1 <= int(m.group(2)) <= 3, heartbeats[0]
    assert sb.primary_ip in m.group(3) and sb.secondary_ip in m.group(3), heartbeats[0]
    # The failure hint names options that exist.
    assert '--propagation-timeout on issue/renew' in proc.stderr, describe(proc)
