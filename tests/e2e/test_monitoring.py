"""Issue 19, monitoring: `certificates --check` exit codes on real certificates from pebble, the
Prometheus textfile written by issue/certificates (read back with prometheus_client's parser, the
Debian package python3-prometheus-client, and scraped through a real node_exporter's textfile
collector, Debian's prometheus-node-exporter, on loopback), the alerting rules example, and the
failure hook's environment.

Every certificate here is issued through the sandbox (pebble + BIND on loopback); pebble's
certificates last years, so the thresholds are set around that instead of waiting for expiry.
"""

import json
import os
import re
import socket
import stat
import subprocess
import time
import urllib.request
from datetime import timezone

import yaml
from cryptography import x509
from prometheus_client.parser import text_string_to_metric_families

from issue_support import EXIT, challenge_names, describe, issue_env, sb  # noqa: F401
from issue_support import assert_clean

NODE_EXPORTER = '/usr/bin/prometheus-node-exporter'
SOURCE_DIR = os.environ.get('DNS01_SOURCE_DIR') or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def issued(env, name, *extra):
    proc, result = env.issue([name], *extra)
    assert proc.returncode == 0, describe(proc)
    return result


def check(env, *args, json_output=False):
    return env.run(['certificates', '--check'] + list(args), json_output=json_output)


