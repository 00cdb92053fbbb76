"""The per-call guard of `core.http.send()`: which addresses may be connected to, and the total deadline.

No HTTP client is imported here: the guard checks hosts through `core.netguard` and watches plain
sockets, and `core.http_transport` (connections) and `core.http_body` (body reads) consult it.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Final

from core import netguard
from core.http_errors import HttpError

# The watchdog fires a little after the deadline, so that a server that stays silent ends with
# its own socket timeout (read_timeout) and only a server that keeps trickling is cut (timeout).
WATCHDOG_GRACE_SECONDS: Final = 0.25


class Guard:
    """State of one send() call: what may be connected to, and a watchdog for the total deadline.

    The watchdog shuts down every socket the call opened when the deadline passes, which wakes a
    read blocked on a server that trickles bytes (a per-read timeout never fires there; psf/requests#4276).
    """

    def __init__(self, *, allow_private: bool, timeout_ms: int) -> None:
        timeout_seconds = timeout_ms / 1000
        self.allow_private = allow_private
        self.deadline = time.monotonic() + timeout_seconds
        self.deadline_message = f"The request did not complete within {timeout_ms} ms."
        self.expired = False
        self.handshaking = False  # a TLS handshake is under way: a timeout now is a tls_timeout
        self._pinned: set[str] = set()
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
                raise HttpError(f"Could not resolve {checked}.", kind="dns_error") from None
            if not addresses:
                raise HttpError(f"{checked} has no addresses.", kind="dns_error")
            try:
                address = str(netguard.check_addresses(checked, addresses, allow_private=self.allow_private)[0])
            except netguard.TargetRejected as exc:
                raise HttpError(exc.message, kind=exc.kind) from None
        with self._lock:
            self._pinned.add(address)
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


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by the peer or by urllib3: nothing left to interrupt
