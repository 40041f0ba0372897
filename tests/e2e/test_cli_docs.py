"""docs/cli.md against `--help`: every option `--help` shows for every verb appears in that verb's
section of docs/cli.md, and every option the section's synopsis or option tables name exists
(a help text or a doc that lies is a bug). Needs no sandbox."""

import os
import re
import subprocess

import pytest

SOURCE_DIR = os.environ.get('DNS01_SOURCE_DIR') or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_DIR = os.environ.get('DNS01_BUILD_DIR') or os.path.join(SOURCE_DIR, 'build')
DNS01 = os.environ.get('DNS01_BIN') or os.path.join(BUILD_DIR, 'cli', 'dns01')
CLI_MD = os.path.join(SOURCE_DIR, 'docs', 'cli.md')

OPTION = re.compile(r'(?<![\w-])(--?[A-Za-z][\w-]*)')
HELP_ONLY = {'-h', '--help', '--version'}


def help_text(*verbs):
    proc = subprocess.run([DNS01, *verbs, '--help'], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def help_options(text):
    """Option names of a CLI11 help page: indented lines starting with '-' ('-d,--domain TEXT')."""
    names = set()
    for line in text.splitlines():
        m = re.match(r'^  (-[^\s]+)', line)
        if m:
            names.update(n for n in m.group(1).split(',') if n.startswith('-'))
    return names - HELP_ONLY


def help_subcommands(text):
    out, inside = [], False
    for line in text.splitlines():
        if line.startswith('Subcommands:'):
            inside = True
            continue
        if inside:
            m = re.match(r'^  ([a-z][\w-]*)\s', line)
            if m:
                out.append(m.group(1))
            elif line and not line.startswith(' '):
                inside = False
    return out


def sections():
    """'## dns01 <verb>' / '## Global options' -> section text."""
    text = open(CLI_MD, encoding='utf-8').read()
    parts = re.split(r'^## ', text, flags=re.M)
    out = {}
    for part in parts[1:]:
        title, _, body = part.partition('\n')
        m = re.match(r'dns01 ([a-z][\w-]*)', title)
        if m:
            out[m.group(1)] = body
        elif title.strip() == 'Global options':
            out[''] = body
    return out


def declared_options(body):
    """Options a section declares: its synopsis blocks and the first cells of its tables."""
    found = set()
    block = None  # lines of the fenced block being read, None outside one
    for line in body.splitlines():
        if line.startswith('```'):
            if block is None:
                block = [] if line.strip() == '```' else ['(not a synopsis)']
            else:
                if block[:1] != ['(not a synopsis)'] and any('dns01' in b for b in block):
                    found.update(OPTION.findall('\n'.join(line.split('#')[0] for line in block)))
                block = None
        elif block is not None:
            block.append(line)
        elif line.startswith('| `'):
            found.update(OPTION.findall(line.split('|')[1]))
    return found


def verbs():
    """(verb, sub-verb or None) for every command `dns01 --help` lists."""
    out = []
    for verb in help_subcommands(help_text()):
        subs = help_subcommands(help_text(verb))
        out.extend((verb, sub) for sub in subs) if subs else out.append((verb, None))
    return out


def test_every_verb_has_a_section():
    have = sections()
    missing = sorted({v for v, _ in verbs()} - set(have))
    assert not missing, 'docs/cli.md has no "## dns01 <verb>" section for: %s' % missing


def test_global_options_match():
    shown = help_options(help_text())
    doc = sections()['']
    documented = set(OPTION.findall(doc))
    assert shown <= documented, 'global options missing from docs/cli.md: %s' % sorted(shown - documented)
    declared = declared_options(doc) - HELP_ONLY
    assert declared <= shown, 'docs/cli.md lists global options --help does not have: %s' % sorted(declared - shown)


@pytest.mark.parametrize('verb,sub', verbs())
def test_verb_options_match(verb, sub):
    args = [verb] + ([sub] if sub else [])
    shown = help_options(help_text(*args))
    body = sections().get(verb, '')
    documented = set(OPTION.findall(body))
    missing = shown - documented
    assert not missing, 'dns01 %s --help shows %s, missing from its docs/cli.md section' % (
        ' '.join(args), sorted(missing))
    # The reverse, per verb: what the synopsis and the option tables name must exist (for
    # `config`, across its sub-verbs; global options may appear in every synopsis).
    if sub is None or sub == help_subcommands(help_text(verb))[-1]:
        accepted = help_options(help_text()) | HELP_ONLY
        for s in (help_subcommands(help_text(verb)) or [None]):
            accepted |= help_options(help_text(*([verb] + ([s] if s else []))))
        declared = declared_options(body)
        assert declared <= accepted, 'docs/cli.md "## dns01 %s" names options --help does not have: %s' % (
            verb, sorted(declared - accepted))


def test_the_check_can_fail(tmp_path):
    # The parsers above must see options at all, or every comparison would pass vacuously.
    assert '--domain' in help_options(help_text('issue'))
    assert '--dry-run' in declared_options(sections()['issue'])
