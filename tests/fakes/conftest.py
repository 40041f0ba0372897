"""tests/fakes: the e2e fixtures (sandbox, run_dns01, ...) for the fake framework's self-test."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_fixtures  # noqa: E402

e2e_fixtures.export(globals())
