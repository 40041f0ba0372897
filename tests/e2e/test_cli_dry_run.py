"""issue 18: `--dry-run` exercises every record write, the propagation check and the validation,
even when the CA still holds valid authorizations from an earlier run (pebble reuses them, like
Let's Encrypt): they are deactivated and the order placed again. A CA without a known staging
twin (the sandbox's pebble is a URL) gets a clear warning that a real certificate is issued."""

import base64
import os

from issue_support import SANDBOX_OPTIONS, IssueEnv, assert_clean, challenge_names, describe


def test_dry_run_redoes_reused_authorizations(sandbox_factory, tmp_path, dns01_bin, build_dir):
    # This pebble reuses every valid authorization (the shared issue sandbox reuses none).
    options = dict(SANDBOX_OPTIONS)
    options['pebble_env'] = dict(options.get('pebble_env') or {}, PEBBLE_AUTHZREUSE='100')
    sb = sandbox_factory(**options)
    provider_path = os.environ.get('DNS01_PROVIDER_PATH') or os.path.join(build_dir, 'providers')
    env = IssueEnv(sb, tmp_path, dns01_bin, provider_path)
    env.write_config()
    name = 'dry.example.test'
    domains = [name, '*.' + name]
    proc, first = env.issue(domains)
    assert proc.returncode == 0, describe(proc)

    proc, result = env.issue(domains, '--dry-run')
    assert proc.returncode == 0, describe(proc)
    assert result['status'] == 'dry_run' and result['dry_run'] is True, result
    assert result['reused_authorizations'] == 0, result
    assert result['deactivated_authorizations'] >= 1, result
    assert sorted(r['label'] for r in result['records']) == sorted(domains), result
    assert result['timings_ms']['propagation'] >= 0 and result['dns_queries'] > 0, result
    assert 'no staging twin' in proc.stderr and 'real certificate' in proc.stderr, describe(proc)

    # The provider's key is now wrong (BIND refuses every update at once): a dry run must fail
    # (it used to pass on the authorizations the CA still held), and so must `renew --dry-run`.
    wrong = os.path.join(env.dir, 'wrong.secret')
    with open(wrong, 'w', encoding='ascii') as f:
        f.write(base64.b64encode(b'not the key of the sandbox, 32 b').decode() + '\n')
    os.chmod(wrong, 0o600)
    env.write_config(providers={'main': env.provider(sb.zones, secret_file=wrong)})
    proc, result = env.issue(domains, '--dry-run')
    assert proc.returncode == 6, describe(proc)
    assert result['ok'] is False, result
    proc, result = env.run(['renew', '--dry-run', '--cert-name', name])
    assert proc.returncode == 6, describe(proc)
    assert [c['status'] for c in result['certificates']] == ['failed'], result
    # The records whose removal failed with the wrong key stay journaled; with the right key
    # the stale sweep removes them.
    env.write_config()
    proc, _ = env.run(['cleanup', '--stale'])
    assert proc.returncode == 0, describe(proc)
    assert_clean(sb, challenge_names(domains), env)
