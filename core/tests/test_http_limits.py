"""core.http.send against targets that try to exhaust it (RELIABILITY.md IN-06, IN-07, IN-08).

Real servers on 127.0.0.1 only. Sizes are what the cases name (100 MB, 10 GB decoded); the
servers produce them lazily and stop when the client leaves, so a test sends only what the
client actually reads plus what the kernel buffers.
"""

from __future__ import annotations

import gzip
import re
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from importlib.metadata import version
from pathlib import Path

import pytest

from core.http import HttpError, HttpResponse, send
from core.tests.http_servers import Route, ScriptedServer, drip, reply

MB = 1024 * 1024
CAP = 1 * MB  # CHECKS_MAX_BODY_BYTES' default
HUNDRED_MB = 100 * MB
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()
    yield scripted
    scripted.stop()


class Sent:
    """Bytes a route wrote before the client went away."""

    def __init__(self) -> None:
        self.bytes = 0
        self.done = threading.Event()


def big_body(sent: Sent, *, total: int, mode: str, seconds: float = 20.0) -> Route:
    """`total` bytes of "a" in 64 KB writes, framed by Content-Length, by connection close, or chunked."""
    chunk = b"a" * 65536

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        if mode == "length":
            handler.send_header("Content-Length", str(total))
        elif mode == "chunked":
            handler.send_header("Transfer-Encoding", "chunked")
        else:
            handler.send_header("Connection", "close")
            handler.close_connection = True
        handler.end_headers()
        stop_at = time.monotonic() + seconds
        try:
            while sent.bytes < total and time.monotonic() < stop_at:
                data = b"%x\r\n%s\r\n" % (len(chunk), chunk) if mode == "chunked" else chunk
                handler.wfile.write(data)
                sent.bytes += len(chunk)
        finally:
            sent.done.set()

    return route


def measured_send(url: str, **kwargs: object) -> tuple[HttpResponse, int, float]:
    tracemalloc.start()
    try:
        started = time.monotonic()
        response = send("GET", url, allow_private=True, **kwargs)  # type: ignore[arg-type]
        took = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return response, peak, took


# --- IN-06: big bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["length", "close", "chunked"])
def test_in_06_hundred_mb_response_is_read_only_to_the_cap(server: ScriptedServer, mode: str) -> None:
    sent = Sent()
    server.routes["/big"] = big_body(sent, total=HUNDRED_MB, mode=mode)

    response, peak, took = measured_send(server.url + "/big", timeout_ms=20_000, max_bytes=CAP)

    assert response.body_truncated is True
    assert response.body == b"a" * CAP
    assert peak < 3 * CAP
    assert took < 5
    # The client stopped reading at the cap plus one chunk: what the server got rid of beyond
    # that is what the two kernels' socket buffers held, nowhere near 100 MB.
    assert sent.done.wait(10)
    assert sent.bytes < 16 * MB


# --- IN-07: decompression bombs --------------------------------------------------------------------


