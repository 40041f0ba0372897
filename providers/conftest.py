"""pytest setup for every provider folder's tests (providers/<code>/tests/test_*.py).

Gives them the e2e fixtures of tests/e2e/conftest.py (sandbox, sandbox_factory, source_dir,
build_dir, dns01_bin, run_dns01) and puts the helper folders on sys.path, so a test module can
`import apifake` (tests/fakes), `import conformance` (tests/provider) and
`import issue_support` (tests/e2e). See docs/development.md, "Adding a provider: its tests and
fake". pytest runs these files with the e2e suite (tests/e2e/meson.build).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                'tests', 'fakes'))
import e2e_fixtures  # noqa: E402

e2e_fixtures.export(globals())
