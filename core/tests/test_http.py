"""core.http.send against real local servers (RELIABILITY.md SSRF-03..08, IN-06..09).

Only the DNS boundary is faked (core.netguard.resolve_host). Every connection goes to 127.0.0.1: a
tripwire fails the test before any socket opens to another address.
"""

from __future__ import annotations

import gzip
import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import requests
import requests.adapters
import urllib3.util.connection

from core import netguard
from core.http import USER_AGENT, HttpError, HttpResponse, send
from core.tests.http_servers import ScriptedServer, drip, redirect, reply, stream_forever
from tests.servers import HttpTarget


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()
    yield scripted
    scripted.stop()


@pytest.fixture
def second_server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()
    yield scripted
    scripted.stop()


class FakeDns:
    """The DNS boundary: names map to fixed answers (a list, or a function for answers that change)."""

    def __init__(self) -> None:
        self.records: dict[str, list[str] | Callable[[], list[str]]] = {}
        self.calls: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        answer = self.records.get(host)
        if answer is None:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} not in the fake DNS")
        return answer() if callable(answer) else list(answer)


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> FakeDns:
    dns = FakeDns()
    monkeypatch.setattr(netguard, "resolve_host", dns)
    return dns


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Fail before any connection leaves the machine, should the guard ever let one through."""
    real = urllib3.util.connection.create_connection
    attempts: list[tuple[str, int]] = []

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        attempts.append(address)
        if not ipaddress.ip_address(address[0].strip("[]")).is_loopback:
            raise AssertionError(f"test tried to connect to {address}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    return attempts


def fails(kind: str, *args: Any, **kwargs: Any) -> HttpError:
    with pytest.raises(HttpError) as info:
        send(*args, **kwargs)
    assert info.value.kind == kind, info.value.message
    return info.value


# --- plain requests ---------------------------------------------------------------------------------


def test_get_returns_status_headers_body_and_elapsed(http_target: HttpTarget) -> None:
    http_target.set_reply(200, b'{"ok": true}', headers={"Content-Type": "application/json", "X-Trace": "t1"})

    response = send("GET", f"{http_target.url}/health?x=1", timeout_ms=5000, max_bytes=1024, allow_private=True)

    assert isinstance(response, HttpResponse)
    assert response.status_code == 200
    assert response.body == b'{"ok": true}'
    assert response.text == '{"ok": true}'
    assert response.body_truncated is False
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers.get("x-trace") == "t1"
    assert 0 <= response.elapsed_ms < 5000
    assert response.url == f"{http_target.url}/health?x=1"
    assert response.redirects == ()
    [seen] = http_target.requests
    assert (seen.method, seen.path) == ("GET", "/health?x=1")
    assert seen.headers["User-Agent"] == USER_AGENT
    assert seen.headers["Accept-Encoding"] == "gzip, deflate"
    assert seen.headers["Host"] == f"127.0.0.1:{http_target.port}"


def test_ipv6_literal_target(loopback_only: list[tuple[str, int]]) -> None:
    v6 = ScriptedServer(host="::1")
    v6.routes["/"] = reply(200, b"six")
    try:
        response = send("GET", v6.url + "/", timeout_ms=3000, max_bytes=100, allow_private=True)
    finally:
        v6.stop()

    assert response.body == b"six"
    assert v6.requests[0].headers["Host"] == f"[::1]:{v6.port}"
    assert loopback_only == [("::1", v6.port)]


def test_head_has_no_body(server: ScriptedServer) -> None:
    server.routes["/"] = reply(200, b"not sent for HEAD")

    response = send("HEAD", server.url + "/", timeout_ms=3000, max_bytes=100, allow_private=True)

    assert (response.status_code, response.body, server.requests[0].method) == (200, b"", "HEAD")


def test_elapsed_is_time_to_headers(http_target: HttpTarget) -> None:
    http_target.set_reply(204, b"", delay_seconds=0.3)

    response = send("GET", http_target.url, timeout_ms=5000, max_bytes=10, allow_private=True)

    assert 300 <= response.elapsed_ms < 2000


def test_post_sends_the_body_and_user_headers_but_not_reserved_ones(http_target: HttpTarget) -> None:
    send(
        "post",
        http_target.url + "/hook",
        timeout_ms=5000,
        max_bytes=100,
        headers={
            "Content-Type": "application/json",
            "X-Api-Key": "k",
            "X-Name": "café ☕",
            "User-Agent": "spoof",
            "Host": "evil",
        },
        body='{"a": "é"}',
        allow_private=True,
    )

    [seen] = http_target.requests
    assert seen.method == "POST"
    assert seen.body == '{"a": "é"}'.encode()
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.headers["X-Api-Key"] == "k"
    assert seen.headers["X-Name"].encode("latin-1").decode("utf-8") == "café ☕"
    assert seen.headers["User-Agent"] == USER_AGENT
    assert seen.headers["Host"] == f"127.0.0.1:{http_target.port}"


@pytest.mark.parametrize(
    "headers",
    [{"X-Bad": "a\r\nInjected: 1"}, {"Bad Name": "x"}, {"X-Big": "x" * 9000}, {f"X-{i}": "v" for i in range(65)}],
)
def test_invalid_request_headers_refused_before_connecting(server: ScriptedServer, headers: dict[str, str]) -> None:
    fails("invalid_request", "GET", server.url, timeout_ms=2000, max_bytes=10, headers=headers, allow_private=True)

    assert server.connections == 0


def test_connection_refused_is_a_transient_connection_error() -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]  # bound but not listening: connections are refused

        error = fails("connection_error", "GET", f"http://127.0.0.1:{port}/", timeout_ms=2000, max_bytes=10)

    assert error.transient is True
    assert "refused" in error.message.lower()


def test_dns_failure_is_a_transient_dns_error(fake_dns: FakeDns) -> None:
    error = fails("dns_error", "GET", "http://nowhere.test/", timeout_ms=2000, max_bytes=10, allow_private=True)

    assert error.transient is True
    assert fake_dns.calls == [("nowhere.test", 80)]


def test_invalid_urls_are_refused_and_not_transient() -> None:
    error = fails("invalid_url", "GET", "ftp://example.com/", timeout_ms=1000, max_bytes=10)

    assert error.transient is False


def test_allow_private_none_reads_the_setting(settings, http_target: HttpTarget) -> None:  # noqa: ANN001
    settings.ALLOW_PRIVATE_TARGETS = False
    fails("blocked_address", "GET", http_target.url, timeout_ms=2000, max_bytes=10)

    settings.ALLOW_PRIVATE_TARGETS = True
    assert send("GET", http_target.url, timeout_ms=2000, max_bytes=10).status_code == 200


# --- body caps (IN-06, IN-07) ------------------------------------------------------------------------


def test_in_06_body_over_the_cap_is_truncated(http_target: HttpTarget) -> None:
    http_target.set_reply(200, b"a" * 5_000_000)

    response = send("GET", http_target.url, timeout_ms=5000, max_bytes=1000, allow_private=True)

    assert response.body_truncated is True
    assert response.body == b"a" * 1000


def test_in_06_body_exactly_at_the_cap_is_not_truncated(http_target: HttpTarget) -> None:
    http_target.set_reply(200, b"a" * 1000)

    response = send("GET", http_target.url, timeout_ms=5000, max_bytes=1000, allow_private=True)

    assert (len(response.body), response.body_truncated) == (1000, False)


def test_in_06_endless_body_is_cut_at_the_cap_with_bounded_memory(server: ScriptedServer) -> None:
    cap = 1024 * 1024
    server.routes["/endless"] = stream_forever()

    tracemalloc.start()
    try:
        started = time.monotonic()
        response = send("GET", server.url + "/endless", timeout_ms=10_000, max_bytes=cap, allow_private=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.body_truncated is True
    assert len(response.body) == cap
    assert peak < 3 * cap
    assert time.monotonic() - started < 5


def test_in_07_gzip_bomb_stops_at_the_decoded_cap(server: ScriptedServer) -> None:
    cap = 256 * 1024
    bomb = gzip.compress(b"\0" * (50 * 1024 * 1024), compresslevel=9)
    server.routes["/bomb"] = reply(200, bomb, {"Content-Encoding": "gzip"})

    tracemalloc.start()
    try:
        response = send("GET", server.url + "/bomb", timeout_ms=10_000, max_bytes=cap, allow_private=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.body_truncated is True
    assert response.body == b"\0" * cap
    assert peak < 3 * cap + 2 * len(bomb)


def test_gzip_body_is_decoded(server: ScriptedServer) -> None:
    server.routes["/gz"] = reply(200, gzip.compress(b"hello " * 100), {"Content-Encoding": "gzip"})

    response = send("GET", server.url + "/gz", timeout_ms=5000, max_bytes=10_000, allow_private=True)

    assert response.body == b"hello " * 100


def test_encodings_not_asked_for_are_kept_as_sent(server: ScriptedServer) -> None:
    server.routes["/br"] = reply(200, b"\x8b\x02\x80raw", {"Content-Encoding": "br"})

    response = send("GET", server.url + "/br", timeout_ms=5000, max_bytes=100, allow_private=True)

    assert response.body == b"\x8b\x02\x80raw"


def test_broken_gzip_is_an_invalid_response(server: ScriptedServer) -> None:
    server.routes["/bad"] = reply(200, b"this is not gzip", {"Content-Encoding": "gzip"})

    error = fails("invalid_response", "GET", server.url + "/bad", timeout_ms=5000, max_bytes=100, allow_private=True)

    assert error.transient is False


# --- timeouts (IN-08) ------------------------------------------------------------------------------------


def test_in_08_drip_server_ends_at_the_total_deadline(server: ScriptedServer) -> None:
    server.routes["/drip"] = drip(0.05)

    started = time.monotonic()
    error = fails("timeout", "GET", server.url + "/drip", timeout_ms=1000, max_bytes=10_000_000, allow_private=True)
    took = time.monotonic() - started

    assert 0.9 <= took < 2.0
    assert error.transient is True


def test_in_08_silent_server_is_a_read_timeout(http_target: HttpTarget) -> None:
    http_target.set_reply(200, b"late", delay_seconds=3)

    started = time.monotonic()
    error = fails("read_timeout", "GET", http_target.url, timeout_ms=800, max_bytes=100, allow_private=True)

    assert 0.7 <= time.monotonic() - started < 2.0
    assert error.transient is True


def test_in_08_accept_and_never_respond_is_a_read_timeout() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)  # the kernel completes the handshake; nobody ever reads or writes
        port = listener.getsockname()[1]

        started = time.monotonic()
        fails("read_timeout", "GET", f"http://127.0.0.1:{port}/", timeout_ms=700, max_bytes=10, allow_private=True)

    assert time.monotonic() - started < 2.0


def test_in_08_stalled_tls_handshake_is_a_tls_timeout() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)  # TCP connects, the server hello never comes
        port = listener.getsockname()[1]

        started = time.monotonic()
        error = fails(
            "tls_timeout", "GET", f"https://127.0.0.1:{port}/", timeout_ms=700, max_bytes=10, allow_private=True
        )

    assert time.monotonic() - started < 2.0
    assert error.transient is True


def test_in_08_deadline_covers_every_redirect_hop(server: ScriptedServer) -> None:
    def slow_redirect(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(0.4)
        redirect("/slow")(handler)

    server.routes["/slow"] = slow_redirect

    started = time.monotonic()
    with pytest.raises(HttpError) as info:
        send("GET", server.url + "/slow", timeout_ms=1000, max_bytes=10, max_redirects=10, allow_private=True)

    assert info.value.kind in ("timeout", "read_timeout")
    assert time.monotonic() - started < 2.0


# --- SSRF: addresses, pinning, rebinding ---------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.1", "2130706433", "0x7f000001", "0177.0.0.1", "[::ffff:127.0.0.1]", "localhost"]
)
def test_ssrf_01_loopback_blocked_when_private_not_allowed(server: ScriptedServer, host: str) -> None:
    url = f"http://{host}:{server.port}/"

    error = fails("blocked_address", "GET", url, timeout_ms=2000, max_bytes=10, allow_private=False)

    assert error.transient is False
    assert server.connections == 0
    assert server.requests == []


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/", "http://[fe80::1]/", "http://0.0.0.0/"],
)
def test_ssrf_01_metadata_blocked_even_when_private_allowed(url: str, loopback_only: list[tuple[str, int]]) -> None:
    fails("blocked_address", "GET", url, timeout_ms=2000, max_bytes=10, allow_private=True)

    assert loopback_only == []


def test_ssrf_02_one_bad_apple_refuses_the_fetch(server: ScriptedServer, fake_dns: FakeDns) -> None:
    fake_dns.records["mixed.test"] = ["127.0.0.1", "169.254.169.254"]

    fails(
        "blocked_address", "GET", f"http://mixed.test:{server.port}/", timeout_ms=2000, max_bytes=10, allow_private=True
    )

    assert server.connections == 0


def test_ssrf_03_target_that_rebinds_after_save_is_blocked_at_fetch(server: ScriptedServer, fake_dns: FakeDns) -> None:
    url = f"http://flip.test:{server.port}/"
    fake_dns.records["flip.test"] = ["93.184.216.34"]
    assert netguard.validate_target_url(url, allow_private=False) == url

    fake_dns.records["flip.test"] = ["127.0.0.1"]
    error = fails("blocked_address", "GET", url, timeout_ms=2000, max_bytes=10, allow_private=False)

    assert "127.0.0.1" in error.message
    assert server.connections == 0


def test_ssrf_04_connection_is_pinned_to_the_checked_address(
    server: ScriptedServer, fake_dns: FakeDns, loopback_only: list[tuple[str, int]]
) -> None:
    server.routes["/"] = reply(200, b"pinned")
    fake_dns.records["pinned.test"] = ["127.0.0.1"]

    response = send("GET", f"http://pinned.test:{server.port}/", timeout_ms=3000, max_bytes=100, allow_private=True)

    assert response.body == b"pinned"
    assert fake_dns.calls == [("pinned.test", server.port)]
    assert loopback_only == [("127.0.0.1", server.port)]
    assert server.requests[0].headers["Host"] == f"pinned.test:{server.port}"


def test_ssrf_04_rebinding_resolver_is_asked_once_per_hop(server: ScriptedServer, fake_dns: FakeDns) -> None:
    server.routes["/"] = reply(200, b"ok")
    answers = iter([["127.0.0.1"], ["169.254.169.254"]] * 10)
    fake_dns.records["rebind.test"] = lambda: next(answers)

    outcomes = []
    for _ in range(20):
        try:
            send("GET", f"http://rebind.test:{server.port}/", timeout_ms=3000, max_bytes=10, allow_private=True)
            outcomes.append("ok")
        except HttpError as exc:
            outcomes.append(exc.kind)

    assert outcomes == ["ok", "blocked_address"] * 10
    assert len(fake_dns.calls) == 20
    assert len(server.requests) == 10
    assert {seen.headers["Host"] for seen in server.requests} == {f"rebind.test:{server.port}"}


# --- redirects (SSRF-05, -06, -07) ---------------------------------------------------------------------


def test_max_redirects_zero_returns_the_3xx_as_is(server: ScriptedServer) -> None:
    server.routes["/old"] = redirect("/new", status=301)

    response = send("GET", server.url + "/old", timeout_ms=3000, max_bytes=100, allow_private=True)

    assert response.status_code == 301
    assert response.headers["Location"] == "/new"
    assert response.redirects == ()
    assert server.paths() == ["/old"]


def test_3xx_body_is_capped_and_never_read_in_full(server: ScriptedServer) -> None:
    server.routes["/loop"] = stream_forever(302, {"Location": "/elsewhere"})

    started = time.monotonic()
    response = send("GET", server.url + "/loop", timeout_ms=5000, max_bytes=1000, allow_private=True)

    assert response.status_code == 302
    assert (len(response.body), response.body_truncated) == (1000, True)
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_are_followed_and_recorded(server: ScriptedServer, status: int) -> None:
    server.routes["/a"] = redirect("/b", status)
    server.routes["/b"] = redirect(f"{server.url}/c?x=1", status)
    server.routes["/c"] = reply(200, b"landed")

    response = send("GET", server.url + "/a", timeout_ms=3000, max_bytes=100, max_redirects=5, allow_private=True)

    assert response.body == b"landed"
    assert response.redirects == (f"{server.url}/b", f"{server.url}/c?x=1")
    assert response.url == f"{server.url}/c?x=1"
    assert server.paths() == ["/a", "/b", "/c?x=1"]


def test_raw_characters_in_location_are_percent_encoded(server: ScriptedServer) -> None:
    server.routes["/a"] = redirect("/caf\u00e9 menu".encode().decode("latin-1"))
    server.routes["/caf%C3%A9%20menu"] = reply(200, b"menu")

    response = send("GET", server.url + "/a", timeout_ms=3000, max_bytes=100, max_redirects=1, allow_private=True)

    assert response.body == b"menu"
    assert server.paths() == ["/a", "/caf%C3%A9%20menu"]


def test_303_turns_a_post_into_a_get_without_the_body(server: ScriptedServer) -> None:
    server.routes["/form"] = redirect("/done", 303)
    server.routes["/done"] = reply(200, b"done")

    send(
        "POST",
        server.url + "/form",
        timeout_ms=3000,
        max_bytes=100,
        body=b"secret=1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        max_redirects=1,
        allow_private=True,
    )

    first, second = server.requests
    assert (first.method, first.body) == ("POST", b"secret=1")
    assert (second.method, second.body) == ("GET", b"")
    assert "Content-Type" not in second.headers


def test_307_keeps_the_method_and_body(server: ScriptedServer) -> None:
    server.routes["/form"] = redirect("/done", 307)
    server.routes["/done"] = reply(200, b"done")

    send("PUT", server.url + "/form", timeout_ms=3000, max_bytes=100, body=b"v", max_redirects=1, allow_private=True)

    assert [(seen.method, seen.body) for seen in server.requests] == [("PUT", b"v"), ("PUT", b"v")]


@pytest.mark.parametrize(
    "location",
    [
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_FLUSHALL",
        "dict://127.0.0.1:11211/stat",
        "http://169.254.169.254/latest/meta-data/",
        "//169.254.169.254/",
        "http://[fd00:ec2::254]/",
        "http://[fe80::1%25eth0]/",
        "http://0.0.0.0:6379/",
        "http://u:p@127.0.0.1/",
        "http://meta.test/",
        "http://mixed.test/",
    ],
)
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_ssrf_05_redirect_to_a_blocked_target_is_refused(
    server: ScriptedServer, fake_dns: FakeDns, loopback_only: list[tuple[str, int]], location: str, status: int
) -> None:
    fake_dns.records["meta.test"] = ["169.254.169.254"]
    fake_dns.records["mixed.test"] = ["127.0.0.1", "fd00:ec2::254"]
    server.routes["/go"] = redirect(location, status)

    error = fails(
        "redirect_blocked",
        "GET",
        server.url + "/go",
        timeout_ms=3000,
        max_bytes=10,
        max_redirects=5,
        allow_private=True,
    )

    assert error.transient is False
    assert server.paths() == ["/go"]
    assert loopback_only == [("127.0.0.1", server.port)]  # nothing but the first hop was connected


@pytest.fixture
def canary() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer(host="127.0.0.2")
    yield scripted
    scripted.stop()


@pytest.mark.parametrize(
    "location", ["http://127.0.0.2:{port}/", "//127.0.0.2:{port}/", "http://internal.test:{port}/"]
)
def test_ssrf_05_redirect_to_loopback_refused_when_private_not_allowed(
    server: ScriptedServer, canary: ScriptedServer, fake_dns: FakeDns, monkeypatch: pytest.MonkeyPatch, location: str
) -> None:
    # Only a public target can redirect when private targets are not allowed, and every test server
    # is on loopback: let the classifier treat 127.0.0.1 (the first hop) as public, nothing else.
    real = netguard.is_blocked_address

    def is_blocked_address(ip: Any, *, allow_private: bool) -> bool:
        return False if str(ip) == "127.0.0.1" else real(ip, allow_private=allow_private)

    monkeypatch.setattr(netguard, "is_blocked_address", is_blocked_address)
    fake_dns.records["public.test"] = ["127.0.0.1"]
    fake_dns.records["internal.test"] = ["127.0.0.2"]
    server.routes["/go"] = redirect(location.format(port=canary.port))

    fails(
        "redirect_blocked",
        "GET",
        f"http://public.test:{server.port}/go",
        timeout_ms=3000,
        max_bytes=10,
        max_redirects=5,
        allow_private=False,
    )

    assert server.paths() == ["/go"]
    assert canary.connections == 0


def test_ssrf_06_chain_longer_than_max_redirects(server: ScriptedServer) -> None:
    for hop in range(7):
        server.routes[f"/r{hop}"] = redirect(f"/r{hop + 1}")

    error = fails(
        "too_many_redirects",
        "GET",
        server.url + "/r0",
        timeout_ms=5000,
        max_bytes=10,
        max_redirects=5,
        allow_private=True,
    )

    assert server.paths() == ["/r0", "/r1", "/r2", "/r3", "/r4", "/r5"]
    assert error.extra["redirects"] == [f"{server.url}/r{hop}" for hop in range(1, 7)]
    assert error.transient is False


def test_ssrf_07_cross_origin_redirect_drops_credentials_and_user_headers(
    server: ScriptedServer, second_server: ScriptedServer, fake_dns: FakeDns
) -> None:
    fake_dns.records["hop2.test"] = ["127.0.0.1"]
    server.routes["/start"] = redirect(f"http://hop2.test:{second_server.port}/land")
    second_server.routes["/land"] = redirect(f"{server.url}/back")  # back to the first origin
    server.routes["/back"] = reply(200, b"home")
    secrets = {"Authorization": "Bearer s3cret", "Cookie": "session=abc", "X-Api-Key": "k1"}

    response = send(
        "GET",
        server.url + "/start",
        timeout_ms=3000,
        max_bytes=100,
        headers=secrets,
        max_redirects=5,
        allow_private=True,
    )

    assert response.body == b"home"
    start, back = server.requests
    [land] = second_server.requests
    assert {name: start.headers.get(name) for name in secrets} == secrets
    for seen in (land, back):
        assert not set(secrets) & set(seen.headers), seen.headers
        assert seen.headers["User-Agent"] == USER_AGENT
    assert land.headers["Host"] == f"hop2.test:{second_server.port}"
    assert fake_dns.calls == [("hop2.test", second_server.port)]


def test_ssrf_07_same_origin_redirect_keeps_user_headers(server: ScriptedServer) -> None:
    server.routes["/start"] = redirect("/land")
    server.routes["/land"] = reply(200, b"ok")
    secrets = {"Authorization": "Bearer s3cret", "Cookie": "session=abc", "X-Api-Key": "k1"}

    send(
        "GET",
        server.url + "/start",
        timeout_ms=3000,
        max_bytes=100,
        headers=secrets,
        max_redirects=5,
        allow_private=True,
    )

    for seen in server.requests:
        assert {name: seen.headers.get(name) for name in secrets} == secrets


def test_cookies_set_by_a_target_are_not_replayed(server: ScriptedServer) -> None:
    server.routes["/login"] = reply(302, b"", {"Location": "/next", "Set-Cookie": "sid=from-target; Path=/"})
    server.routes["/next"] = reply(200, b"ok")

    send("GET", server.url + "/login", timeout_ms=3000, max_bytes=100, max_redirects=1, allow_private=True)

    assert "Cookie" not in server.requests[1].headers


# --- the environment (SSRF-08) -------------------------------------------------------------------------------


def test_ssrf_08_proxy_variables_and_netrc_are_ignored(
    server: ScriptedServer, second_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    proxy = second_server
    proxy.default = reply(200, b"from the proxy")  # a proxy is asked for absolute URLs
    server.routes["/"] = reply(200, b"direct")
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, proxy.url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login robot password hunter2\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))

    # Control: a default requests session would go through the proxy, so this test can fail.
    assert requests.get(server.url + "/", timeout=3).content == b"from the proxy"
    assert proxy.connections == 1

    response = send("GET", server.url + "/", timeout_ms=3000, max_bytes=100, allow_private=True)

    assert response.body == b"direct"
    assert proxy.connections == 1
    assert "Authorization" not in server.requests[0].headers


# --- TLS (IN-09) ---------------------------------------------------------------------------------------------


@pytest.fixture
def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(  # noqa: S603 - fixed arguments
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=secure.test",
         "-addext", "subjectAltName=DNS:secure.test", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def test_in_09_tls_uses_the_original_name_for_sni_and_verifies_the_certificate(
    self_signed: tuple[Path, Path], fake_dns: FakeDns, loopback_only: list[tuple[str, int]]
) -> None:
    cert, key = self_signed
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server_names: list[str | None] = []
    context.sni_callback = lambda _sock, name, _ctx: server_names.append(name)  # type: ignore[assignment,return-value]
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve_one() -> None:
        conn, _ = listener.accept()
        try:
            with context.wrap_socket(conn, server_side=True):
                pass
        except (ssl.SSLError, OSError):
            pass  # the client refuses the self-signed certificate
        finally:
            conn.close()

    thread = threading.Thread(target=serve_one, daemon=True)
    thread.start()
    fake_dns.records["secure.test"] = ["127.0.0.1"]

    try:
        error = fails(
            "tls_error", "GET", f"https://secure.test:{port}/", timeout_ms=5000, max_bytes=10, allow_private=True
        )
    finally:
        thread.join(5)
        listener.close()

    assert server_names == ["secure.test"]
    assert loopback_only == [("127.0.0.1", port)]
    assert "certificate" in error.message.lower()


@pytest.fixture
def https_server(self_signed: tuple[Path, Path]) -> Iterator[ScriptedServer]:
    cert, key = self_signed
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    scripted = ScriptedServer(tls=context)
    scripted.routes["/"] = reply(200, b"secure")
    yield scripted
    scripted.stop()


@pytest.mark.parametrize(("name", "outcome"), [("secure.test", "ok"), ("other.test", "tls_error")])
def test_in_09_certificate_is_checked_against_the_original_name_not_the_pinned_ip(
    https_server: ScriptedServer,
    self_signed: tuple[Path, Path],
    fake_dns: FakeDns,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    outcome: str,
) -> None:
    # Trust the test certificate (DNS:secure.test only, no IP address) as the CA bundle. Checked
    # against the pinned 127.0.0.1 it would fail; against the URL's name it passes for secure.test.
    monkeypatch.setattr(requests.adapters, "DEFAULT_CA_BUNDLE_PATH", str(self_signed[0]))
    fake_dns.records[name] = ["127.0.0.1"]
    url = f"https://{name}:{https_server.port}/"

    if outcome == "ok":
        response = send("GET", url, timeout_ms=5000, max_bytes=100, allow_private=True)
        assert response.body == b"secure"
        assert https_server.requests[0].headers["Host"] == f"{name}:{https_server.port}"
    else:
        error = fails(outcome, "GET", url, timeout_ms=5000, max_bytes=100, allow_private=True)
        assert "other.test" in error.message
        assert "match" in error.message
        assert https_server.requests == []
