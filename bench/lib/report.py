"""Summaries of the runs: the table, the machine and versions, the PNG chart (gnuplot)."""

import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess

PHASES = ('setup', 'order', 'present', 'propagation', 'validation', 'cleanup', 'finalize',
          'store', 'hooks', 'total')


def summarize(runs, scenarios, delays):
    """runs: list of run records -> {(key, delay): summary dict} for each measured pair."""
    out = {}
    for s in scenarios:
        for d in delays:
            rs = [r for r in runs if r['scenario'] == s.key and r['delay'] == d]
            if not rs:
                continue
            ok = [r for r in rs if r['ok']]
            walls = [r['wall_s'] for r in ok]
            fail_walls = [r['wall_s'] for r in rs if not r['ok']]
            rss = [r['rss_kb'] for r in rs if r['rss_kb']]
            queries = [r['queries']['total'] for r in rs]
            ca = [r['queries']['ca'] for r in rs]
            out[(s.key, d)] = {
                'runs': len(rs), 'ok': len(ok),
                'wall_median': statistics.median(walls) if walls else None,
                'wall_min': min(walls) if walls else None,
                'wall_max': max(walls) if walls else None,
                'fail_wall_median': statistics.median(fail_walls) if fail_walls else None,
                'rss_max_kb': max(rss) if rss else None,
                'queries_median': statistics.median(queries),
                'ca_queries_median': statistics.median(ca),
                'errors': sorted({r['error'] for r in rs if not r['ok'] and r.get('error')}),
            }
    return out


def phase_medians(runs, delay):
    """Medians over dns01's successful runs at delay: each timings_ms phase, the wall time as
    seen from outside (ms) and dns01's own count of DNS messages (JSON dns_queries)."""
    rows = [r for r in runs
            if r['scenario'] == 'dns01' and r['delay'] == delay and r['ok'] and r.get('timings_ms')]
    if not rows:
        return None
    out = {p: statistics.median(float(r['timings_ms'].get(p, 0)) for r in rows) for p in PHASES}
    out['wall'] = statistics.median(r['wall_s'] * 1000.0 for r in rows)
    q = [r['dns01_queries'] for r in rows if isinstance(r.get('dns01_queries'), (int, float))]
    out['dns_queries'] = statistics.median(q) if q else None
    return out


def _fmt_s(v):
    return '—' if v is None else ('%.2f' % v if v < 10 else '%.1f' % v)


def table(summary, scenarios, delays):
    lines = ['| client | D (s) | success | wall median (s) | min | max | peak RSS (MB) | '
             'DNS queries (of which CA) | × dns01 |',
             '|---|---|---|---|---|---|---|---|---|']
    for s in scenarios:
        for d in delays:
            x = summary.get((s.key, d))
            if not x:
                continue
            base = summary.get(('dns01', d))
            ratio = '—'
            if x['wall_median'] and base and base['wall_median']:
                ratio = '%.1f×' % (x['wall_median'] / base['wall_median'])
            success = '%d/%d' % (x['ok'], x['runs'])
            if x['ok'] < x['runs']:
                success = '**%s FAIL**' % success
            median = _fmt_s(x['wall_median'])
            if x['wall_median'] is None and x['fail_wall_median'] is not None:
                median = '— (fails after %s)' % _fmt_s(x['fail_wall_median'])
            rss = '—' if x['rss_max_kb'] is None else '%.1f' % (x['rss_max_kb'] / 1024.0)
            lines.append('| %s | %g | %s | %s | %s | %s | %s | %g (%g) | %s |' % (
                s.label, d, success, median, _fmt_s(x['wall_min']), _fmt_s(x['wall_max']), rss,
                x['queries_median'], x['ca_queries_median'], ratio))
    return '\n'.join(lines)


def failures(summary, scenarios, delays):
    out = []
    for s in scenarios:
        for d in delays:
            x = summary.get((s.key, d))
            if x and x['errors']:
                for e in x['errors']:
                    out.append('- %s, D = %g s (%d/%d failed): `%s`'
                               % (s.label, d, x['runs'] - x['ok'], x['runs'], e.replace('`', "'")))
    return '\n'.join(out)


