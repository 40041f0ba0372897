"""bench/apply's report: bench/results/apply.md (a table and the verdicts) and apply.json."""

import json
import os
import platform
import time


def _row(label, r):
    if r is None:
        return '| %s | - | - | - | - | - | not run |' % label
    scale = r.get('scale', 1)
    extrapolated = ' (x%g from %d, extrapolated)' % (scale, r['measured']) if scale != 1 else ''
    return '| %s | %s | %.1f%s | %s | %s | %s | %s |' % (
        label, '%d/%d' % (r['ok'], r['measured']), r['wall_s'] * scale, extrapolated,
        '%d' % round(r['ca_requests'] * scale) if r['ca_requests'] is not None else '-',
        '%.1f' % r['queries_per_name'] if r.get('queries_per_name') is not None else '-',
        '%.1f' % (r['rss_kb'] / 1024.0) if r.get('rss_kb') else '-', r.get('note', ''))


def write(out_dir, summary):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, 'apply.json'), 'w', encoding='utf-8') as f:
        json.dump(summary, f, indent=2, sort_keys=True)
        f.write('\n')
    n, d = summary['certificates'], summary['delay_s']
    r = summary['results']
    lines = [
        '# bench/apply: %d certificates in one `dns01 apply` run, and the alternatives' % n, '',
        'Measured %s on %s (%d CPUs), secondary %g s behind the primary, the CA asking the '
        'secondary, pebble rejecting 5 %% of nonces for dns01 (0 for certbot and the pebble-alone '
        'client). Fleet: single hosts and apex + wildcard pairs over two zones (%d record names). '
        'Reproduce: `sudo bench/apply` (options: `bench/apply --help`).' % (
            time.strftime('%Y-%m-%d', time.gmtime(summary['started'])), platform.node() or 'this host',
            os.cpu_count() or 0, d, summary['record_names']), '',
        '| client | certificates ok | wall s | CA requests | client DNS queries per name | peak RSS MiB | note |',
        '| --- | --- | --- | --- | --- | --- | --- |',
        _row('`dns01 apply` (one run)', r.get('apply')),
        _row('`dns01 issue`, one run per certificate', r.get('issue')),
        _row('lego --dns rfc2136 (tuned), one run per certificate', r.get('lego')),
        _row('certbot --dns-rfc2136 (sleep: lag + 1 s), one run per certificate', r.get('certbot')),
        '']
    a = r.get('apply')
    if a:
        target = d + 5.0
        lines += ['- **Target: the whole run within D + 5 s = %.0f s: %s** (%.1f s; pre-flight %s ms, '
                  '%s orders).' % (target, 'met' if a['wall_s'] <= target else 'MISSED', a['wall_s'],
                                   a.get('preflight_ms', '-'), a.get('orders', '-'))]
    if a and a.get('timings'):
        phases = ', '.join('%s %s' % (k, v) for k, v in a['timings'].items() if k != 'total')
        lines += ['- `dns01 apply` phases (ms, from its --json `timings`): %s; total %s.' % (
            phases, a['timings'].get('total'))]
    p = summary.get('pebble_alone')
    if p:
        lines += ['- **pebble alone** (no DNS, every challenge valid at once, %d client threads): '
                  '%.1f orders/s (%d orders in %.1f s).' % (p['workers'], p['orders_per_s'], p['orders'],
                                                              p['seconds'])]
        if a and a['wall_s'] > 0:
            rate = a['ok'] / a['wall_s']
            lines += ['- `dns01 apply` placed and completed %.1f orders/s including the %g s lag '
                      '(%.0f %% of pebble alone); without the lag (wall - D) %.1f orders/s.' % (
                          rate, d, 100.0 * rate / p['orders_per_s'] if p['orders_per_s'] else 0,
                          a['ok'] / max(a['wall_s'] - d, 0.001))]
    lines += ['', 'Notes:', '']
    lines += ['- %s' % note for note in summary['notes']]
    with open(os.path.join(out_dir, 'apply.md'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines) + '\n')
