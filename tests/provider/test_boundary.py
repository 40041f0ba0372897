"""The provider boundary, checked on the tree and the build (suite 'provider').

- No source under providers/ that goes into a module (everything but providers/*/tests/)
  includes a dns01 header other than the ABI header (dns01/provider.hpp) and the kit's
  (dns01/kit/*.hpp).
- The out-of-tree example (examples/provider-example, the code docs/plugins.md shows) builds
  by hand against the build tree's uninstalled dns01-provider.pc, exports exactly the two ABI
  symbols and loads with `dns01 providers --check`.
"""
import os
import re
import shutil
import subprocess

import pytest

SOURCE = os.environ.get('DNS01_SOURCE_DIR') or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get('DNS01_BUILD_DIR') or os.path.join(SOURCE, 'build')
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"](dns01/[^>"]+)[>"]', re.M)


def provider_sources():
    # A provider's own tests may load it through the host's loader (that is what they test);
    # what goes into a module may not reach the host.
    for root, dirs, files in os.walk(os.path.join(SOURCE, 'providers')):
        dirs[:] = [d for d in dirs if d != 'tests']
        for name in files:
            if name.endswith(('.cpp', '.hpp', '.h', '.cc')):
                yield os.path.join(root, name)


def test_providers_include_only_the_abi_header_and_the_kit():
    leaks = []
    for path in provider_sources():
        for header in INCLUDE.findall(open(path, encoding='utf-8').read()):
            if header != 'dns01/provider.hpp' and not header.startswith('dns01/kit/'):
                leaks.append('%s: %s' % (os.path.relpath(path, SOURCE), header))
    assert not leaks, 'provider sources reaching into dns01 internals:\n' + '\n'.join(leaks)


def test_the_checker_would_notice_a_leak(tmp_path):
    # The pattern above must match the include forms a leak would use.
    text = '#include <dns01/raii.hpp>\n#  include "dns01/log.hpp"\n#include <dns01/kit/http.hpp>\n'
    assert INCLUDE.findall(text) == ['dns01/raii.hpp', 'dns01/log.hpp', 'dns01/kit/http.hpp']


def exported_symbols(module):
    out = subprocess.run(['nm', '-D', '--defined-only', module], check=True,
                         capture_output=True, text=True).stdout
    return sorted(line.split()[-1] for line in out.splitlines() if line.strip())


def test_out_of_tree_example_builds_against_the_kit_and_loads(tmp_path):
    pcdir = os.path.join(BUILD, 'meson-uninstalled')
    if not os.path.exists(os.path.join(pcdir, 'dns01-provider-uninstalled.pc')):
        pytest.fail('no uninstalled dns01-provider.pc in %s' % pcdir)
    env = dict(os.environ, PKG_CONFIG_PATH=pcdir)

    def pkg(*args):
        return subprocess.run(['pkg-config', *args, 'dns01-provider'], env=env, check=True,
                              capture_output=True, text=True).stdout.split()

    example = os.path.join(SOURCE, 'examples', 'provider-example')
    module = str(tmp_path / 'provider-example.so')
    script = os.path.join(SOURCE, 'providers', 'provider.map')
    subprocess.run(['c++', '-std=c++20', '-shared', '-fPIC', '-fvisibility=hidden',
                    '-Wall', '-Wextra', '-Werror', *pkg('--cflags'),
                    '-Wl,--version-script=' + script, '-o', module,
                    os.path.join(example, 'example_provider.cpp'), *pkg('--libs')],
                   check=True)
    assert exported_symbols(module) == ['dns01_provider_abi', 'dns01_provider_create']
    shutil.copy(os.path.join(example, 'provider.toml'), tmp_path / 'provider-example.toml')
    dns01 = os.environ.get('DNS01_BIN') or os.path.join(BUILD, 'cli', 'dns01')
    r = subprocess.run([dns01, 'providers', '--check', 'example'], capture_output=True, text=True,
                       env=dict(os.environ, DNS01_PROVIDER_PATH=str(tmp_path)))
    assert r.returncode == 0, r.stdout + r.stderr
    assert 'example' in r.stdout
