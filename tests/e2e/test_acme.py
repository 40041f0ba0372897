"""The ACME client library (core/acme) against the real pebble of the sandbox.

pebble keeps its default nonce rejection (~5 % badNonce): every test exercises the retry path.
One sandbox serves the module (alternate roots, 3-certificate chains, an optional EAB key,
no authorization reuse so every order really solves dns-01 through BIND).
"""

import os
import subprocess

import pytest

from fakes.acme_driver import run_driver
from conftest import Sandbox

EAB_KID = 'kid-acme-e2e'
EAB_KEY = 'zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W'
KEY_TYPES = ['ec256', 'ec384', 'rsa2048', 'rsa3072', 'rsa4096']
NAMES = ['--name', 'example.test', '--name', '*.example.test']


@pytest.fixture(scope='module')
def sb(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip('the sandbox needs root')
    box = Sandbox(str(tmp_path_factory.mktemp('acme-sandbox')),
                  pebble_env={'PEBBLE_ALTERNATE_ROOTS': '2', 'PEBBLE_CHAIN_LENGTH': '3',
                              'PEBBLE_AUTHZREUSE': '0'},
                  eab_keys={EAB_KID: EAB_KEY})
    try:
        box.start()
        yield box
    finally:
        box.stop()


def driver(sb, command, workdir, *args, **kw):
    return run_driver(command, sb.acme_directory, workdir, *args, ca_bundle=sb.ca_bundle, **kw)


def issue(sb, workdir, *extra, cert_key='cert.key', out='chain.pem', **kw):
    return driver(sb, 'issue', workdir, '--agree-tos', *NAMES,
                  '--cert-key', os.path.join(str(workdir), cert_key),
                  '--out', os.path.join(str(workdir), out),
                  '--dns-server', sb.primary_ip, '--dns-port', sb.dns_port,
                  '--tsig-key-file', sb.tsig_key_file, *extra, **kw)


@pytest.mark.parametrize('key_type', KEY_TYPES)
def test_issue_apex_and_wildcard_for_every_key_type(sb, tmp_path, key_type):
    # The account key uses the same type: ES256, ES384 and RS256 JWS all get exercised.
    r = issue(sb, tmp_path, '--key-type', key_type, '--cert-key-type', key_type)
    assert r.rc == 0, r
    assert r.json['status'] == 'valid'
    assert sorted(r.json['san']) == ['*.example.test', 'example.test']
    assert r.json['key_type'] == key_type
    assert r.json['cleanup_errors'] == []
    chain = tmp_path / 'chain.pem'
    # PEBBLE_CHAIN_LENGTH=3: leaf + intermediates as pebble serves them, all in the saved file
    assert chain.read_text().count('BEGIN CERTIFICATE') == len(r.json['selected']['issuer_cns']) >= 3
    leaf_pub = subprocess.run(['openssl', 'x509', '-in', str(chain), '-noout', '-pubkey'],
                              capture_output=True, text=True, check=True).stdout
    key_pub = subprocess.run(['openssl', 'pkey', '-in', str(tmp_path / 'cert.key'), '-pubout'],
                             capture_output=True, text=True, check=True).stdout
    assert leaf_pub == key_pub
    assert oct((tmp_path / 'cert.key').stat().st_mode & 0o777) == '0o600'
    # cleanup ran: the primary no longer serves the challenge values
    assert sb.query_txt('primary', '_acme-challenge.example.test.') == []


def test_existing_keys_are_reused(sb, tmp_path):
    r1 = issue(sb, tmp_path, out='a.pem')
    assert r1.rc == 0, r1
    key_before = (tmp_path / 'cert.key').read_text()
    r2 = issue(sb, tmp_path, out='b.pem')
    assert r2.rc == 0, r2
    assert (tmp_path / 'cert.key').read_text() == key_before
    assert r1.json['order'] != r2.json['order']


def test_account_lifecycle_and_key_rollover(sb, tmp_path):
    r = driver(sb, 'account-new', tmp_path, '--agree-tos', '--contact', 'mailto:a@example.test')
    assert r.rc == 0, r
    url = r.json['url']
    assert r.json['status'] == 'valid'
    assert r.json['contact'] == ['mailto:a@example.test']

    r = driver(sb, 'account-find', tmp_path)
    assert r.rc == 0 and r.json['url'] == url, r

    r = driver(sb, 'account-update', tmp_path, '--contact', 'mailto:b@example.test',
               '--contact', 'mailto:c@example.test')
    assert r.rc == 0, r
    assert r.json['contact'] == ['mailto:b@example.test', 'mailto:c@example.test']

    r = driver(sb, 'account-rollover', tmp_path, '--new-key', tmp_path / 'new.key',
               '--new-key-type', 'ec384')
    assert r.rc == 0, r
    assert r.json['url'] == url and r.json['old_url'] == url

    # the old key no longer finds the account; the new one does
    r = driver(sb, 'account-find', tmp_path)
    assert r.rc == 5, r
    assert r.error['type'].endswith('accountDoesNotExist')
    r = driver(sb, 'account-find', tmp_path, account_key='new.key')
    assert r.rc == 0 and r.json['url'] == url, r

    r = driver(sb, 'account-deactivate', tmp_path, account_key='new.key')
    assert r.rc == 0 and r.json['status'] == 'deactivated', r
    r = driver(sb, 'account-find', tmp_path, account_key='new.key')
    assert r.rc == 5, r
    assert r.error['category'] == 'acme'


def test_unknown_account_is_a_clear_error(sb, tmp_path):
    r = driver(sb, 'account-find', tmp_path)
    assert r.rc == 5, r
    assert r.error['type'] == 'urn:ietf:params:acme:error:accountDoesNotExist'
    assert 'find account' in r.error['message']


def test_terms_of_service_must_be_agreed(sb, tmp_path):
    r = driver(sb, 'account-new', tmp_path)
    assert r.rc == 2, r
    assert 'terms of service' in r.error['message']


def test_external_account_binding(sb, tmp_path):
    for alg in ('HS256',):
        r = driver(sb, 'account-new', tmp_path, '--agree-tos', '--eab-kid', EAB_KID, '--eab-key', EAB_KEY,
                   '--eab-alg', alg)
        assert r.rc == 0, r
        assert r.json['status'] == 'valid'
    # a wrong MAC key is refused by the CA with a problem document
    wrong = EAB_KEY[:-4] + 'AAAA'
    r = driver(sb, 'account-new', tmp_path, '--agree-tos', '--eab-kid', EAB_KID, '--eab-key', wrong,
               account_key='other.key')
    assert r.rc == 5, r
    assert EAB_KEY not in r.stderr and wrong not in r.stderr
    r = driver(sb, 'account-new', tmp_path, '--agree-tos', '--eab-kid', 'unknown-kid', '--eab-key', EAB_KEY,
               account_key='third.key')
    assert r.rc == 5, r


def test_eab_required_by_the_directory(sandbox_factory, tmp_path):
    box = sandbox_factory(eab_keys={EAB_KID: EAB_KEY}, eab_required=True)
    r = run_driver('account-new', box.acme_directory, tmp_path, '--agree-tos', ca_bundle=box.ca_bundle)
    assert r.rc == 2, r
    assert 'external account binding' in r.error['message']
    r = run_driver('account-new', box.acme_directory, tmp_path, '--agree-tos', '--eab-kid', EAB_KID,
                   '--eab-key', EAB_KEY, ca_bundle=box.ca_bundle)
    assert r.rc == 0, r


@pytest.mark.parametrize('by_cert_key', [False, True], ids=['account-key', 'certificate-key'])
def test_revocation(sb, tmp_path, by_cert_key):
    r = issue(sb, tmp_path)
    assert r.rc == 0, r
    extra = ['--cert-key', tmp_path / 'cert.key'] if by_cert_key else []
    args = ['--cert', tmp_path / 'chain.pem', '--reason', '1' if by_cert_key else '4'] + extra
    r = driver(sb, 'revoke', tmp_path, *args)
    assert r.rc == 0, r
    assert r.json['by'] == ('certificate key' if by_cert_key else 'account key')
    r = driver(sb, 'revoke', tmp_path, *args)
    assert r.rc == 5, r
    assert r.error['type'].endswith('alreadyRevoked')


def test_revocation_by_another_account_is_refused(sb, tmp_path):
    r = issue(sb, tmp_path)
    assert r.rc == 0, r
    r = driver(sb, 'revoke', tmp_path, '--agree-tos', '--cert', tmp_path / 'chain.pem', account_key='stranger.key')
    assert r.rc == 5, r
    assert r.error['type'].endswith('unauthorized')


def test_alternate_chains_and_preferred_chain(sb, tmp_path):
    r = issue(sb, tmp_path, out='default.pem')
    assert r.rc == 0, r
    chains = r.json['chains']
    assert len(chains) == 3  # default + PEBBLE_ALTERNATE_ROOTS=2
    tops = [c['top_issuer_cn'] for c in chains]
    assert len(set(tops)) == 3
    assert r.json['selected']['top_issuer_cn'] == tops[0]
    wanted = tops[2]
    r = issue(sb, tmp_path, '--preferred-chain', wanted, out='preferred.pem')
    assert r.rc == 0, r
    assert r.json['selected']['top_issuer_cn'] == wanted
    assert r.json['selected']['url'] != r.json['chains'][0]['url']
    # an unknown preference falls back to the default chain
    r = issue(sb, tmp_path, '--preferred-chain', 'No Such Root', out='fallback.pem')
    assert r.rc == 0, r
    assert r.json['selected']['url'] == r.json['chains'][0]['url']


def test_failed_validation_names_the_identifier(sb, tmp_path):
    # The solver publishes wrong values: pebble's dns-01 check fails and the authorization becomes
    # invalid; the error carries the CA's problem and the identifier, and cleanup still ran.
    r = issue(sb, tmp_path, '--sabotage')
    assert r.rc == 5, r
    assert r.error['type'].endswith('unauthorized') or r.error['type'].endswith('incorrectResponse'), r
    assert 'example.test' in r.error['message']
    assert r.error['step'].startswith('validate ')
    assert sb.query_txt('primary', '_acme-challenge.example.test.') == []
