"""The per-call guard of `core.http.send()`: which addresses may be connected to, and the total deadline.

No HTTP client is imported here: the guard checks hosts through `core.netguard` and watches plain
sockets, and `core.http_transport` (connections) and `core.http_body` (body reads) consult it.
"""

from __future__ import annotations

import socket
import threading
import time
from datetime import datetime
from typing import Final

from core import netguard
from core.http_errors import HttpError, seconds_text
from core.http_tls import CertificateDates, certificate_dates

# The watchdog fires a little after the deadline, so that a server that stays silent ends with
# its own socket timeout (read_timeout) and only a server that keeps trickling is cut (timeout).
WATCHDOG_GRACE_SECONDS: Final = 0.25


class Guard:
    """State of one send() call: what may be connected to, and a watchdog for the total deadline.

    The watchdog shuts down every socket the call opened when the deadline passes, which wakes a
    read blocked on a server that trickles bytes (a per-read timeout never fires there; psf/requests#4276).
    """

    def __init__(
        self,
        *,
        allow_private: bool,
        timeout_ms: int,
        verify_tls: bool = True,
        connect_timeout_ms: int | None = None,
        read_timeout_ms: int | None = None,
    ) -> None:
        timeout_seconds = timeout_ms / 1000
        self.allow_private = allow_private
        self.verify_tls = verify_tls
        self.deadline = time.monotonic() + timeout_seconds
        self.deadline_message = f"no complete response within {seconds_text(timeout_seconds)} s (total deadline)"
        self.connect_timeout = (connect_timeout_ms or 5000) / 1000
        self.read_timeout = read_timeout_ms / 1000 if read_timeout_ms else None
        # Set per hop by hop_timeouts(): the read timeout in force, and whether the deadline cut it short.
        self.read_effective = 0.0
        self.read_clipped = False
        self.expired = False
        self.handshaking = False  # a TLS handshake is under way: a timeout now is a tls_timeout
        self._pinned: set[str] = set()
        self.pins: dict[tuple[str, int], str] = {}  # (host, port) -> the address pinned for it
        self.certificates: dict[tuple[str, int], CertificateDates | None] = {}
        self._watched: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False
        self._timer = threading.Timer(timeout_seconds + WATCHDOG_GRACE_SECONDS, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def past_deadline(self) -> bool:
        return self.expired or self.remaining() <= 0

    def hop_timeouts(self, remaining: float) -> tuple[float, float]:
        """(connect, read) socket timeouts for the next hop, never past the total deadline."""
        connect = min(self.connect_timeout, remaining)
        wanted = self.read_timeout if self.read_timeout is not None else remaining
        self.read_effective = min(wanted, remaining)
        self.read_clipped = self.read_timeout is not None and self.read_effective < self.read_timeout
        return connect, self.read_effective

    def read_timeout_error(self) -> HttpError:
        """A socket read timed out: its own error, unless the total deadline had cut that timeout short."""
        if self.read_clipped or self.expired:
            return HttpError(self.deadline_message, kind="timeout")
        return HttpError(f"timed out after {seconds_text(self.read_effective)} s (read)", kind="read_timeout")

    def record_certificate(self, host: str, port: int, der: bytes | None) -> None:
        self.certificates[(_key_host(host), port)] = certificate_dates(der) if der else None

    def certificate_for(self, host: str, port: int) -> CertificateDates | None:
        return self.certificates.get((_key_host(host), port))

    def not_after(self, host: str, port: int) -> datetime | None:
        dates = self.certificate_for(host, port)
        return dates.not_after if dates else None

    def pin(self, host: str, port: int) -> tuple[str, bool]:
        """Check `host` (name or literal), resolve a name once, check every address: (IP to connect to, is_name)."""
        try:
            checked = netguard.check_host(host, allow_private=self.allow_private, bracketed=":" in host)
        except netguard.TargetRejected as exc:
            raise HttpError(exc.message, kind=exc.kind) from None
        if not isinstance(checked, str):
            address = str(checked)
        else:
            try:
                addresses = netguard.resolve_host(checked, port)
            except OSError:
                raise HttpError(f"DNS lookup failed for {checked.rstrip('.')}", kind="dns_error") from None
            if not addresses:
                raise HttpError(f"DNS lookup failed for {checked.rstrip('.')} (no addresses)", kind="dns_error")
            try:
                address = str(netguard.check_addresses(checked, addresses, allow_private=self.allow_private)[0])
            except netguard.TargetRejected as exc:
                raise HttpError(exc.message, kind=exc.kind) from None
        with self._lock:
            self._pinned.add(address)
            self.pins[(_key_host(host), port)] = address
        return address, isinstance(checked, str)

    def before_connect(self, host: str) -> None:
        """Last check before a socket opens: only an address pin() approved, and still allowed."""
        address = host.strip("[]")
        with self._lock:
            approved = address in self._pinned
        if not approved or netguard.is_blocked_address(address, allow_private=self.allow_private):
            raise HttpError(netguard.blocked_message(address), kind="blocked_address")

    def watch(self, sock: socket.socket) -> None:
        # A duplicate descriptor still refers to the connection after the TLS wrapper takes over
        # the original socket object, and it cannot be reused for another socket while held.
        duplicate = sock.dup()
        with self._lock:
            if not self._closed:
                self._watched.append(duplicate)
                if not self.expired:
                    return
        _shutdown(duplicate)
        if self._closed:
            duplicate.close()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._watched:
                _shutdown(sock)

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._closed = True
            watched, self._watched = self._watched, []
        for sock in watched:
            sock.close()


def _key_host(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by the peer or by urllib3: nothing left to interrupt
