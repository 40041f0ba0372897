"""The provider conformance suite: one set of behaviours every dns01 provider must show, run
against the provider's fake (or, for rfc2136, against the sandbox's BIND) through the real
loader — dns01-provider-tool for single operations, `dns01 issue` for the end-to-end cases.
(certbot's BaseAuthenticatorTest idea; docs/development.md "Adding a provider: its tests and
fake" shows the layout.)

A provider plugs in from providers/<code>/tests/test_<code>_conformance.py:

    from conformance import Harness, ProviderConformance

    class CloudflareHarness(Harness):
        code = 'cloudflare'
        credential_keys = ('api_token',)
        credential_env = ('CLOUDFLARE_DNS_API_TOKEN', 'CF_API_TOKEN')
        capabilities = {'rate_limit', 'hold_reply'}
        def start(self, sb, workdir): ...   # start the fake(s), return the provider table

    class TestCloudflareConformance(ProviderConformance):
        harness_class = CloudflareHarness

Harness interface (subclass `Harness`; one instance per test, started and stopped around it):
  code             provider type (the table's `type`)
  zone             a sandbox zone (example.test, internal.test, other.test) the table serves;
                   also the domain of the `dns01 issue` cases (apex and wildcard)
  credential_keys  table keys of the credentials; with them (and their `<key>_file` twins)
                   removed, the error must name every one of them. Empty: that case is skipped.
  credential_env   vendor environment variables (provider.toml `env` aliases) that must not
                   reach dns01 from the test runner's environment; scrubbed from every run
  max_batch        the provider's Hints::max_batch (None: no limit); the batch case sends
                   max_batch + 1 records (25 when None) in one batch-add
  capabilities     set of: 'rate_limit' (inject_rate_limit), 'hold_reply' (hold_reply);
                   a missing one skips its case with the reason
  start(sb, workdir) -> dict  start the fake(s) for sandbox sb (files under workdir) and return
                   the [providers.<name>] table: type, zones, credentials, ca_bundle = fake.ca_pem
                   (kept as harness.table, `type` and `zones` filled in when absent; harness.sb
                   is the sandbox)
  stop()           stop what start() started (also after a failed test)
  env() -> dict    extra environment for dns01 / the tool (e.g. a credential given by env)
  settle(timeout)  return once every change the provider made reached BIND (a fake with a
                   delayed backend: backend.wait_applied); default: nothing to wait for
  txt_values(name) TXT values BIND's primary serves at name (default: a query to the primary)
  add_unrelated(name, value)  create a TXT value the provider did not make, the way a user
                   would (in the vendor's store and so in BIND); default: nsupdate to BIND
  remove_unrelated(name, value)  the reverse (cleanup)
  inject_rate_limit() -> apifake.Fault   make the provider's next write answer the vendor's
                   rate-limit reply (429 + Retry-After: 1, or Route 53's 400 Throttling)
  hold_reply() -> apifake.Fault   hold the reply of a request the provider makes while dns01
                   waits on it during `issue` (the second record's write, Route 53's GetChange);
                   when released it must not change any record (give the fault a status)
  max_batch_seen() -> int|None   most records one API request carried (None: not tracked)

FakeHarness (below) does the usual plumbing for a fake built on tests/fakes/apifake.py: a
BindBackend on the sandbox, the fake started in workdir, `ca_bundle` set to its CA, settle() and
txt_values() through the backend, and a failed test when the fake itself had an error.

Every test uses its own record names, so one sandbox (with pebble, authorization reuse off)
serves a whole class.
"""

import json
import os
import signal
import subprocess
import time

import pytest

from apifake import BindBackend
from issue_support import EXIT, IssueEnv, assert_clean, describe, render_toml
from sandbox import Sandbox

TOOL = os.path.join('tests', 'provider', 'dns01-provider-tool')
SIGNAL_GRACE = 15.0  # bound for "ends promptly" after SIGINT (the held reply is never answered)


