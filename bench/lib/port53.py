"""Port-53 forwarder for lego, which always dials authoritative servers on port 53.

lego 4.9.1 checks every authoritative server by dialling `<NS name>:53` and resolves the NS
names with Go's system resolver, i.e. /etc/resolv.conf, port 53 again (testbed-notes.md,
gotcha 2). The sandbox's two named share one random port P. So, for the lego scenarios, this
module listens on 127.A.B.1:53 and 127.A.B.2:53 (UDP and TCP) and relays every message
unchanged to the same address on port P, and lego gets a private resolv.conf naming
127.A.B.1 (see `resolv_wrapper`). Loopback only; the relay adds well under a millisecond per
query (measured with dig: see docs/performance.md). The queries still reach named, so the
BIND query logs count them as usual.
"""

import os
import socket
import struct
import threading

RELAY_TIMEOUT = 5.0


class Port53Forwarder:
    """Relays DNS over UDP and TCP from (ip, 53) to (ip, target_port) for each ip.

    start() binds every socket (raises OSError if port 53 is taken on one of the addresses);
    stop() closes them. Threads are daemons: nothing outlives the benchmark process."""

    def __init__(self, ips, target_port):
        self.ips = list(ips)
        self.target_port = int(target_port)
        self._socks = []
        self._stopping = threading.Event()

    def start(self):
        try:
            for ip in self.ips:
                u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                u.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                u.bind((ip, 53))
                self._socks.append(u)
                t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                t.bind((ip, 53))
                t.listen(16)
                self._socks.append(t)
                threading.Thread(target=self._udp_loop, args=(u, ip), daemon=True).start()
                threading.Thread(target=self._tcp_loop, args=(t, ip), daemon=True).start()
        except OSError:
            self.stop()
            raise
        return self

    def stop(self):
        self._stopping.set()
        for s in self._socks:
            try:
                s.close()
            except OSError:
                pass
        self._socks = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # --- UDP: one short-lived upstream socket per datagram, answered from a thread ----------

    def _udp_loop(self, sock, ip):
        while not self._stopping.is_set():
            try:
                data, peer = sock.recvfrom(65535)
            except OSError:
                return
            threading.Thread(target=self._udp_one, args=(sock, ip, data, peer), daemon=True).start()

    def _udp_one(self, sock, ip, data, peer):
        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            up.settimeout(RELAY_TIMEOUT)
            up.sendto(data, (ip, self.target_port))
            reply, _ = up.recvfrom(65535)
            sock.sendto(reply, peer)
        except OSError:
            pass  # the client times out and retries, as with a lost datagram
        finally:
            up.close()

    # --- TCP: one upstream connection per client connection, messages relayed in order ------

    def _tcp_loop(self, sock, ip):
        while not self._stopping.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            threading.Thread(target=self._tcp_one, args=(conn, ip), daemon=True).start()

    def _tcp_one(self, conn, ip):
        try:
            conn.settimeout(RELAY_TIMEOUT)
            with socket.create_connection((ip, self.target_port), timeout=RELAY_TIMEOUT) as up:
                while True:
                    msg = _read_framed(conn)
                    if msg is None:
                        return
                    up.sendall(msg)
                    reply = _read_framed(up)
                    if reply is None:
                        return
                    conn.sendall(reply)
        except OSError:
            pass
        finally:
            conn.close()


def _read_framed(sock):
    """One length-prefixed DNS message (prefix included), or None at EOF."""
    head = _read_exact(sock, 2)
    if head is None:
        return None
    body = _read_exact(sock, struct.unpack('!H', head)[0])
    return None if body is None else head + body


def _read_exact(sock, n):
    buf = b''
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def resolv_wrapper(workdir, nameserver_ip):
    """argv prefix that runs a command with a private /etc/resolv.conf naming nameserver_ip
    (a mount namespace of its own, so the host's file is never touched): prepend it to the
    client's argv."""
    path = os.path.join(workdir, 'resolv.conf')
    with open(path, 'w', encoding='ascii') as f:
        f.write('nameserver %s\noptions timeout:1 attempts:2\n' % nameserver_ip)
    script = 'mount --bind "$0" /etc/resolv.conf && exec "$@"'
    return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, path]