def phase_table(runs, delays):
    cols = PHASES + ('wall', 'dns_queries')
    lines = ['| D (s) | ' + ' | '.join(cols) + ' |', '|---' * (len(cols) + 1) + '|']
    any_row = False
    for d in delays:
        m = phase_medians(runs, d)
        if m:
            any_row = True
            lines.append('| %g | ' % d + ' | '.join(
                '—' if m[c] is None else '%.0f' % m[c] for c in cols) + ' |')
    return '\n'.join(lines) if any_row else ''


# --- machine and versions --------------------------------------------------------------------

def machine():
    model, cores = '?', 0
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as f:
            for line in f:
                if line.startswith('model name') and model == '?':
                    model = line.split(':', 1)[1].strip()
                if line.startswith('processor'):
                    cores += 1
    except OSError:
        pass
    mem = '?'
    try:
        with open('/proc/meminfo', encoding='utf-8') as f:
            kb = int(re.search(r'MemTotal:\s+(\d+)', f.read()).group(1))
            mem = '%.1f GiB' % (kb / 1024.0 / 1024.0)
    except (OSError, AttributeError):
        pass
    try:
        load = open('/proc/loadavg', encoding='utf-8').read().split()[:3]
    except OSError:
        load = ['?']
    return {'cpu': model, 'cores': cores, 'memory': mem, 'kernel': platform.release(),
            'load': ' '.join(load)}


def _dpkg_version(pkg):
    try:
        r = subprocess.run(['dpkg-query', '-W', '-f=${Version}', pkg], capture_output=True,
                           text=True, timeout=10)
        return r.stdout.strip() or '?'
    except (OSError, subprocess.SubprocessError):
        return '?'


def _buildtype(build_dir):
    try:
        r = subprocess.run(['meson', 'introspect', build_dir, '--buildoptions'],
                           capture_output=True, text=True, timeout=30)
        opts = {o['name']: o['value'] for o in json.loads(r.stdout)}
        return 'buildtype %s' % opts.get('buildtype', '?')
    except (OSError, subprocess.SubprocessError, ValueError, TypeError, KeyError):
        return 'buildtype ?'


def versions(dns01_bin, build_dir):
    v = {}
    for label, pkg in (('pebble', 'pebble'), ('BIND', 'bind9'), ('certbot', 'certbot'),
                       ('certbot-dns-rfc2136', 'python3-certbot-dns-rfc2136'), ('lego', 'lego')):
        v[label] = _dpkg_version(pkg)
    try:
        r = subprocess.run([dns01_bin, '--version'], capture_output=True, text=True, timeout=10)
        first = (r.stdout.strip() or r.stderr.strip()).splitlines()[0] if r.returncode == 0 else '?'
        v['dns01'] = first[len('dns01 '):] if first.startswith('dns01 ') else first
    except (OSError, subprocess.SubprocessError, IndexError):
        v['dns01'] = '?'
    v['dns01'] += ' (%s)' % _buildtype(build_dir)
    return v


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')


# --- chart -----------------------------------------------------------------------------------

COLORS = ('#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#a6761d', '#377eb8')


