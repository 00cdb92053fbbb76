"""The fault harness's HTTP target (RELIABILITY §4): a threaded HTTP/1.1 server on loopback.

    python -m tests.fault.target --port 58080
    /ok                 200, a small JSON body
    /slow?ms=N          200 after N milliseconds
    /hang               never answers (holds the connection up to an hour)
    /status/<code>      that status code
Prints "listening <port>" once it accepts connections; quiet otherwise; stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from urllib.parse import parse_qs, urlsplit

BODY = b'{"status": "ok", "service": "fault-target"}\n'


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        parts = urlsplit(self.path)
        status = 200
        if parts.path == "/slow":
            milliseconds = int(parse_qs(parts.query).get("ms", ["1000"])[0])
            time.sleep(min(milliseconds, 600_000) / 1000)
        elif parts.path == "/hang":
            time.sleep(3600)
            return
        elif parts.path.startswith("/status/"):
            status = int(parts.path.rsplit("/", 1)[1])
        elif parts.path != "/ok":
            status = 404
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        return


def serve(port: int) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.request_queue_size = 1024

    def _stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _stop)
    sys.stdout.write(f"listening {server.server_address[1]}\n")
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        server.server_close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=58080)
    serve(parser.parse_args().port)
