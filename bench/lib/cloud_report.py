"""Summaries, targets and the Markdown/JSON report of bench/cloud (bench/results/cloud.*)."""

import math
import statistics

MARK = {True: 'met', False: 'MISSED', None: 'n/a'}


def stats(values):
    values = [v for v in values if isinstance(v, (int, float))]
    if not values:
        return None
    return {'median': statistics.median(values), 'min': min(values), 'max': max(values)}


def summarize(label, runs):
    """Medians (min-max) of a scenario's runs; wall/served/tail over the successful runs only
    (a failed certbot run's wall time is reported beside, not mixed in)."""
    ok = [r for r in runs if r['ok']]
    out = {'scenario': label, 'runs': len(runs), 'succeeded': len(ok),
           'wall_ms': stats([r['wall_ms'] for r in ok]),
           'failed_wall_ms': stats([r['wall_ms'] for r in runs if not r['ok']]),
           'served_ms': stats([r['served_ms'] for r in ok]),
           'tail_ms': stats([r['tail_ms'] for r in ok]),
           'api_calls': stats([r['api_calls'] for r in runs]),
           'errors': sorted({r['error'] for r in runs if r.get('error')}),
           'notes': sorted({r['note'] for r in runs if r.get('note')}),
           'calls_by_kind': runs[0].get('calls_by_kind') if runs else None,
           'watch_max_gap_ms': max((r['watch']['max_gap_ms'] for r in runs if r.get('watch')),
                                   default=None)}
    for key in ('values_added', 'record_calls', 'arm_calls', 'token_calls', 'arm_per_name', 'getchange_polls'):
        if any(key in r for r in runs):
            out[key] = stats([r.get(key) for r in runs])
    propagation = [(r.get('timings_ms') or {}).get('propagation') for r in ok]
    if any(isinstance(p, (int, float)) for p in propagation):
        out['propagation_phase_ms'] = stats(propagation)
    if any('change_batches' in r for r in runs):
        out['change_batches'] = [r.get('change_batches') for r in runs]
    return out


def lego_route53_estimate(names, insync_s, lag_s, polling_s=4.0):
    """lego 4.9.1's route53 provider, from its source (providers/dns/route53/route53.go):
    Present and CleanUp each send one UPSERT/DELETE for one name and then wait.For INSYNC,
    polling GetChange every AWS_POLLING_INTERVAL (default 4 s; first poll at once); lego calls
    Present for every authorization, one after the other, then validates, then CleanUp for each.
    So every name costs ceil(INSYNC / interval) * interval, twice."""
    per_name = math.ceil(insync_s / polling_s) * polling_s
    return {'names': names, 'insync_s': insync_s, 'polling_interval_s': polling_s,
            'per_name_s': per_name, 'present_s': names * per_name,
            'cleanup_s': names * per_name, 'total_s': 2 * names * per_name,
            'getchange_polls': 2 * names * int(math.ceil(insync_s / polling_s) + 1),
            'change_batches': 2 * names, 'secondary_lag_s': lag_s}


def fmt(s, scale=1.0, digits=0):
    if not s:
        return '-'
    f = '%.' + str(digits) + 'f'
    return (f + ' (' + f + '–' + f + ')') % (s['median'] / scale, s['min'] / scale,
                                             s['max'] / scale)


def ratio(s, base):
    if not s or not base or not base.get('wall_ms') or not s.get('wall_ms'):
        return '-'
    return '%.1f×' % (s['wall_ms']['median'] / base['wall_ms']['median'])