def gzip_bomb(sent: Sent, *, decoded: int, status: int = 200, headers: dict[str, str] | None = None) -> Route:
    """A gzip stream of `decoded` zero bytes, compressed as it is sent (10 GB of zeros is ~10 MB of gzip)."""
    zeros = b"\0" * MB

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Encoding", "gzip")
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
        stop_at = time.monotonic() + 20
        try:
            for _ in range(decoded // MB):
                if time.monotonic() > stop_at:
                    break
                data = compressor.compress(zeros)
                if data:
                    handler.wfile.write(data)
                    sent.bytes += len(data)
            handler.wfile.write(compressor.flush())
        finally:
            sent.done.set()

    return route


def test_in_07_gzip_10_mb_to_10_gb_stops_at_the_decoded_cap(server: ScriptedServer) -> None:
    sent = Sent()
    server.routes["/bomb"] = gzip_bomb(sent, decoded=10 * 1024 * MB)

    response, peak, took = measured_send(server.url + "/bomb", timeout_ms=10_000, max_bytes=CAP)

    assert response.body_truncated is True
    assert response.body == b"\0" * CAP
    assert peak < 3 * CAP
    assert took < 10
    assert sent.done.wait(10)
    assert sent.bytes < 10 * MB  # the compressed stream was not read to its end either


def test_in_07_stacked_gzip_encodings_stop_within_the_timeout(server: ScriptedServer) -> None:
    body = b"\0" * (200 * MB)
    for _ in range(6):
        body = gzip.compress(body, compresslevel=9)
    server.routes["/stacked"] = reply(200, body, {"Content-Encoding": ", ".join(["gzip"] * 6)})

    tracemalloc.start()
    try:
        started = time.monotonic()
        try:
            response: HttpResponse | HttpError = send(
                "GET", server.url + "/stacked", timeout_ms=10_000, max_bytes=CAP, allow_private=True
            )
        except HttpError as exc:
            response = exc
        took = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # urllib3 >= 2.6 refuses more than 5 chained encodings (CVE-2025-66418) before decoding any.
    assert isinstance(response, HttpError)
    assert response.kind == "invalid_response"
    assert "encodings" in response.message
    assert took < 10
    assert peak < 3 * CAP + 2 * len(body)


@pytest.mark.parametrize("max_redirects", [0, 5])
def test_in_07_bomb_as_the_body_of_a_302(server: ScriptedServer, max_redirects: int) -> None:
    sent = Sent()
    server.routes["/bomb-redirect"] = gzip_bomb(sent, decoded=10 * 1024 * MB, status=302, headers={"Location": "/ok"})
    server.routes["/ok"] = reply(200, b"landed")

    response, peak, took = measured_send(
        server.url + "/bomb-redirect", timeout_ms=10_000, max_bytes=CAP, max_redirects=max_redirects
    )

    if max_redirects:
        assert (response.status_code, response.body) == (200, b"landed")  # the 3xx body is never read
    else:
        assert (response.status_code, response.body_truncated, len(response.body)) == (302, True, CAP)
    assert peak < 3 * CAP
    assert took < 10


def _pinned(name: str) -> tuple[int, ...]:
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        match = re.fullmatch(rf"{re.escape(name)}==([0-9.]+)", line.split("#")[0].strip(), re.IGNORECASE)
        if match:
            return tuple(int(part) for part in match[1].split("."))
    raise AssertionError(f"{name} is not pinned in requirements.txt")


def test_in_07_lockfile_pins_urllib3_and_requests_with_the_bomb_fixes() -> None:
    # urllib3 2.6 bounds streamed decompression (CVE-2025-66471) and chained encodings (CVE-2025-66418);
    # requests 2.32.4 stops leaking .netrc credentials (CVE-2024-47081).
    assert _pinned("urllib3") >= (2, 7)
    assert _pinned("requests") >= (2, 32, 4)
    installed = {name: tuple(int(p) for p in version(name).split(".")[:3]) for name in ("urllib3", "requests")}
    assert installed["urllib3"] == _pinned("urllib3")
    assert installed["requests"] == _pinned("requests")


# --- IN-08: each timeout its own error ---------------------------------------------------------------


def test_in_08_drip_every_500_ms_ends_at_the_total_deadline(server: ScriptedServer) -> None:
    server.routes["/drip"] = drip(0.5)

    started = time.monotonic()
    with pytest.raises(HttpError) as info:
        send("GET", server.url + "/drip", timeout_ms=3000, read_timeout_ms=1000, max_bytes=CAP, allow_private=True)
    took = time.monotonic() - started

    assert info.value.kind == "timeout"
    assert info.value.message == "no complete response within 3 s (total deadline)"
    assert 2.0 <= took <= 4.0


def test_in_08_accept_and_never_respond_is_a_read_timeout_with_its_own_message() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(HttpError) as info:
            send(
                "GET",
                f"http://127.0.0.1:{port}/",
                timeout_ms=5000,
                read_timeout_ms=500,
                max_bytes=10,
                allow_private=True,
            )

    assert (info.value.kind, info.value.message) == ("read_timeout", "timed out after 0.5 s (read)")
    assert time.monotonic() - started < 2


def test_in_08_read_timeout_cut_short_by_the_deadline_is_the_deadline() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        with pytest.raises(HttpError) as info:
            url = f"http://127.0.0.1:{port}/"
            send("GET", url, timeout_ms=600, read_timeout_ms=5000, max_bytes=10, allow_private=True)

    assert (info.value.kind, info.value.message) == ("timeout", "no complete response within 0.6 s (total deadline)")


def test_in_08_stalled_tls_handshake_is_a_tls_timeout_with_its_own_message() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(HttpError) as info:
            send(
                "GET",
                f"https://127.0.0.1:{port}/",
                timeout_ms=5000,
                connect_timeout_ms=500,
                max_bytes=10,
                allow_private=True,
            )

    assert info.value.kind == "tls_timeout"
    assert info.value.message.startswith("TLS handshake timed out")
    assert time.monotonic() - started < 2


@pytest.fixture
def full_backlog() -> Iterator[int]:
    """A port whose accept queue is full: Linux drops further SYNs, so a connect hangs like an unroutable one.

    Loopback only, no iptables and no patching: a listener with backlog 0 that never accepts holds
    one completed connection; every later SYN is dropped (tcp_conn_request: accept queue full).
    """
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.settimeout(0.3)
        try:
            filler.connect(("127.0.0.1", port))
        except OSError:
            pass
        fillers.append(filler)
    probe = socket.socket()
    probe.settimeout(0.3)
    try:
        probe.connect(("127.0.0.1", port))
        pytest.skip("this kernel completes connections past a full accept queue")
    except OSError:
        pass
    finally:
        probe.close()
    yield port
    for filler in fillers:
        filler.close()
    listener.close()


def test_in_08_unanswered_connect_is_a_connect_timeout(full_backlog: int) -> None:
    started = time.monotonic()
    with pytest.raises(HttpError) as info:
        send(
            "GET",
            f"http://127.0.0.1:{full_backlog}/",
            timeout_ms=5000,
            connect_timeout_ms=700,
            max_bytes=10,
            allow_private=True,
        )

    assert (info.value.kind, info.value.message) == ("connect_timeout", "timed out after 0.7 s (connect)")
    assert 0.6 <= time.monotonic() - started < 2
    assert info.value.transient is True