class Harness:
    """Defaults for the harness interface (see the module docstring)."""

    code = None
    zone = 'example.test'
    credential_keys = ()
    credential_env = ()
    max_batch = None
    capabilities = frozenset()

    def __init__(self):
        self.sb = None

    def start(self, sb, workdir):
        raise NotImplementedError

    def stop(self):
        pass

    def env(self):
        return {}

    def settle(self, timeout=30.0):
        pass

    def txt_values(self, name):
        return self.sb.query_txt('primary', name.rstrip('.') + '.')

    def add_unrelated(self, name, value):
        self.sb.nsupdate(['update add %s. 300 TXT "%s"' % (name.rstrip('.'), value)])

    def remove_unrelated(self, name, value):
        self.sb.nsupdate(['update delete %s. TXT "%s"' % (name.rstrip('.'), value)])

    def without_credentials(self, table):
        return {k: v for k, v in table.items() if k not in self.credential_keys
                and not (k.endswith('_file') and k[:-5] in self.credential_keys)}

    def inject_rate_limit(self):
        raise NotImplementedError

    def hold_reply(self):
        raise NotImplementedError

    def max_batch_seen(self):
        return None


class FakeHarness(Harness):
    """A Harness for a provider tested against an apifake fake with a BindBackend.

    Subclasses implement make_fake(backend, workdir) -> ApiFake (not started) and
    table(fake) -> the provider table (credentials, base URL; `ca_bundle` is added here), and
    may set backend_delay (seconds between the API's answer and BIND serving the change).
    stop() fails the test when the fake's handlers raised or a delayed change was lost.
    """

    backend_delay = 0.0

    def make_fake(self, backend, workdir):
        raise NotImplementedError

    def table(self, fake):
        raise NotImplementedError

    def start(self, sb, workdir):
        self.backend = BindBackend.from_sandbox(sb, delay=self.backend_delay)
        self.fake = self.make_fake(self.backend, workdir).start()
        table = dict(self.table(self.fake))
        table.setdefault('ca_bundle', self.fake.ca_pem)
        return table

    def stop(self):
        fake = getattr(self, 'fake', None)
        if fake is None:
            return
        fake.stop()
        self.backend.wait_applied(timeout=30)
        fake.assert_no_errors()
        assert self.backend.errors == [], 'DNS changes lost: %r' % self.backend.errors

    def settle(self, timeout=30.0):
        self.backend.wait_applied(timeout)

    def txt_values(self, name):
        return self.backend.txt_values(name)


