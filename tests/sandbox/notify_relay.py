#!/usr/bin/python3
"""NOTIFY relay: delays the primary's NOTIFYs before the secondary sees them.

The sandbox's primary `named` sends its NOTIFYs (`also-notify`) here instead of to the secondary.
The relay answers each one at once (so the primary does not retry) and forwards a fresh NOTIFY for
the same zone to the secondary after the delay read from --delay-file *when the NOTIFY arrives*.
The secondary then transfers the zone as usual, so the secondary serves a change about `delay`
seconds after the primary does: this is how tests get a lagging nameserver on purpose.

Bound to the primary's address, so the forwarded NOTIFYs come from an address the secondary lists
as its primary (accepted without extra configuration).

Runs with Debian's /usr/bin/python3 + dnspython. Stops on SIGTERM.
"""

import argparse
import heapq
import os
import select
import signal
import socket
import sys
import time

import dns.flags
import dns.message
import dns.opcode
import dns.rdatatype


class _Stop(BaseException):
    """SIGTERM/SIGINT: not an Exception, so no `except Exception` in the loop swallows it."""


def read_delay(path):
    try:
        with open(path, encoding='ascii') as f:
            return max(0.0, float(f.read().strip() or '0'))
    except (OSError, ValueError):
        return 0.0


def make_notify(zone, answer):
    msg = dns.message.make_query(zone, dns.rdatatype.SOA)
    msg.answer = answer  # the primary's SOA: lets the secondary skip a refresh it does not need
    # The opcode lives in the flags word: assign flags first, then the opcode, or the opcode is lost.
    msg.flags = dns.flags.AA
    msg.set_opcode(dns.opcode.NOTIFY)
    return msg


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--listen', required=True, help='address to bind (the primary address)')
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--target', required=True, help='secondary address')
    ap.add_argument('--target-port', type=int, required=True)
    ap.add_argument('--delay-file', required=True)
    ap.add_argument('--log', default=None)
    args = ap.parse_args()

    log = open(args.log, 'a', buffering=1, encoding='utf-8') if args.log else sys.stderr

    def say(text):
        log.write('%.3f %s\n' % (time.time(), text))

    def on_term(_signum, _frame):
        # raise (rather than set a flag) so a pending select() ends now, not at its timeout
        raise _Stop()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)

    family = socket.AF_INET6 if ':' in args.listen else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((args.listen, args.port))
    say('listening on %s#%d, forwarding to %s#%d' % (args.listen, args.port, args.target,
                                                     args.target_port))
    try:
        relay_loop(sock, args, say)
    except _Stop:
        pass
    say('stopping')
    return 0


def relay_loop(sock, args, say):
    pending = []  # heap of (due monotonic time, sequence, zone, answer section)
    seq = 0
    while True:
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _due, _seq, zone, answer = heapq.heappop(pending)
            try:
                sock.sendto(make_notify(zone, answer).to_wire(), (args.target, args.target_port))
                say('forwarded NOTIFY %s' % zone)
            except OSError as exc:
                say('forward NOTIFY %s failed: %s' % (zone, exc))
        timeout = max(0.0, pending[0][0] - time.monotonic()) if pending else 0.5
        try:
            ready, _, _ = select.select([sock], [], [], min(timeout, 0.5))
        except InterruptedError:
            continue
        if not ready:
            continue
        try:
            wire, peer = sock.recvfrom(65535)
            msg = dns.message.from_wire(wire)
        except Exception as exc:  # malformed packet or socket error: log, keep relaying
            say('bad packet: %s' % exc)
            continue
        if msg.flags & dns.flags.QR:
            continue  # the secondary's answer to a forwarded NOTIFY
        if msg.opcode() != dns.opcode.NOTIFY or not msg.question:
            continue
        zone = msg.question[0].name.to_text()
        reply = dns.message.make_response(msg)
        reply.flags |= dns.flags.AA
        try:
            sock.sendto(reply.to_wire(), peer)
        except OSError as exc:
            say('answer NOTIFY %s failed: %s' % (zone, exc))
        delay = read_delay(args.delay_file)
        heapq.heappush(pending, (time.monotonic() + delay, seq, zone, msg.answer))
        seq += 1
        say('NOTIFY %s from %s, forwarding in %.3f s' % (zone, peer[0], delay))


if __name__ == '__main__':
    os.umask(0o077)
    sys.exit(main())
