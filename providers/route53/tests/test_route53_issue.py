"""`dns01 issue` through route53 against pebble: ten names across two hosted zones, with Route 53
reporting INSYNC only after 2 s (and BIND serving the change only then). One change batch per
zone to add and one to remove, and one INSYNC wait for both zones together."""

import os

from apifake import BindBackend
from fake_route53 import Route53Fake
from issue_support import IssueEnv, assert_clean, describe, issue_env, sb  # noqa: F401
from route53_harness import AKID, SECRET, write_secret

INSYNC_AFTER = 2.0


def test_ten_names_two_zones_one_batch_per_zone(sb, tmp_path, dns01_bin, build_dir):  # noqa: F811
    fake = Route53Fake(BindBackend.from_sandbox(sb), str(tmp_path / 'fake'),
                       insync_after=INSYNC_AFTER)
    zone_ids = {fake.add_zone('example.test'): 'example.test',
                fake.add_zone('other.test'): 'other.test'}
    fake.add_key(AKID, SECRET)
    fake.start()
    try:
        provider_path = os.environ.get('DNS01_PROVIDER_PATH') or os.path.join(build_dir,
                                                                              'providers')
        (tmp_path / 'issue').mkdir()
        env = IssueEnv(sb, tmp_path / 'issue', dns01_bin, provider_path)
        env.write_config(providers={'aws': {
            'type': 'route53', 'zones': ['example.test', 'other.test'],
            'access_key_id': AKID,
            'secret_access_key_file': write_secret(str(tmp_path / 'secret'), SECRET),
            'endpoint': fake.url, 'ca_bundle': fake.ca_pem}})
        domains = ['example.test', '*.example.test', 'a.example.test', 'b.example.test',
                   'c.example.test', 'other.test', '*.other.test', 'x.other.test',
                   'y.other.test', 'z.other.test']
        proc, _ = env.issue(domains, timeout=240, env={'AWS_EC2_METADATA_DISABLED': 'true'})
        assert proc.returncode == 0, describe(proc)
        assert os.path.exists(env.live('example.test')), describe(proc)
        # one batch per zone to add, one per zone to remove
        per_zone = {}
        for zid, _n in fake.batches:
            per_zone[zone_ids[zid]] = per_zone.get(zone_ids[zid], 0) + 1
        assert per_zone == {'example.test': 2, 'other.test': 2}, fake.batches
        # one wait for both zones: polls spaced 0.5 s over ~2 s, not a wait per name
        assert 2 <= fake.polls <= 2 * (INSYNC_AFTER / 0.5 + 3), fake.polls
        fake.backend.wait_applied()
        assert_clean(sb, ['_acme-challenge.' + d.lstrip('*.') for d in domains], env)
    finally:
        fake.stop()
    fake.assert_no_errors()