def markdown(report):
    cfg = report['config']
    out = ['# bench/cloud — dns01 through the cloud-provider fakes', '',
           'Date: %s UTC; runs per scenario: %d; dns01: `%s`; machine: %s.' % (
               report['date'], cfg['runs'], report['dns01_version'], report['machine']), '',
           '`served` = when the last nameserver (primary and lagging secondary, polled every '
           '~3 ms) served every value, from the client\'s start; `tail` = client exit − served. '
           'Times in ms, median (min–max) over successful runs.', '']
    cf = report['cloudflare']
    out += ['## Cloudflare (fake, apply delay %gs): `-d example.test -d \'*.example.test\'`'
            % cfg['cf_apply_delay_s'], '',
            '| client | success | wall | served | tail | API calls | × dns01 |',
            '|---|---|---|---|---|---|---|']
    base = cf['scenarios'][0]
    for s in cf['scenarios']:
        wall = fmt(s['wall_ms'])
        if s['failed_wall_ms'] and not s['wall_ms']:
            wall = 'failed after ' + fmt(s['failed_wall_ms'])
        out.append('| %s | %d/%d | %s | %s | %s | %s | %s |' % (
            s['scenario'], s['succeeded'], s['runs'], wall, fmt(s['served_ms']),
            fmt(s['tail_ms']), fmt(s['api_calls']), ratio(s, base)))
    out += [''] + ['- ' + t for t in cf['targets']] + ['']
    r53 = report['route53']
    s = r53['scenario']
    out += ['## Route 53 (fake, INSYNC after %gs, secondary lag %gs): 10 names, 2 zones'
            % (cfg['r53_insync_s'], cfg['r53_lag_s']), '',
            '| client | success | wall | served | tail | API calls | GetChange polls | '
            'change batches per run |', '|---|---|---|---|---|---|---|---|',
            '| dns01 | %d/%d | %s | %s | %s | %s | %s | %s |' % (
                s['succeeded'], s['runs'], fmt(s['wall_ms']), fmt(s['served_ms']),
                fmt(s['tail_ms']), fmt(s['api_calls']), fmt(s.get('getchange_polls')),
                '; '.join(sorted({', '.join('%s %d' % kv for kv in sorted(b.items()))
                                  for b in s['change_batches'] if b})))]
    lego = r53['lego_estimate']
    out += ['| lego 4.9.1 route53 (computed, not run) | - | ≈ %d s | - | - | - | ≈ %d | %d (one per name, add and remove) |'
            % (lego['total_s'], lego['getchange_polls'], lego['change_batches'])]
    out += [''] + ['- ' + t for t in r53['targets']] + ['', r53['lego_note'], '']
    az = report['azure']
    s = az['scenario']
    out += ['## Azure DNS (fake, apply delay %gs): 6 names, 2 zones' % cfg['az_apply_delay_s'], '',
            '| client | success | wall | served | tail | ARM calls | per name | token calls |',
            '|---|---|---|---|---|---|---|---|',
            '| dns01 | %d/%d | %s | %s | %s | %s | %s | %s |' % (
                s['succeeded'], s['runs'], fmt(s['wall_ms']), fmt(s['served_ms']),
                fmt(s['tail_ms']), fmt(s.get('arm_calls')), fmt(s.get('arm_per_name'), digits=2),
                fmt(s.get('token_calls')))]
    out += [''] + ['- ' + t for t in az['targets']] + ['']
    out += ['## What the API calls were (first dns01 run of each provider)', '']
    for label, s in (('Cloudflare', cf['scenarios'][0]), ('Route 53', r53['scenario']),
                     ('Azure', az['scenario'])):
        kinds = s.get('calls_by_kind') or {}
        out.append('- %s: %s' % (label, ', '.join('`%s` × %d' % (k, n)
                                                  for k, n in sorted(kinds.items()))))
    out.append('')
    gaps = [sc.get('watch_max_gap_ms') for sc in cf['scenarios'] + [r53['scenario'],
                                                                   az['scenario']]]
    gaps = [g for g in gaps if g is not None]
    if gaps:
        out += ['Watcher resolution: longest gap between two polling rounds %.0f ms.' % max(gaps),
                '']
    labelled = [('Cloudflare ' + x['scenario'], x) for x in cf['scenarios']] + [
        ('Route 53 dns01', r53['scenario']), ('Azure dns01', az['scenario'])]
    errors = [(n, e) for n, x in labelled for e in x['errors'] + x['notes']]
    if errors:
        out += ['## Failures and notes', ''] + ['- %s: `%s`' % (n, e.replace('`', "'"))
                                                for n, e in errors]
        out.append('')
    return '\n'.join(out)


def target(text, met):
    return '%s: **%s**' % (text, MARK[met])