def metric_families(path):
    """{family name: [(labels dict, value)]}, parsed by the reference client's parser; also
    asserts that every family has HELP and TYPE (the parser keeps documentation and type)."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    out = {}
    for family in text_string_to_metric_families(text):
        assert family.documentation, family.name
        assert family.type == 'gauge', (family.name, family.type)
        out[family.name] = [(s.labels, s.value) for s in family.samples]
    return out


def not_after(env, name):
    # cryptography's not_valid_after is a naive datetime in UTC
    with open(env.live(name), 'rb') as f:
        return x509.load_pem_x509_certificate(f.read()).not_valid_after.replace(tzinfo=timezone.utc)


def test_check_exit_codes_follow_the_monitoring_plugin_convention(sb, issue_env):
    env = issue_env
    issued(env, 'mon-a.example.test')
    issued(env, 'mon-b.example.test')

    proc, _ = check(env)
    assert proc.returncode == 0, describe(proc)
    [line] = proc.stdout.splitlines()
    assert line.startswith('DNS01 OK - 2 certificates, next expiry mon-'), line
    assert '| certificates=2 unreadable=0 min_days_left=' in line, line

    proc, _ = check(env, '--warning', '4000d')
    assert proc.returncode == 1, describe(proc)
    assert proc.stdout.startswith('DNS01 WARNING - 2 of 2 certificates expire within 4000 d: '), proc.stdout

    proc, result = check(env, '--warning', '5000d', '--critical', '4000d', json_output=True)
    assert proc.returncode == 2, describe(proc)
    assert result['check']['status'] == 'CRITICAL' and result['check']['exit_code'] == 2, result
    assert result['ok'] is False
    assert {c['cert_name']: c['check_state'] for c in result['certificates']} == {
        'mon-a.example.test': 'CRITICAL', 'mon-b.example.test': 'CRITICAL'}

    # --cert-name narrows the check to one lineage
    proc, _ = check(env, '--cert-name', 'mon-b.example.test')
    assert proc.returncode == 0 and '1 certificate, next expiry mon-b.example.test' in proc.stdout, \
        describe(proc)

    # An unreadable certificate is UNKNOWN, named with the reason
    target = os.path.realpath(env.live('mon-b.example.test'))
    with open(target, 'w', encoding='ascii') as f:
        f.write('-----BEGIN CERTIFICATE-----\ntruncated\n')
    proc, result = check(env, json_output=True)
    assert proc.returncode == 3, describe(proc)
    assert result['check']['status'] == 'UNKNOWN'
    assert 'mon-b.example.test' in result['check']['summary'], result
    assert [b['cert_name'] for b in result['broken']] == ['mon-b.example.test']
    # ... but a certificate known to be about to expire outranks it
    proc, _ = check(env, '--warning', '5000d', '--critical', '4000d')
    assert proc.returncode == 2, describe(proc)
    assert 'cannot be read: mon-b.example.test' in proc.stdout, proc.stdout


def test_check_failures_of_its_own_are_unknown(sb, issue_env):
    env = issue_env
    proc, _ = check(env)  # nothing issued into this storage
    assert proc.returncode == 3, describe(proc)
    assert proc.stdout.startswith('DNS01 UNKNOWN - no certificates in %s' % env.storage), proc.stdout
    for args, needle in ((['--warning', '21'], 'unit'),
                         (['--warning', '7d', '--critical', '21d'], 'shorter than --critical')):
        proc, _ = check(env, *args)
        assert proc.returncode == 3, describe(proc)
        assert proc.stdout.startswith('DNS01 UNKNOWN - ') and needle in proc.stdout, proc.stdout
    # a configuration that cannot be read is UNKNOWN too, not exit 3 by coincidence only
    with open(env.config, 'a', encoding='utf-8') as f:
        f.write('\n[acme]\nsever = "typo"\n')
    proc, _ = check(env)
    assert proc.returncode == 3 and proc.stdout.startswith('DNS01 UNKNOWN - '), describe(proc)
    # --warning without --check is a usage error, not a silent no-op
    proc, _ = env.run(['certificates', '--warning', '3d'])
    assert proc.returncode == EXIT['usage'], describe(proc)


def test_metrics_file_after_issue_and_certificates(sb, issue_env):
    env = issue_env
    textdir = os.path.join(env.dir, 'textfile')
    os.mkdir(textdir)
    prom = os.path.join(textdir, 'dns01.prom')
    issued(env, 'metrics.example.test', '--metrics-file', prom)

    mode = stat.S_IMODE(os.stat(prom).st_mode)
    assert mode == 0o644, oct(mode)
    assert os.listdir(textdir) == ['dns01.prom']  # no temporary file left beside it
    m = metric_families(prom)
    lineage = {'cert_name': 'metrics.example.test'}
    expiry = not_after(env, 'metrics.example.test').timestamp()
    assert m['dns01_certificate_not_after_timestamp_seconds'] == [(lineage, expiry)], m
    assert m['dns01_certificate_readable'] == [(lineage, 1.0)]
    assert m['dns01_last_result'] == [(lineage, 1.0)], m
    [(_, attempt)] = m['dns01_last_attempt_timestamp_seconds']
    assert m['dns01_last_success_timestamp_seconds'] == [(lineage, attempt)]
    phases = {labels['phase']: value for labels, value in m['dns01_last_phase_duration_seconds']}
    assert {'order', 'propagation', 'finalize'} <= set(phases), phases
    [(_, generated)] = m['dns01_metrics_generated_timestamp_seconds']
    assert generated >= attempt

    # `certificates` rewrites it from the storage (the environment variable works as the option)
    os.remove(prom)
    proc, _ = env.run(['certificates'], env={'DNS01_METRICS_FILE': prom})
    assert proc.returncode == 0, describe(proc)
    assert metric_families(prom)['dns01_last_result'] == [(lineage, 1.0)]


def failure_hook(env, name):
    """A hook that dumps its whole environment as JSON into <dir>/<name>.json."""
    out = os.path.join(env.dir, name + '.json')
    cmd = "/usr/bin/python3 -c 'import json, os, sys; json.dump(dict(os.environ), open(sys.argv[1], \"w\"))' " + out
    return cmd, out


def test_failed_issue_runs_the_failure_hook_and_records_the_failure(sb, issue_env):
    env = issue_env
    issued(env, 'fail-a.example.test')  # succeeds: the lineage exists
    bad = os.path.join(env.dir, 'bad.secret')
    bad_secret = 'QkFEQkFEQkFEQkFEQkFEQkFEQkFEQkFEQkFEQkFEQkE='
    with open(bad, 'w', encoding='ascii') as f:
        f.write(bad_secret + '\n')
    os.chmod(bad, 0o600)
    env.write_config(providers={'main': env.provider(['example.test'], secret_file=bad)})
    prom = os.path.join(env.dir, 'dns01.prom')
    hook, hook_out = failure_hook(env, 'failed')
    proc, result = env.issue(['fail-a.example.test'], '--force-renewal', '--metrics-file', prom,
                             '--failure-hook', hook)
    assert proc.returncode == EXIT['provider'], describe(proc)

    with open(hook_out, encoding='utf-8') as f:
        seen = json.load(f)
    assert seen['DNS01_COMMAND'] == 'issue'
    assert seen['DNS01_EXIT_CODE'] == str(EXIT['provider'])
    assert seen['DNS01_ERROR_CATEGORY'] == 'provider'
    assert 'BADSIG' in seen['DNS01_ERROR'], seen['DNS01_ERROR']
    assert seen['DNS01_FAILED_LINEAGES'] == 'fail-a.example.test', seen
    everything = json.dumps(seen)
    assert bad_secret not in everything and sb.tsig_secret not in everything
    assert not [k for k in seen if k.startswith('DNS01_') and k not in (
        'DNS01_COMMAND', 'DNS01_EXIT_CODE', 'DNS01_ERROR_CATEGORY', 'DNS01_ERROR',
        'DNS01_FAILED_LINEAGES')], sorted(seen)

    m = metric_families(prom)
    lineage = {'cert_name': 'fail-a.example.test'}
    assert m['dns01_last_result'] == [(lineage, 0.0)], m
    [(_, success)] = m['dns01_last_success_timestamp_seconds']
    [(_, attempt)] = m['dns01_last_attempt_timestamp_seconds']
    assert success < attempt  # the earlier success is kept
    assert m['dns01_certificate_readable'] == [(lineage, 1.0)]  # the old certificate still serves
    env.write_config()
    proc, _ = env.run(['cleanup', '--stale'])
    assert proc.returncode == 0, describe(proc)
    assert_clean(sb, challenge_names(['fail-a.example.test']), env)


def test_failure_hook_problems_never_change_the_exit_code(sb, issue_env):
    env = issue_env
    # success: the hook does not run
    hook, hook_out = failure_hook(env, 'not-run')
    issued(env, 'hook-ok.example.test', '--failure-hook', hook)
    assert not os.path.exists(hook_out)
    # a usage error with a failing hook: exit 2 stays, the hook's failure is a warning
    proc, _ = env.run(['issue', '-d', 'bad..name', '--failure-hook', 'exit 9'])
    assert proc.returncode == EXIT['usage'], describe(proc)
    assert "failure hook 'exit 9' exited with 9" in proc.stderr, proc.stderr
    # the variable works as the option does
    hook, hook_out = failure_hook(env, 'from-env')
    proc, _ = env.run(['issue', '-d', 'bad..name'], env={'DNS01_FAILURE_HOOK': hook})
    assert proc.returncode == EXIT['usage']
    with open(hook_out, encoding='utf-8') as f:
        seen = json.load(f)
    assert seen['DNS01_ERROR_CATEGORY'] == 'usage' and seen['DNS01_FAILED_LINEAGES'] == ''


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def scrape_node_exporter(textdir):
    """Starts node_exporter with only the textfile collector on loopback, returns one scrape of
    /metrics (waiting for the listener, not a fixed time), and stops it by PID."""
    port = free_port()
    proc = subprocess.Popen([NODE_EXPORTER, '--collector.disable-defaults', '--collector.textfile',
                             '--collector.textfile.directory=' + textdir, '--web.disable-exporter-metrics',
                             '--web.listen-address=127.0.0.1:%d' % port],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % port, timeout=5) as r:
                    return r.read().decode()
            except OSError:
                if proc.poll() is not None:
                    raise AssertionError('node_exporter exited: %s' % proc.stderr.read())
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_node_exporter_textfile_collector_serves_the_file(sb, issue_env):
    env = issue_env
    textdir = os.path.join(env.dir, 'node-exporter')
    os.mkdir(textdir)
    issued(env, 'scraped.example.test', '--metrics-file', os.path.join(textdir, 'dns01.prom'))
    text = scrape_node_exporter(textdir)
    families = {f.name: f for f in text_string_to_metric_families(text)}
    # node_exporter read it without complaint, and re-exports every dns01 sample
    [error] = families['node_textfile_scrape_error'].samples
    assert error.value == 0, text
    result = families['dns01_last_result'].samples
    assert [(s.labels, s.value) for s in result] == [({'cert_name': 'scraped.example.test'}, 1.0)]
    assert families['dns01_certificate_not_after_timestamp_seconds'].samples[0].value > time.time()


def test_alerting_rules_example_uses_the_metrics_dns01_writes(sb, issue_env):
    # promtool is not in Debian's small packages; this proves the file is a Prometheus rule file
    # in shape, and that every metric its expressions name is one dns01 writes.
    env = issue_env
    prom = os.path.join(env.dir, 'dns01.prom')
    issued(env, 'rules.example.test', '--metrics-file', prom)
    written = set(metric_families(prom))
    with open(os.path.join(SOURCE_DIR, 'examples', 'monitoring', 'dns01.rules.yml'), encoding='utf-8') as f:
        rules = yaml.safe_load(f)
    alerts = {}
    for group in rules['groups']:
        assert group['name'] and group['rules']
        for rule in group['rules']:
            assert set(rule) <= {'alert', 'expr', 'for', 'labels', 'annotations'}, rule
            alerts[rule['alert']] = rule['expr']
    assert {'DNS01CertificateExpiresSoon', 'DNS01RenewalFailed'} <= set(alerts), alerts
    for name, expr in alerts.items():
        used = set(re.findall(r'\bdns01_[a-z_]+', expr))
        assert used and used <= written, (name, used - written)


def test_renew_with_one_failing_certificate_names_it_to_the_hook_and_the_metrics(sb, issue_env):
    # renew reports per-certificate failures through its exit code, without an error of its own:
    # the hook still gets the category and exactly the certificate that failed.
    env = issue_env
    issued(env, 'renew-good.example.test')
    issued(env, 'renew-bad.other.test')
    bad = os.path.join(env.dir, 'bad.secret')
    with open(bad, 'w', encoding='ascii') as f:
        f.write('QkFEQkFEQkFEQkFEQkFEQkFEQkFEQkFEQkFEQkFEQkE=\n')
    os.chmod(bad, 0o600)
    env.write_config(providers={'main': env.provider(['example.test', 'internal.test']),
                                'broken': env.provider(['other.test'], secret_file=bad)})
    prom = os.path.join(env.dir, 'dns01.prom')
    hook, hook_out = failure_hook(env, 'renew')
    proc, result = env.run(['renew', '--force-renewal', '--metrics-file', prom, '--failure-hook', hook])
    assert proc.returncode == EXIT['provider'], describe(proc)
    with open(hook_out, encoding='utf-8') as f:
        seen = json.load(f)
    assert seen['DNS01_COMMAND'] == 'renew'
    assert seen['DNS01_EXIT_CODE'] == str(EXIT['provider'])
    assert seen['DNS01_ERROR_CATEGORY'] == 'provider', seen
    assert seen['DNS01_FAILED_LINEAGES'] == 'renew-bad.other.test', seen
    assert 'renew-bad.other.test' in seen['DNS01_ERROR'], seen['DNS01_ERROR']
    m = metric_families(prom)
    assert {labels['cert_name']: value for labels, value in m['dns01_last_result']} == {
        'renew-bad.other.test': 0.0, 'renew-good.example.test': 1.0}, m
    env.write_config()
    proc, _ = env.run(['cleanup', '--stale'])
    assert proc.returncode == 0, describe(proc)
    assert_clean(sb, challenge_names(['renew-good.example.test', 'renew-bad.other.test']), env)
