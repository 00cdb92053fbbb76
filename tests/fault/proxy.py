"""The fault harness's TCP proxy (RELIABILITY §4): forwards to the target, or misbehaves on command.

    python -m tests.fault.proxy --listen 58081 --upstream 127.0.0.1:58080 --control 58099
    curl 127.0.0.1:58099/mode/blackhole     # pass | blackhole | reset | latency=<ms>
Modes apply to connections accepted from then on: `blackhole` accepts and never answers nor
forwards (the client's own timeouts must end it), `reset` closes at once with an RST,
`latency=<ms>` waits that long before forwarding. Loopback only.
"""

from __future__ import annotations

import argparse
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Proxy:
    def __init__(self, *, listen: int, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.mode = "pass"
        self.listener = socket.create_server(("127.0.0.1", listen), backlog=1024)

    def serve(self) -> None:
        while True:
            client, _ = self.listener.accept()
            threading.Thread(target=self._handle, args=(client, self.mode), daemon=True).start()

    def _handle(self, client: socket.socket, mode: str) -> None:
        if mode == "reset":
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()
            return
        if mode == "blackhole":
            time.sleep(600)  # hold it open, silent
            client.close()
            return
        if mode.startswith("latency="):
            time.sleep(int(mode.split("=", 1)[1]) / 1000)
        try:
            upstream = socket.create_connection(self.upstream, timeout=10)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        threading.Thread(target=_pipe, args=(client, upstream), daemon=True).start()
        _pipe(upstream, client)


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


def control_server(proxy: Proxy, port: int) -> ThreadingHTTPServer:
    class Control(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            if self.path.startswith("/mode/"):
                proxy.mode = self.path.removeprefix("/mode/")
            body = proxy.mode.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    return ThreadingHTTPServer(("127.0.0.1", port), Control)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--control", type=int, required=True)
    args = parser.parse_args()
    host, port = args.upstream.rsplit(":", 1)
    proxy = Proxy(listen=args.listen, upstream=(host, int(port)))
    control = control_server(proxy, args.control)
    threading.Thread(target=control.serve_forever, daemon=True).start()
    sys.stdout.write(f"listening {args.listen}\n")
    sys.stdout.flush()
    proxy.serve()
