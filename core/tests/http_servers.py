"""Real local HTTP(S) servers for the outbound-client tests (core.http) and the HTTP probe tests.

`ScriptedServer` binds 127.0.0.1 (or ::1) on a free port, runs scripted handlers per path, records
every request and counts TCP connections. The routes below cover what a target can do wrong:
redirect, stream forever, drip one byte at a time.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Route = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class ScriptedServer:
    """A real HTTP server on 127.0.0.1 whose paths run scripted handlers; it counts TCP connections."""

    def __init__(self, host: str = "127.0.0.1", *, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[Seen] = []
        self.connections = 0
        self.routes: dict[str, Route] = {}
        self.default: Route = reply(404, b"no route")
        self.lock = threading.Lock()
        outer = self

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

            def get_request(self) -> tuple[socket.socket, Any]:
                accepted = super().get_request()
                with outer.lock:
                    outer.connections += 1
                return accepted

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_one(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with outer.lock:
                    outer.requests.append(Seen(self.command, self.path, dict(self.headers.items()), body))
                route = outer.routes.get(self.path.split("?")[0], outer.default)
                try:
                    route(self)
                except OSError:
                    self.close_connection = True  # the client went away mid-reply: expected in cap tests

            do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = handle_one

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = Server((host, 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        netloc_host = f"[{host}]" if ":" in host else host
        self.url = f"{'https' if tls else 'http'}://{netloc_host}:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def paths(self) -> list[str]:
        with self.lock:
            return [seen.path for seen in self.requests]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def reply(status: int = 200, body: bytes = b"ok", headers: dict[str, str] | None = None) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)

    return route


def redirect(location: str, status: int = 302) -> Route:
    return reply(status, b"", {"Location": location})


def stream_forever(status: int = 200, headers: dict[str, str] | None = None, *, seconds: float = 30.0) -> Route:
    """A body with no length that never ends (until the client leaves or `seconds` pass)."""
    chunk = b"x" * 65536

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True
        stop_at = time.monotonic() + seconds
        while time.monotonic() < stop_at:
            handler.wfile.write(chunk)

    return route


def drip(interval: float, *, seconds: float = 15.0) -> Route:
    """Headers at once, then one byte every `interval` seconds: a per-read timeout never fires."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "1000000")
        handler.end_headers()
        stop_at = time.monotonic() + seconds
        while time.monotonic() < stop_at:
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(interval)

    return route
