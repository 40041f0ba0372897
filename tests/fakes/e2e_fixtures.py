"""Makes the e2e fixtures (tests/e2e/conftest.py: sandbox, sandbox_factory, run_dns01, ...) and
the test helper folders importable from a conftest.py outside tests/e2e.

A conftest.py under tests/fakes or providers/ does:

    sys.path.insert(0, <repo>/tests/fakes)
    import e2e_fixtures
    e2e_fixtures.export(globals())

export() puts tests/fakes, tests/provider (conformance.py), tests/e2e (issue_support.py) and
tests/sandbox on sys.path, loads tests/e2e/conftest.py once under the module name
`dns01_e2e_conftest` (pytest itself imports it as `conftest`, and several conftest.py files
replace each other in sys.modules), and copies its public names (fixtures, hooks, Sandbox, ...)
into the caller's namespace, where pytest registers them.
"""

import importlib.util
import os
import sys

SOURCE_DIR = os.environ.get('DNS01_SOURCE_DIR') or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FOLDERS = [os.path.join(SOURCE_DIR, 'tests', d) for d in ('fakes', 'provider', 'e2e', 'sandbox')]
MODULE = 'dns01_e2e_conftest'


def _load():
    if MODULE in sys.modules:
        return sys.modules[MODULE]
    for folder in reversed(FOLDERS):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(
        MODULE, os.path.join(SOURCE_DIR, 'tests', 'e2e', 'conftest.py'))
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE] = module
    spec.loader.exec_module(module)
    return module


def export(namespace):
    module = _load()
    for name, value in vars(module).items():
        if not name.startswith('_') and name not in namespace:
            namespace[name] = value
