"""DNS client side of the sandbox: queries (never through the system resolver) and nsupdate.

Mixed into Sandbox, which provides primary_ip, secondary_ip, ipv6_ip, dns_port, zones and the
TSIG key names/files.
"""

import subprocess
import time

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

from sandbox_procs import SandboxError

NSUPDATE = '/usr/bin/nsupdate'


class NsupdateError(SandboxError):
    """nsupdate failed (e.g. REFUSED by the update-policy); .stderr holds its output."""

    def __init__(self, message, stderr):
        super().__init__(message)
        self.stderr = stderr


def _owner(command):
    """The owner name of an nsupdate `[update] add|del[ete] NAME ...` or `prereq KIND NAME`."""
    parts = command.split()
    if parts and parts[0] == 'update':
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in ('add', 'del', 'delete', 'prereq'):
        return parts[1] if parts[0] != 'prereq' else (parts[2] if len(parts) > 2 else None)
    return None


class DnsClient:
    """Queries and updates against the sandbox's servers."""

    def server_ip(self, server):
        return {'primary': self.primary_ip, 'secondary': self.secondary_ip,
                'ipv6': self.ipv6_ip}.get(server, server)

    def query(self, server, name, rdtype='TXT', timeout=1.0):
        """One UDP query (RD=0) to server at dns_port; returns the dns.message response."""
        q = dns.message.make_query(name, rdtype)
        q.flags &= ~dns.flags.RD
        return dns.query.udp(q, self.server_ip(server), port=self.dns_port, timeout=timeout)

    def query_txt(self, server, name):
        resp = self.query(server, name, 'TXT')
        if resp.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            raise SandboxError('sandbox: query %s TXT at %s: %s' % (
                name, server, dns.rcode.to_text(resp.rcode())))
        qname = dns.name.from_text(name)
        out = []
        for rrset in resp.answer:
            if rrset.name == qname and rrset.rdtype == dns.rdatatype.TXT:
                out += [b''.join(rd.strings).decode('utf-8', 'replace') for rd in rrset]
        return out

    def wait_txt(self, server, name, value, timeout=10.0):
        """Polls every 10 ms until server serves value at name; returns time.monotonic() then."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            try:
                if value in self.query_txt(server, name):
                    return time.monotonic()
            except (SandboxError, dns.exception.DNSException, OSError) as exc:
                last = exc
            if time.monotonic() > deadline:
                raise SandboxError('sandbox: wait for TXT %r at %s on %s: not seen in %.1f s%s'
                                   % (value, name, server, timeout,
                                      ' (last error: %s)' % last if last else ''))
            time.sleep(0.01)

    def wait_no_txt(self, server, name, value, timeout=10.0):
        """Polls every 10 ms until value is gone at name; returns time.monotonic() then."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if value not in self.query_txt(server, name):
                    return time.monotonic()
            except (SandboxError, dns.exception.DNSException, OSError):
                pass
            if time.monotonic() > deadline:
                raise SandboxError('sandbox: wait for TXT %r at %s on %s to go: still there '
                                   'after %.1f s' % (value, name, server, timeout))
            time.sleep(0.01)

    def zone_of(self, name):
        n = name.rstrip('.').lower()
        best = None
        for z in self.zones:
            if (n == z or n.endswith('.' + z)) and (best is None or len(z) > len(best)):
                best = z
        return best

    def nsupdate(self, commands, key='dns01', server='primary', timeout=10):
        """Runs nsupdate against server (default the primary) signed with key 'dns01' (full) or
        'acme' (restricted). Adds `server` and, if missing, `zone` (found from the first
        `update` line) and `send`. Raises NsupdateError with nsupdate's stderr on failure."""
        keyfile = {'dns01': self.tsig_key_file, 'full': self.tsig_key_file,
                   self.tsig_name: self.tsig_key_file, 'acme': self.acme_tsig_key_file,
                   self.acme_tsig_name: self.acme_tsig_key_file}.get(key, key)
        lines = ['server %s %d' % (self.server_ip(server), self.dns_port)]
        cmds = [c.strip() for c in commands if c.strip()]
        if not any(c.split()[0] == 'zone' for c in cmds):
            # Without `zone`, nsupdate would look for the zone's SOA itself, possibly through
            # /etc/resolv.conf (not loopback here): always name it.
            zone = next((self.zone_of(o) for o in map(_owner, cmds) if o and self.zone_of(o)),
                        None)
            if zone is None:
                raise SandboxError('sandbox: nsupdate: no `update`/`prereq` name in %s (hint: '
                                   'add a "zone <name>." line)' % ', '.join(self.zones))
            lines.append('zone %s.' % zone)
        lines += cmds
        if not cmds or cmds[-1] != 'send':
            lines.append('send')
        res = subprocess.run([NSUPDATE, '-k', keyfile, '-t', str(timeout)],
                             input='\n'.join(lines) + '\n', capture_output=True, text=True,
                             timeout=timeout * 3)
        if res.returncode != 0:
            raise NsupdateError('sandbox: nsupdate with key %s: %s' % (key, res.stderr.strip()
                                                                        or res.stdout.strip()),
                                res.stderr)
