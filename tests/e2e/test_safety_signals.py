"""Issue 17, finding 8: every blocking wait ends within about a second of a signal, with
cleanup and exit 130. SIGTERM during --lock-wait used to take effect 14.7 s later and still
place an order; against a stalled CA SIGTERM was ignored for 118 s and the exit code was 4.
"""

import json
import os
import signal
import socket
import threading
import time

import pytest

from issue_support import (EXIT, assert_clean, challenge_names, issue_env,  # noqa: F401
                           pebble_new_orders, sb, wait_for_any_txt)


def finish(proc, timeout=30):
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def wait_for_lock_file(proc, lock_path, timeout=30.0):
    """Waits until proc holds `lock_path` open: it has reached the lineage lock, which it then
    polls (FileLock opens the file, then tries flock). Fails if proc exits or never gets there."""
    fd_dir = '/proc/%d/fd' % proc.pid
    lock_path = os.path.realpath(lock_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError('exited (%d) before the lock:\n%s\n%s' % (proc.returncode, err, out))
        try:
            if any(os.path.realpath(os.path.join(fd_dir, fd)) == lock_path
                   for fd in os.listdir(fd_dir)):
                return
        except FileNotFoundError:  # an fd closed (or the process ended) while we looked
            pass
        time.sleep(0.01)
    raise AssertionError('%d did not open %s in %.0f s' % (proc.pid, lock_path, timeout))


def test_sigterm_ends_a_lock_wait_at_once_and_orders_nothing(sb, issue_env):
    env = issue_env
    sb.set_secondary_delay(10)  # the first run stays in its propagation wait, holding the lock
    name = 'lockwait.example.test'
    holder = env.start(['issue', '-d', name])
    wait_for_any_txt(sb, challenge_names([name])[0], proc=holder)
    orders = pebble_new_orders(sb)
    waiter = env.start(['issue', '-d', name, '--lock-wait', '60s'])
    wait_for_lock_file(waiter, os.path.join(env.storage, 'locks', name + '.lock'))
    assert waiter.poll() is None, 'the second run did not wait for the lock'
    start = time.monotonic()
    waiter.send_signal(signal.SIGTERM)
    rc, out, err = finish(waiter)
    assert time.monotonic() - start < 3, 'the signal took %.1f s' % (time.monotonic() - start)
    assert rc == EXIT['interrupted'], err
    assert json.loads(out)['error']['category'] == 'interrupted', out
    assert pebble_new_orders(sb) == orders, 'the interrupted run placed an order'
    holder.send_signal(signal.SIGTERM)
    finish(holder)
    assert_clean(sb, challenge_names([name]), env)


class StalledServer:
    """Accepts TCP connections on loopback and never says a word (a CA that hangs)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.stop = False
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                self.conns.append(conn)
            except OSError:
                pass

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop = True
        self.thread.join()
        for c in self.conns:
            c.close()
        self.sock.close()


def test_sigterm_ends_a_request_to_a_stalled_ca_with_130(sb, issue_env):
    env = issue_env
    with StalledServer() as ca:
        env.write_config(acme={'server': 'https://127.0.0.1:%d/dir' % ca.port})
        proc = env.start(['issue', '-d', 'stalled.example.test'])
        deadline = time.monotonic() + 20
        while not ca.conns and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ca.conns, 'dns01 never connected to the CA'
        time.sleep(1.0)
        start = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        rc, out, err = finish(proc)
        assert time.monotonic() - start < 3, 'the signal took %.1f s' % (time.monotonic() - start)
        assert rc == EXIT['interrupted'], '%s\n%s' % (err, out)