def chart(summary, scenarios, delays, png, workdir):
    """Wall time (median, min–max bars, log scale) vs D per scenario over the successful runs;
    a red cross where runs failed (at the median time to failure). Returns the png path, or
    None without gnuplot."""
    gnuplot = shutil.which('gnuplot')
    if not gnuplot:
        return None
    plots, fails = [], []
    for i, s in enumerate(scenarios):
        rows = [(d, summary[(s.key, d)]) for d in delays if (s.key, d) in summary]
        failed = [(d, x) for d, x in rows if x['ok'] < x['runs']]
        fails += ['%g %.3f' % (d, x['fail_wall_median']) for d, x in failed]
        title = s.short + ('  (failed at D = %s s)' % ', '.join('%g' % d for d, _ in failed)
                           if failed else '')
        rows = [(d, x) for d, x in rows if x['wall_median'] is not None]
        if not rows:
            continue
        data = os.path.join(workdir, 'chart-%d.dat' % i)
        with open(data, 'w', encoding='utf-8') as f:
            for d, x in rows:
                f.write('%g %.3f %.3f %.3f\n' % (d, x['wall_median'], x['wall_min'], x['wall_max']))
        plots.append("'%s' using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 1.2 lc rgb '%s' title \"%s\""
                     % (data, COLORS[i % len(COLORS)], title.replace('"', "'")))
    if not plots:
        return None
    if fails:
        data = os.path.join(workdir, 'chart-failed.dat')
        with open(data, 'w', encoding='utf-8') as f:
            f.write('\n'.join(fails) + '\n')
        plots.append("'%s' using 1:2 with points pt 2 ps 2.5 lw 3 lc rgb 'red' "
                     "title 'runs FAILED (median time to failure)'" % data)
    script = '\n'.join([
        "set terminal pngcairo size 1200,600 font 'sans,11'",
        "set output '%s'" % png,
        "set title 'example.test + *.example.test, pebble asking the secondary that lags D s'",
        "set xlabel 'secondary lag D (s)'",
        "set ylabel 'wall time (s): median, min–max (log scale)'",
        'set logscale y', 'set grid', 'set key outside right top vertical Left reverse',
        'set xtics (%s)' % ', '.join('"%g" %g' % (d, d) for d in delays),
        'set xrange [%g:%g]' % (min(delays) - 0.5, max(delays) + 0.5),
        'plot ' + ', \\\n     '.join(plots), ''])
    path = os.path.join(workdir, 'chart.gp')
    with open(path, 'w', encoding='utf-8') as f:
        f.write(script)
    r = subprocess.run([gnuplot, path], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError('bench: chart: gnuplot failed: %s' % r.stderr.strip())
    return png


# --- targets (issue 8: reported, not asserted) -----------------------------------------------

TUNED_PEERS = ('certbot-1s', 'lego-tuned')


def targets(summary, delays):
    """Markdown lines: each target of the issue per D, met or missed and by how much."""
    out = []
    for d in delays:
        base = summary.get(('dns01', d))
        if not base or base['wall_median'] is None:
            continue
        w = base['wall_median']
        over = w - (d + 0.3)
        ok_rate = base['ok'] == base['runs']
        out.append('- D = %g s: dns01 median %.2f s vs target D + 0.3 = %.1f s: %s; '
                   'success %d/%d%s.' % (
            d, w, d + 0.3, 'met' if over <= 0 else '**missed by %.0f ms**' % (over * 1000),
            base['ok'], base['runs'], '' if ok_rate else ' (**target 100 %**)'))
        lego = summary.get(('lego-default', d))
        if lego and lego['wall_median']:
            r = lego['wall_median'] / w
            out.append('  - vs lego defaults: %.0f× faster (target ≥ 10×: %s).' % (
                r, 'met' if r >= 10 else '**missed**'))
        tuned = [(k, summary[(k, d)]) for k in TUNED_PEERS if (k, d) in summary]
        tuned = [(k, x) for k, x in tuned if x['wall_median'] and x['ok'] == x['runs']]
        failing = [k for k in TUNED_PEERS if (k, d) in summary
                   and summary[(k, d)]['ok'] < summary[(k, d)]['runs']]
        if tuned:
            k, x = min(tuned, key=lambda kx: kx[1]['wall_median'])
            r = x['wall_median'] / w
            out.append('  - vs the fastest tuned peer that always succeeded (%s, %.2f s): %.2f× '
                       'faster (target ≥ 3×: %s)%s.' % (
                           k, x['wall_median'], r, 'met' if r >= 3 else '**missed**',
                           '; failing: %s' % ', '.join(failing) if failing else ''))
    rss = [summary[('dns01', d)]['rss_max_kb'] for d in delays
           if ('dns01', d) in summary and summary[('dns01', d)]['rss_max_kb']]
    if rss:
        mb = max(rss) / 1024.0
        out.append('- dns01 peak RSS %.1f MB vs target ≤ 12 MB: %s.' % (
            mb, 'met' if mb <= 12 else '**missed by %.1f MB**' % (mb - 12)))
    return '\n'.join(out)
