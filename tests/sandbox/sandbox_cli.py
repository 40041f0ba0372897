"""Command line of the test sandbox, run as `/usr/bin/python3 tests/sandbox/sandbox.py <command>`
(see docs/sandbox.md): start (daemons keep running, D/sandbox.json), status, set-delay, stop, gc.
"""

import argparse
import json
import os
import signal
import sys

from sandbox_files import write_delay, write_private
from sandbox_procs import SandboxError, gc_stale, pid_matches, stop_recorded


def _load(directory, name):
    with open(os.path.join(directory, name), encoding='utf-8') as f:
        return json.load(f)


def _cli_start(args):
    if os.path.exists(os.path.join(args.dir, 'state.json')):
        state = _load(args.dir, 'state.json')
        if any(pid_matches(int(p), state['workdir']) for p in state['pids'].values()):
            print('sandbox: start: already running in %s (stop it first)' % args.dir,
                  file=sys.stderr)
            return 1
    from sandbox import Sandbox  # dnspython is slow to import: only `start` needs it
    os.makedirs(args.dir, exist_ok=True)
    sb = Sandbox(args.dir, secondary_delay=args.secondary_delay, ca_asks=args.ca_asks,
                 querylog=not args.no_querylog, rate_limit=args.rate_limit)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt('signal %d' % signum)

    signal.signal(signal.SIGTERM, on_signal)
    try:
        sb.start()
    except KeyboardInterrupt:
        sb.stop()
        print('sandbox: start: interrupted, stopped everything', file=sys.stderr)
        return 130
    sb.detach()
    print(json.dumps(sb.to_json(), indent=2))
    return 0


def _cli_stop(args):
    if not os.path.exists(os.path.join(args.dir, 'state.json')):
        print('sandbox: stop: not running in %s' % args.dir, file=sys.stderr)
        return 0
    state = _load(args.dir, 'state.json')
    stop_recorded(state['workdir'], state['pids'], state['addresses'])
    return 0


def _cli_status(args):
    if not os.path.exists(os.path.join(args.dir, 'state.json')):
        print(json.dumps({'running': False, 'dir': args.dir}))
        return 3
    state = _load(args.dir, 'state.json')
    out = _load(args.dir, 'sandbox.json')
    out['alive'] = {n: pid_matches(int(p), state['workdir']) for n, p in state['pids'].items()}
    out['running'] = all(out['alive'].values())
    print(json.dumps(out, indent=2))
    return 0 if out['running'] else 1


def _cli_set_delay(args):
    if not os.path.exists(os.path.join(args.dir, 'state.json')):
        print('sandbox: set-delay: not running in %s' % args.dir, file=sys.stderr)
        return 1
    write_delay(args.dir, args.seconds)
    info = _load(args.dir, 'sandbox.json')
    info['secondary_delay'] = float(args.seconds)
    write_private(os.path.join(args.dir, 'sandbox.json'), json.dumps(info, indent=2) + '\n')
    return 0


def _cli_gc(_args):
    for workdir in gc_stale():
        print('removed the addresses of the dead sandbox in %s' % workdir)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description='dns01 test sandbox (BIND primary/secondary + pebble)')
    sub = ap.add_subparsers(dest='cmd', required=True)
    p = sub.add_parser('start', help='start everything, write D/sandbox.json, print it')
    p.add_argument('--dir', required=True)
    p.add_argument('--secondary-delay', type=float, default=0.0)
    p.add_argument('--ca-asks', choices=('primary', 'secondary'), default='primary')
    p.add_argument('--no-querylog', action='store_true')
    p.add_argument('--rate-limit', type=int, default=None, metavar='N',
                   help="BIND rate-limit { responses-per-second N; } on both servers (default off)")
    for name, helptext in (('stop', 'stop the recorded PIDs, remove the addresses'),
                           ('status', 'print state; exit 0 if every process runs')):
        p = sub.add_parser(name, help=helptext)
        p.add_argument('--dir', required=True)
    p = sub.add_parser('set-delay', help='change the secondary delay of a running sandbox')
    p.add_argument('--dir', required=True)
    p.add_argument('seconds', type=float)
    sub.add_parser('gc', help='remove addresses of sandboxes whose processes are all gone')
    args = ap.parse_args(argv)
    if args.cmd == 'gc':
        return _cli_gc(args)
    args.dir = os.path.abspath(args.dir)
    try:
        return {'start': _cli_start, 'stop': _cli_stop, 'status': _cli_status,
                'set-delay': _cli_set_delay}[args.cmd](args)
    except SandboxError as exc:
        print(str(exc), file=sys.stderr)
        return 2

