"""Helpers for the ACME e2e tests (not a fake: it lives here to stay with them): run
tests/tools/acme/dns01-acme-driver and parse its JSON."""

import json
import os
import subprocess

import pytest

from conftest import SOURCE_DIR

BUILD_DIR = os.environ.get('DNS01_BUILD_DIR') or os.path.join(SOURCE_DIR, 'build')
DRIVER = os.path.join(BUILD_DIR, 'tests', 'tools', 'acme', 'dns01-acme-driver')


class DriverResult:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.json = json.loads(proc.stdout) if proc.returncode == 0 and proc.stdout.strip() else None
        self.error = None
        for line in proc.stderr.splitlines():
            if line.startswith('{"error"'):
                self.error = json.loads(line)['error']

    def __repr__(self):
        return 'rc=%d stdout=%s stderr=%s' % (self.rc, self.stdout, self.stderr)


def run_driver(command, directory, workdir, *args, ca_bundle=None, account_key='account.key',
               timeout=120):
    if not os.path.exists(DRIVER):
        pytest.skip('dns01-acme-driver not built at %s' % DRIVER)
    argv = [DRIVER, command, '--directory', directory,
            '--account-key', os.path.join(str(workdir), account_key)]
    if ca_bundle:
        argv += ['--ca-bundle', ca_bundle]
    argv += [str(a) for a in args]
    env = {k: v for k, v in os.environ.items() if k not in ('CURL_CA_BUNDLE', 'SSL_CERT_FILE')}
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    assert 'Sanitizer' not in proc.stderr and proc.returncode >= 0, proc.stderr  # never a crash
    return DriverResult(proc)
