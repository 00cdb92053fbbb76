"""A real DNS server for tests (dnslib over UDP on 127.0.0.1, a free port) and one that never answers.

Unlike dnslib's ZoneResolver, a name that exists without the asked type gets an empty NOERROR
answer (so the client sees "no AAAA record"), and only an unknown name gets NXDOMAIN.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from dnslib import QTYPE, RCODE, RR, DNSRecord

ZONE = """
www.example.test.      300 IN A     93.184.216.34
www.example.test.      300 IN A     93.184.216.35
www.example.test.      300 IN AAAA  2606:2800:220:1:248:1893:25c8:1946
alias.example.test.    120 IN CNAME www.example.test.
example.test.          600 IN MX    10 mail.example.test.
example.test.          600 IN MX    20 backup.example.test.
example.test.          600 IN NS    ns1.example.test.
example.test.          600 IN NS    ns2.example.test.
example.test.          600 IN TXT   "v=spf1 " "include:_spf.example.test ~all"
v4only.example.test.   60  IN A     10.0.0.1
"""


class DnsServer:
    """Serves ZONE (or another zone text) over UDP; counts the queries it got."""

    def __init__(self, zone: str = ZONE, host: str = "127.0.0.1") -> None:
        self.records = RR.fromZone(zone)
        self.queries = 0
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(0.2)
        self.port: int = self.sock.getsockname()[1]
        self.address = f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="test-dns", daemon=True)

    def answer(self, request: DNSRecord) -> DNSRecord:
        reply = request.reply()
        qname, qtype = request.q.qname, request.q.qtype
        same_name = [rr for rr in self.records if rr.rname == qname]
        if not same_name:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for rr in same_name:
            if rr.rtype == qtype:
                reply.add_answer(rr)
            elif rr.rtype == QTYPE.CNAME:  # follow one alias inside the zone, as an authoritative server does
                reply.add_answer(rr)
                reply.add_answer(*[r for r in self.records if r.rname == rr.rdata.label and r.rtype == qtype])
        return reply

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self.queries += 1
            self.sock.sendto(self.answer(DNSRecord.parse(data)).pack(), peer)

    def start(self) -> DnsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@contextmanager
def dns_server(zone: str = ZONE, host: str = "127.0.0.1") -> Iterator[DnsServer]:
    """A running DnsServer on `host` (127.0.0.1 or ::1) and a free port."""
    server = DnsServer(zone, host).start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def silent_udp() -> Iterator[str]:
    """A UDP port on 127.0.0.1 that receives queries and never answers: "127.0.0.1:<port>"."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()
