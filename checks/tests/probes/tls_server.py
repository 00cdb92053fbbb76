"""Real local TLS servers for tests: one serving a trustme certificate, and one that never handshakes."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import trustme


class TlsServer:
    """Accepts on 127.0.0.1 (a free port), completes a TLS handshake with `cert`, then closes."""

    def __init__(self, cert: trustme.LeafCert | None) -> None:
        self.context: ssl.SSLContext | None = None
        if cert is not None:
            self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            cert.configure_cert(self.context)
            self.context.sni_callback = self._record_sni
        self.server_names: list[str | None] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port: int = self.listener.getsockname()[1]
        self.accepted = 0
        self.held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="test-tls", daemon=True)

    def _record_sni(self, _tls: ssl.SSLObject, server_name: str | None, _context: ssl.SSLContext) -> None:
        self.server_names.append(server_name)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _peer = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            if self.context is None:  # accept the TCP connection and never say a word
                self.held.append(conn)
                continue
            threading.Thread(target=self._handshake, args=(conn,), daemon=True).start()

    def _handshake(self, conn: socket.socket) -> None:
        assert self.context is not None
        conn.settimeout(5)
        try:
            with self.context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)  # until the client closes
        except (ssl.SSLError, OSError):
            pass  # the client refused the certificate, as several tests expect

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.listener.close()
        for conn in self.held:
            conn.close()


@contextmanager
def tls_server(cert: trustme.LeafCert | None) -> Iterator[TlsServer]:
    """A TLS server with `cert`; with None, a TCP server that accepts and never handshakes."""
    server = TlsServer(cert)
    server._thread.start()
    try:
        yield server
    finally:
        server.stop()
