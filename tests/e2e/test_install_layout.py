"""What `meson install` puts on a machine (issue 20): one self-contained binary, the provider
modules, man pages, completions and units, and for provider authors only the ABI header, the kit
and the pkg-config file; and the build-tree module directory searched only by a binary running
from the build tree. scripts/package-check checks the same on the installed Debian package."""
import json
import os
import shutil
import subprocess

import pytest


def providers_json(binary, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k != 'DNS01_PROVIDER_PATH'}
    env.update(env_extra or {})
    out = subprocess.run([binary, '--json', 'providers'], capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_build_tree_modules_only_for_a_binary_in_the_build_tree(dns01_bin, build_dir, tmp_path):
    build_modules = os.path.join(os.path.abspath(build_dir), 'providers')
    in_tree = providers_json(dns01_bin)
    assert in_tree['search_path'][-1] == build_modules
    assert 'rfc2136' in [p['code'] for p in in_tree['providers']]

    # The same binary copied elsewhere is an "installed" one: it must not look into the build.
    copy = tmp_path / 'dns01'
    shutil.copy2(dns01_bin, copy)
    outside = providers_json(str(copy))
    assert build_modules not in outside['search_path']
    assert len(outside['search_path']) == 1, outside['search_path']
    assert all(p['module'].startswith(outside['search_path'][0]) for p in outside['providers'])

    # DNS01_PROVIDER_PATH still overrides, for installed binaries too.
    chosen = providers_json(str(copy), {'DNS01_PROVIDER_PATH': build_modules})
    assert chosen['search_path'][0] == build_modules
    assert 'rfc2136' in [p['code'] for p in chosen['providers']]


@pytest.fixture(scope='module')
def installed(build_dir, tmp_path_factory):
    destdir = tmp_path_factory.mktemp('destdir')
    out = subprocess.run(['meson', 'install', '-C', build_dir, '--no-rebuild', '--quiet',
                          '--destdir', str(destdir)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    prefix = json.loads(subprocess.run(['meson', 'introspect', build_dir, '--buildoptions'],
                                       capture_output=True, text=True, check=True).stdout)
    options = {o['name']: o['value'] for o in prefix}
    files = []
    for root, _, names in os.walk(destdir):
        files += [os.path.relpath(os.path.join(root, n), destdir) for n in names]
    return destdir, options, sorted(files)


def test_install_holds_no_internal_library_or_header(installed):
    destdir, options, files = installed
    prefix = options['prefix'].lstrip('/')
    assert not [f for f in files if '/libdns01' in f and '.so' in f], files
    headers = [f for f in files if f.startswith(os.path.join(prefix, options['includedir']))]
    rel = sorted(os.path.relpath(h, os.path.join(prefix, options['includedir'])) for h in headers)
    assert 'dns01/provider.hpp' in rel
    assert [h for h in rel if h != 'dns01/provider.hpp' and not h.startswith('dns01/kit/')] == []
    assert any(f.endswith('pkgconfig/dns01-provider.pc') for f in files)
    assert any(f.endswith('libdns01-provider-kit.a') for f in files)


def test_install_brings_man_pages_completions_units_and_example_config(installed):
    destdir, options, files = installed
    prefix = options['prefix'].lstrip('/')
    man1 = os.path.join(prefix, options['mandir'], 'man1')
    assert os.path.join(man1, 'dns01.1') in files
    assert os.path.join(man1, 'dns01-issue.1') in files
    assert os.path.join(prefix, options['datadir'], 'bash-completion/completions/dns01') in files
    assert os.path.join(prefix, options['datadir'], 'zsh/vendor-completions/_dns01') in files
    service = [f for f in files if f.endswith('systemd/system/dns01.service')]
    assert len(service) == 1 and any(f.endswith('systemd/system/dns01.timer') for f in files)
    text = open(os.path.join(destdir, service[0]), encoding='utf-8').read()
    assert 'ExecStart=%s/%s/dns01 ' % (options['prefix'], options['bindir']) in text
    assert any(f.endswith('dns01/dns01.toml') for f in files)
    assert any(f.endswith('tmpfiles.d/dns01.conf') for f in files)


def test_installed_binary_runs_alone_and_loads_its_modules(installed):
    destdir, options, files = installed
    binary = os.path.join(destdir, options['prefix'].lstrip('/'), options['bindir'], 'dns01')
    # No libdns01*.so to find: the binary must start without LD_LIBRARY_PATH or ldconfig.
    ldd = subprocess.run(['ldd', binary], capture_output=True, text=True, check=True).stdout
    assert 'not found' not in ldd and 'libdns01' not in ldd, ldd
    modules = [os.path.dirname(os.path.join(destdir, f)) for f in files
               if f.endswith('provider-rfc2136.so')]
    assert len(modules) == 1, files
    out = subprocess.run([binary, 'providers', '--check'], capture_output=True, text=True,
                         env={'PATH': '/usr/bin:/bin', 'DNS01_PROVIDER_PATH': modules[0]},
                         timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert 'rfc2136' in out.stdout