class ProviderConformance:
    """The cases. Subclasses set `harness_class`; pytest collects them as Test* classes."""

    harness_class = None
    provider_name = 'conf'

    # --- fixtures ---------------------------------------------------------------------------

    @pytest.fixture(scope='class')
    def csb(self, tmp_path_factory):
        """One sandbox per class; pebble never reuses an authorization (every issue presents)."""
        if os.geteuid() != 0:
            pytest.skip('the sandbox needs root: it adds 127.A.B.x addresses to lo and runs named')
        box = Sandbox(str(tmp_path_factory.mktemp('conformance-sandbox')),
                      pebble_env={'PEBBLE_AUTHZREUSE': '0'})
        box.start()
        yield box
        box.stop()

    @pytest.fixture
    def harness(self, csb, tmp_path):
        h = self.harness_class()
        h.sb = csb
        workdir = tmp_path / 'harness'
        workdir.mkdir()
        table = dict(h.start(csb, str(workdir)))
        table.setdefault('type', h.code)
        table.setdefault('zones', [h.zone])
        h.table = table
        try:
            yield h
        finally:
            h.stop()

    @pytest.fixture
    def tool(self, harness, build_dir, tmp_path):
        """run(action, *name_value, table=None, verbose=False) -> (CompletedProcess, the
        tool's --json object or None) drives [providers.conf] (harness.table unless `table`)
        through dns01-provider-tool, one process per call."""
        path = os.path.join(build_dir, TOOL)
        if not os.path.exists(path):
            pytest.fail('%s is not built (ninja builds it with the provider suite)' % path)
        counter = [0]

        def run(action, *records, table=None, verbose=False):
            counter[0] += 1
            config = tmp_path / ('tool-%d.toml' % counter[0])
            config.write_text(render_toml({'providers.%s' % self.provider_name:
                                           harness.table if table is None else table}))
            os.chmod(config, 0o600)
            argv = [path, '--config', str(config), '--provider', self.provider_name, '--json']
            argv += (['-v'] if verbose else []) + [action] + list(records)
            proc = subprocess.run(argv, env=self._environ(harness, build_dir),
                                  capture_output=True, text=True, timeout=120)
            try:
                result = json.loads(proc.stdout)
            except ValueError:
                result = None
            return proc, result
        return run

    def _environ(self, harness, build_dir):
        drop = set(harness.credential_env) | {'DNS01_CONFIG', 'SSL_CERT_FILE', 'SSL_CERT_DIR',
                                              'CURL_CA_BUNDLE'}
        env = {k: v for k, v in os.environ.items() if k not in drop
               and not k.startswith('DNS01_PROVIDERS_')}
        env.setdefault('DNS01_PROVIDER_PATH', os.path.join(build_dir, 'providers'))
        env.update(harness.env())
        return env

    @staticmethod
    def ok(run):
        proc, result = run
        assert proc.returncode == 0, describe(proc)
        assert result is not None and result.get('ok') is True, describe(proc)
        return proc

    @staticmethod
    def name(harness, label):
        return '_acme-challenge.%s.%s' % (label, harness.zone)

    def served(self, harness, name):
        harness.settle()
        return sorted(harness.txt_values(name))

    # --- single operations through the loader -----------------------------------------------

    def test_missing_credentials_name_the_keys(self, harness, tool):
        if not harness.credential_keys:
            pytest.skip('%s declares no credential keys' % harness.code)
        table = harness.without_credentials(harness.table)
        proc, result = tool('add', self.name(harness, 'nocreds'), 'v', table=table)
        assert proc.returncode == EXIT['config'], describe(proc)
        message = result['error']['message'] + ' ' + result['error'].get('hint', '')
        for key in harness.credential_keys:
            assert key in message, 'the error does not name %s: %s' % (key, message)
        assert self.served(harness, self.name(harness, 'nocreds')) == []

    def test_two_values_at_one_name_are_both_served(self, harness, tool):
        name = self.name(harness, 'two')
        self.ok(tool('add', name, 'apex-token'))
        self.ok(tool('add', name, 'wildcard-token'))
        assert self.served(harness, name) == ['apex-token', 'wildcard-token']
        self.ok(tool('remove', name, 'apex-token'))
        self.ok(tool('remove', name, 'wildcard-token'))
        assert self.served(harness, name) == []

    def test_removing_one_value_keeps_the_other(self, harness, tool):
        name = self.name(harness, 'keep')
        self.ok(tool('add', name, 'stays'))
        self.ok(tool('add', name, 'goes'))
        self.ok(tool('remove', name, 'goes'))
        assert self.served(harness, name) == ['stays']
        self.ok(tool('remove', name, 'stays'))
        assert self.served(harness, name) == []

    def test_removing_an_absent_value_succeeds(self, harness, tool):
        empty = self.name(harness, 'absent')
        self.ok(tool('remove', empty, 'never-added'))
        assert self.served(harness, empty) == []
        name = self.name(harness, 'absent2')
        self.ok(tool('add', name, 'present'))
        self.ok(tool('remove', name, 'never-added'))  # another value at the name: untouched
        assert self.served(harness, name) == ['present']
        self.ok(tool('remove', name, 'present'))
        self.ok(tool('remove', name, 'present'))  # twice: the second finds nothing, succeeds
        assert self.served(harness, name) == []

    def test_a_second_process_removes_what_the_first_added(self, harness, tool, tmp_path):
        # add() and remove() run in different processes (hook modes, cleanup --stale): the
        # provider must find the record again from (name, value), with a fresh config file.
        name = self.name(harness, 'otherproc')
        self.ok(tool('batch-add', name, 'first-process', self.name(harness, 'otherproc2'), 'x'))
        assert self.served(harness, name) == ['first-process']
        fresh = dict(harness.table)
        self.ok(tool('remove', name, 'first-process', table=fresh))
        self.ok(tool('remove', self.name(harness, 'otherproc2'), 'x', table=fresh))
        assert self.served(harness, name) == []
        assert self.served(harness, self.name(harness, 'otherproc2')) == []

    def test_an_unrelated_txt_value_survives(self, harness, tool):
        name = self.name(harness, 'unrelated')
        harness.add_unrelated(name, 'user-owned')
        try:
            self.ok(tool('add', name, 'challenge'))
            assert self.served(harness, name) == ['challenge', 'user-owned']
            self.ok(tool('remove', name, 'challenge'))
            assert self.served(harness, name) == ['user-owned']
            self.ok(tool('batch-add', name, 'b1', self.name(harness, 'unrelated2'), 'b2'))
            self.ok(tool('batch-remove', name, 'b1', self.name(harness, 'unrelated2'), 'b2'))
            assert self.served(harness, name) == ['user-owned']
        finally:
            harness.remove_unrelated(name, 'user-owned')

    def test_a_batch_larger_than_max_batch(self, harness, tool):
        n = harness.max_batch + 1 if harness.max_batch else 25
        records = []
        for i in range(n):
            records += [self.name(harness, 'batch%d' % i), 'batch-value-%03d' % i]
        proc = self.ok(tool('batch-add', *records))
        assert 'batch-add: %d record(s) done' % n in proc.stderr
        try:
            for i in range(n):
                assert self.served(harness, records[2 * i]) == [records[2 * i + 1]], records[2 * i]
            seen = harness.max_batch_seen()
            if harness.max_batch and seen is not None:
                assert seen <= harness.max_batch, 'one request carried %d records' % seen
        finally:
            self.ok(tool('batch-remove', *records))
        for i in range(n):
            assert self.served(harness, records[2 * i]) == [], records[2 * i]

    def test_a_rate_limit_is_waited_out(self, harness, tool):
        if 'rate_limit' not in harness.capabilities:
            pytest.skip('%s: no rate-limit injection (capability rate_limit)' % harness.code)
        name = self.name(harness, 'ratelimit')
        fault = harness.inject_rate_limit()
        self.ok(tool('add', name, 'after-429'))
        assert fault.hits >= 1, 'the injected rate limit was never hit'
        assert self.served(harness, name) == ['after-429']
        self.ok(tool('remove', name, 'after-429'))
        assert self.served(harness, name) == []

    # --- dns01 issue against pebble ---------------------------------------------------------

    def _issue_env(self, harness, csb, tmp_path, dns01_bin, build_dir):
        provider_path = os.environ.get('DNS01_PROVIDER_PATH') or os.path.join(build_dir,
                                                                              'providers')
        (tmp_path / 'issue').mkdir()
        env = _HarnessIssueEnv(csb, tmp_path / 'issue', dns01_bin, provider_path)
        env.harness = harness
        env.write_config(providers={self.provider_name: harness.table})
        return env

    def test_sigint_during_a_provider_wait_ends_promptly_and_cleans(
            self, harness, csb, tmp_path, dns01_bin, build_dir):
        if 'hold_reply' not in harness.capabilities:
            pytest.skip('%s: cannot hold a reply during issue (capability hold_reply)'
                        % harness.code)
        env = self._issue_env(harness, csb, tmp_path, dns01_bin, build_dir)
        fault = harness.hold_reply()
        proc = env.start(['issue', '-d', harness.zone, '-d', '*.' + harness.zone])
        try:
            fault.wait_hit(timeout=60)
            signalled = time.monotonic()
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=SIGNAL_GRACE + 30)
            took = time.monotonic() - signalled
        finally:
            fault.release()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == EXIT['interrupted'], 'exit %d\n%s\n%s' % (
            proc.returncode, err, out)
        assert took < SIGNAL_GRACE, 'dns01 took %.1f s to end after SIGINT' % took
        harness.settle()
        assert_clean(csb, ['_acme-challenge.' + harness.zone], env)

    def test_issue_apex_and_wildcard_end_to_end(self, harness, csb, tmp_path, dns01_bin,
                                                build_dir):
        env = self._issue_env(harness, csb, tmp_path, dns01_bin, build_dir)
        proc, _ = env.issue([harness.zone, '*.' + harness.zone], timeout=240)
        assert proc.returncode == 0, describe(proc)
        assert os.path.exists(env.live(harness.zone)), describe(proc)
        harness.settle()
        assert_clean(csb, ['_acme-challenge.' + harness.zone], env)



class _HarnessIssueEnv(IssueEnv):
    """IssueEnv whose runs get the harness's environment, without the runner's vendor variables
    (a credential from the test runner's environment must not make a case pass)."""

    harness = None

    def environ(self, extra=None):
        env = super().environ(extra)
        for k in self.harness.credential_env:
            env.pop(k, None)
        env.update(self.harness.env())
        return env
