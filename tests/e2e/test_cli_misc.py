"""issue 18: the small CLI behaviours certbot/lego users rely on — unknown commands with a
suggestion, `help`, lego exec values starting with '-', `-q renew` silent when nothing happens,
syslog priority prefixes for journald."""

import base64
import hashlib
import os
import subprocess

from issue_support import describe, issue_env, sb  # noqa: F401


def run(dns01_bin, *args, env=None):
    return subprocess.run([dns01_bin, *args], capture_output=True, text=True, timeout=60,
                          env=env, stdin=subprocess.DEVNULL)


def test_unknown_command_names_it_and_suggests(dns01_bin):
    proc = run(dns01_bin, 'isue', '-d', 'example.test')
    assert proc.returncode == 2, describe(proc)
    assert "unknown command 'isue' (did you mean 'issue'?)" in proc.stderr, describe(proc)
    assert 'A subcommand is required' not in proc.stderr
    # Global options with a value before the verb are skipped, not taken for the verb.
    proc = run(dns01_bin, '--config', '/nonexistent.toml', 'renwe')
    assert proc.returncode == 2 and "unknown command 'renwe' (did you mean 'renew'?)" in proc.stderr, describe(proc)
    proc = run(dns01_bin, 'frobnicate')
    assert proc.returncode == 2 and "unknown command 'frobnicate'" in proc.stderr, describe(proc)
    assert 'did you mean' not in proc.stderr


def test_help_command(dns01_bin):
    proc = run(dns01_bin, 'help')
    assert proc.returncode == 0 and 'Subcommands:' in proc.stdout, describe(proc)
    proc = run(dns01_bin, 'help', 'issue')
    assert proc.returncode == 0 and '--force-renewal' in proc.stdout, describe(proc)


def test_lego_exec_value_starting_with_dash(sb, issue_env):
    # lego runs EXEC_PATH with argv [present, <fqdn.>, <value>] (no shell); one value in 64
    # starts with '-'. This is that argv, with such a value, then lego's cleanup.
    env = issue_env
    fqdn = '_acme-challenge.dash.example.test.'
    value = '-Abc_0123456789abcdefghijklmnopqrstuvwxyzAB'
    proc, _ = env.run(['present', fqdn, value], json_output=False)
    assert proc.returncode == 0, describe(proc)
    assert sb.query_txt('primary', fqdn) == [value]
    proc, _ = env.run(['cleanup', fqdn, value], json_output=False)
    assert proc.returncode == 0, describe(proc)
    assert sb.query_txt('primary', fqdn) == []
    # A value that looks like the short options dns01 has (-v, -q, -h) too.
    for tricky in ('-vq' + 'x' * 40, '-h' + 'y' * 41):
        proc, _ = env.run(['present', '--no-wait', fqdn, tricky], json_output=False)
        assert proc.returncode == 0, describe(proc)
        assert sb.query_txt('primary', fqdn) == [tricky]
        proc, _ = env.run(['cleanup', fqdn, tricky], json_output=False)
        assert proc.returncode == 0, describe(proc)
        assert sb.query_txt('primary', fqdn) == []
    # RAW mode (EXEC_MODE=RAW): lego puts `--` first; a token starting with '-' is fine too.
    token = '-tok3n_abc'
    key_auth = token + '.thumbprint-of-the-account-key'
    expected = base64.urlsafe_b64encode(hashlib.sha256(key_auth.encode()).digest()).decode().rstrip('=')
    proc, _ = env.run(['present', '--no-wait', '--', 'dash.example.test', token, key_auth], json_output=False)
    assert proc.returncode == 0, describe(proc)
    assert sb.query_txt('primary', fqdn) == [expected]
    proc, _ = env.run(['cleanup', '--', 'dash.example.test', token, key_auth], json_output=False)
    assert proc.returncode == 0, describe(proc)
    assert sb.query_txt('primary', fqdn) == []


def test_quiet_renew_prints_nothing_when_nothing_is_due(sb, issue_env):
    env = issue_env
    proc, _ = env.run(['renew'], json_output=False, quiet=True)  # no certificates at all
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout == '' and proc.stderr == '', describe(proc)
    proc, _ = env.issue(['quiet.example.test'])
    assert proc.returncode == 0, describe(proc)
    proc, _ = env.run(['renew'], json_output=False, quiet=True)  # one certificate, not due
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout == '' and proc.stderr == '', describe(proc)
    proc, _ = env.run(['renew'], json_output=False)  # without -q the line is still there
    assert proc.stdout.startswith('quiet.example.test: not due ('), describe(proc)
    proc, _ = env.run(['renew', '--force'], json_output=False, quiet=True)  # a change: reported
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout.startswith('quiet.example.test: renewed ('), describe(proc)


def test_syslog_priority_prefixes(issue_env):
    env = issue_env
    # Asked for: every stderr line carries its priority; errors are <3>.
    proc, _ = env.run(['--syslog-prefix', 'renew', '--cert-name', 'absent.example.test'],
                      json_output=False)
    assert proc.returncode == 8, describe(proc)
    lines = proc.stderr.splitlines()
    assert lines and all(line[:3] in ('<3>', '<4>', '<6>', '<7>') for line in lines), describe(proc)
    assert any(line.startswith('<3>dns01: error:') for line in lines), describe(proc)
    # Automatic when stderr is the journal stream ($JOURNAL_STREAM = stderr's device:inode).
    path = os.path.join(env.dir, 'journal.stream')
    with open(path, 'w') as err:
        st = os.fstat(err.fileno())
        extra = {'JOURNAL_STREAM': '%d:%d' % (st.st_dev, st.st_ino)}
        proc = subprocess.run(env.argv(['renew']), env=env.environ(extra), stdout=subprocess.PIPE,
                              stderr=err, text=True, timeout=60)
    assert proc.returncode == 0
    with open(path, encoding='utf-8') as f:
        text = f.read()
    assert text.startswith('<6>info renew:'), text
    # Not a journal (a pipe, another stream): no prefixes.
    proc, _ = env.run(['renew'], json_output=False, env={'JOURNAL_STREAM': '1:1'})
    assert proc.stderr and not proc.stderr.startswith('<'), describe(proc)



def test_config_show_has_agree_tos(issue_env, tmp_path):
    env = issue_env  # its config says agree_tos = true
    proc, shown = env.run(['config', 'show'])
    assert proc.returncode == 0, describe(proc)
    assert shown['config']['acme']['agree_tos'] is True, shown
    proc, _ = env.run(['config', 'show'], json_output=False)
    assert 'agree_tos = true' in proc.stdout, describe(proc)
