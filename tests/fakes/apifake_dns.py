"""apifake_dns: BindBackend, the record store of the API fakes: RFC 2136 updates (TSIG) to the
sandbox's BIND primary, read back with real queries (re-exported by apifake; see its docstring)."""

import threading
import time

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.update

from apifake_support import wait_for

__all__ = ['BindBackend']


class BindBackend:
    """A fake's record store: RFC 2136 updates (TSIG) to a BIND primary, read back by query.

    Changes are applied in the order made; with `delay` > 0 a background thread applies each
    one `delay` seconds after it was made (a provider whose API answers before the record is
    served). Thread-safe.
    """

    def __init__(self, server, port, zones, key_name, secret, algorithm='hmac-sha256',
                 delay=0.0, timeout=5.0):
        self.server = server
        self.port = int(port)
        self.zones = tuple(z.rstrip('.').lower() for z in zones)
        self.key = dns.tsig.Key(key_name, secret, algorithm)
        self.delay = float(delay)
        self.timeout = float(timeout)
        self.errors = []
        self._cond = threading.Condition()
        self._queue = []      # (due, zone, update) in order
        self._applying = 0
        self._thread = None

    @classmethod
    def from_sandbox(cls, sb, delay=0.0):
        """Updates the sandbox's primary with its full key (tests/sandbox/sandbox.py)."""
        return cls(sb.primary_ip, sb.dns_port, sb.zones, sb.tsig_name, sb.tsig_secret,
                   sb.tsig_algorithm, delay)

    def zone_of(self, name):
        """The longest zone of this backend that name is in, or None."""
        n = name.rstrip('.').lower()
        best = None
        for z in self.zones:
            if (n == z or n.endswith('.' + z)) and (best is None or len(z) > len(best)):
                best = z
        return best

    def _update(self, name):
        zone = self.zone_of(name)
        if zone is None:
            raise ValueError('apifake: %s is in none of the zones %s'
                             % (name, ', '.join(self.zones)))
        return dns.update.UpdateMessage(zone + '.', keyring=self.key), \
            dns.name.from_text(name.rstrip('.') + '.')

    @staticmethod
    def _txt(value):
        # one TXT rdata; values over 255 octets are split into several character-strings
        raw = value.encode('utf-8')
        chunks = [raw[i:i + 255] for i in range(0, len(raw), 255)] or [b'']
        return ' '.join('"%s"' % c.decode('utf-8').replace('\\', '\\\\').replace('"', '\\"')
                        for c in chunks)

    def add_txt(self, name, value, ttl=60):
        upd, owner = self._update(name)
        upd.add(owner, ttl, 'TXT', self._txt(value))
        self._submit(upd)

    def remove_txt(self, name, value):
        upd, owner = self._update(name)
        upd.delete(owner, 'TXT', self._txt(value))
        self._submit(upd)

    def replace_txt(self, name, values, ttl=60):
        """Makes the TXT RRset at name exactly `values` (empty: deletes it)."""
        upd, owner = self._update(name)
        upd.delete(owner, 'TXT')
        for v in values:
            upd.add(owner, ttl, 'TXT', self._txt(v))
        self._submit(upd)

    def _submit(self, upd):
        if self.delay <= 0:
            with self._cond:
                pending = bool(self._queue) or self._applying
            if not pending:
                self._send(upd)
                return
        with self._cond:
            self._queue.append((time.monotonic() + max(self.delay, 0.0), upd))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._worker, name='bind-backend',
                                                daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def _send(self, upd):
        resp = dns.query.tcp(upd, self.server, port=self.port, timeout=self.timeout)
        if resp.rcode() != dns.rcode.NOERROR:
            raise RuntimeError('apifake: RFC 2136 update to %s:%d: %s' % (
                self.server, self.port, dns.rcode.to_text(resp.rcode())))

    def _worker(self):
        while True:
            with self._cond:
                while not self._queue:
                    if not self._cond.wait(30):
                        self._thread = None
                        return
                due, upd = self._queue[0]
                now = time.monotonic()
                if due > now:
                    self._cond.wait(due - now)
                    continue
                self._queue.pop(0)
                self._applying += 1
            try:
                self._send(upd)
            except Exception as exc:  # kept for the test: a lost change must not pass silently
                self.errors.append(str(exc))
            finally:
                with self._cond:
                    self._applying -= 1
                    self._cond.notify_all()

    def pending(self):
        with self._cond:
            return len(self._queue) + self._applying

    def wait_applied(self, timeout=30.0):
        """Waits until every change made so far reached BIND; raises TimeoutError otherwise."""
        wait_for(lambda: self.pending() == 0, timeout, 'delayed DNS changes to be applied')

    def txt_values(self, name):
        """The TXT values the primary serves at name (a real UDP query, RD=0)."""
        q = dns.message.make_query(name.rstrip('.') + '.', 'TXT')
        q.flags &= ~dns.flags.RD
        resp = dns.query.udp(q, self.server, port=self.port, timeout=self.timeout)
        if resp.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            raise RuntimeError('apifake: query %s TXT at %s: %s' % (
                name, self.server, dns.rcode.to_text(resp.rcode())))
        owner = dns.name.from_text(name.rstrip('.') + '.')
        return [b''.join(rd.strings).decode('utf-8', 'replace')
                for rrset in resp.answer if rrset.name == owner
                and rrset.rdtype == dns.rdatatype.TXT for rd in rrset]
