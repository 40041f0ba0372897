"""What pebble alone sustains: orders per second with no DNS and a client that is not in the way.

pebble runs with PEBBLE_VA_ALWAYS_VALID=1 (every challenge is valid at once, no DNS lookup) and
PEBBLE_WFE_NONCEREJECT=0 (dns01 is not the client here, so the nonce-rejection rule for dns01 runs
does not apply, and certbot's acme library would crash on two rejections in a row). The client is
certbot's ACME library (python3-acme) with `workers` threads, each with its own connection, one
account; each order: newOrder, answer the dns-01 challenge of every authorization, poll every 10 ms
until valid, finalize, poll, download. The library's own polls sleep 1 s, so they are replaced by
10 ms polls here (the library's private _post/_post_as_get, stable in python3-acme 2.1).
"""

import concurrent.futures
import time

import josepy as jose
from acme import challenges, client as acme_client, crypto_util, messages
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
import OpenSSL

POLL = 0.01


def _client(sb, key, regr=None):
    net = acme_client.ClientNetwork(key, account=regr, alg=jose.ES256, user_agent='dns01-bench-pebble',
                                    verify_ssl=sb.ca_bundle)
    directory = acme_client.ClientV2.get_directory(sb.acme_directory, net)
    return acme_client.ClientV2(directory, net)


def _wait(cl, url, done, deadline):
    while time.monotonic() < deadline:
        body = cl._post_as_get(url).json()  # noqa: SLF001 - see the module comment
        if body.get('status') in done:
            return body
        time.sleep(POLL)
    raise TimeoutError('%s stayed %s' % (url, body.get('status')))


def _one_order(cl, key, domains):
    deadline = time.monotonic() + 60
    pkey = ec.generate_private_key(ec.SECP256R1())
    pem = pkey.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    orderr = cl.new_order(crypto_util.make_csr(pem, domains))
    for authzr in orderr.authorizations:
        for chall in authzr.body.challenges:
            if isinstance(chall.chall, challenges.DNS01):
                cl.answer_challenge(chall, chall.response(key))
        _wait(cl, authzr.uri, ('valid', 'invalid'), deadline)
    csr = OpenSSL.crypto.load_certificate_request(OpenSSL.crypto.FILETYPE_PEM, orderr.csr_pem)
    cl._post(orderr.body.finalize, messages.CertificateRequest(csr=jose.ComparableX509(csr)))  # noqa: SLF001
    body = _wait(cl, orderr.uri, ('valid', 'invalid'), deadline)
    if body.get('status') != 'valid':
        raise RuntimeError('order invalid: %s' % body.get('error'))
    cl._post_as_get(body['certificate'])  # noqa: SLF001


def orders_per_second(sb, lineages, workers=8):
    """Places one order per lineage with `workers` threads; returns {'orders', 'seconds',
    'orders_per_s', 'errors'}."""
    key = jose.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
    first = _client(sb, key)
    regr = first.new_account(messages.NewRegistration.from_data(terms_of_service_agreed=True))
    clients = [_client(sb, key, regr) for _ in range(workers)]
    errors = []
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_one_order, clients[i % workers], key, domains)
                   for i, (_, domains) in enumerate(lineages)]
        for f in futures:
            try:
                f.result()
            except Exception as exc:  # noqa: BLE001 - a benchmark counts failures, it does not stop
                errors.append(str(exc)[:200])
    seconds = time.monotonic() - started
    done = len(lineages) - len(errors)
    return {'orders': done, 'seconds': seconds, 'orders_per_s': done / seconds if seconds else 0.0,
            'errors': errors[:5], 'workers': workers}
