"""Shared pytest fixtures for the dns01 end-to-end tests (owned by the sandbox; others import).

Fixtures:
  sandbox          a started Sandbox (tests/sandbox/sandbox.py) in tmp_path, default options
  sandbox_factory  call with Sandbox kwargs to start more / differently configured ones
  source_dir       repository root (env DNS01_SOURCE_DIR, else derived from this file)
  build_dir        env DNS01_BUILD_DIR, else <repo>/build
  dns01_bin        env DNS01_BIN, else <build_dir>/cli/dns01
  run_dns01        callable(args, env=None, input=None, timeout=60, config=None) -> CompletedProcess

All sandboxes are stopped at teardown, also when the test fails or is interrupted. Tests that need
the sandbox are skipped with a clear reason when not run as root.
"""

import os
import signal
import subprocess
import sys

import pytest

SOURCE_DIR = os.environ.get('DNS01_SOURCE_DIR') or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SOURCE_DIR, 'tests', 'sandbox'))

from sandbox import NsupdateError, Sandbox, SandboxError  # noqa: E402

__all__ = ['NsupdateError', 'Sandbox', 'SandboxError', 'SOURCE_DIR']


def _on_sigterm(signum, _frame):
    # e.g. meson's test timeout: turn it into an interrupt so fixture finalizers stop sandboxes
    raise KeyboardInterrupt('signal %d' % signum)


def pytest_configure(config):
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)


def _need_root():
    if os.geteuid() != 0:
        pytest.skip('the sandbox needs root: it adds 127.A.B.x addresses to lo and runs named')


@pytest.fixture
def sandbox_factory(tmp_path):
    started = []

    def make(**kwargs):
        _need_root()
        workdir = tmp_path / ('sandbox%d' % len(started))
        workdir.mkdir()
        sb = Sandbox(str(workdir), **kwargs)
        started.append(sb)
        return sb.start()

    yield make
    for sb in reversed(started):
        sb.stop()


@pytest.fixture
def sandbox(sandbox_factory):
    return sandbox_factory()


@pytest.fixture(scope='session')
def source_dir():
    return SOURCE_DIR


@pytest.fixture(scope='session')
def build_dir():
    return os.environ.get('DNS01_BUILD_DIR') or os.path.join(SOURCE_DIR, 'build')


@pytest.fixture(scope='session')
def dns01_bin(build_dir):
    return os.environ.get('DNS01_BIN') or os.path.join(build_dir, 'cli', 'dns01')


@pytest.fixture
def run_dns01(dns01_bin, build_dir):
    """Runs the dns01 binary with DNS01_PROVIDER_PATH set (env entries override/add to the
    current environment). config: a path passed as `--config <path>` before args."""

    def run(args, env=None, input=None, timeout=60, config=None):
        full_env = dict(os.environ)
        full_env.setdefault('DNS01_PROVIDER_PATH', os.path.join(build_dir, 'providers'))
        full_env.update({k: str(v) for k, v in (env or {}).items()})
        argv = [dns01_bin]
        if config is not None:
            argv += ['--config', str(config)]
        argv += [str(a) for a in args]
        return subprocess.run(argv, env=full_env, input=input, timeout=timeout,
                              capture_output=True, text=True)

    return run
