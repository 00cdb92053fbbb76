"""probe_http against real local HTTP servers: success and every failure, each in words a person understands.

Monitors are built in memory (probes touch no database). Only the DNS boundary
(core.netguard.resolve_host) is replaced, for names; every connection goes to 127.0.0.1.
"""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from checks.probes.http import probe_http
from checks.probes.outcome import ProbeOutcome
from core import netguard
from core.tests.http_servers import ScriptedServer, drip, redirect, reply
from monitors.models import Monitor
from tests.servers import HttpTarget


def http_monitor(url: str, **fields: Any) -> Monitor:
    defaults: dict[str, Any] = {"timeout_seconds": 5, "connect_timeout_seconds": 2, "read_timeout_seconds": 3}
    return Monitor(kind=Monitor.Kind.HTTP, name="http probe", url=url, **(defaults | fields))


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()
    yield scripted
    scripted.stop()


@pytest.fixture
def other_server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()
    yield scripted
    scripted.stop()


@pytest.fixture
def names(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names the fake resolver knows; any other name fails as getaddrinfo does."""
    known: dict[str, list[str]] = {}

    def resolve(host: str, port: int) -> list[str]:
        try:
            return known[host.rstrip(".")]
        except KeyError:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None

    monkeypatch.setattr(netguard, "resolve_host", resolve)
    return known


def failed(outcome: ProbeOutcome, kind: str) -> str:
    assert (outcome.ok, outcome.error_kind) == (False, kind), outcome.error
    return outcome.error


# --- success ------------------------------------------------------------------------------------


def test_success_records_status_latency_size_and_no_headers(http_target: HttpTarget) -> None:
    http_target.set_reply(200, b'{"status": "ok"}', headers={"Content-Type": "application/json", "X-Secret": "s"})

    outcome = probe_http(http_monitor(http_target.url + "/health"))

    assert (outcome.ok, outcome.status_code, outcome.response_bytes, outcome.error) == (True, 200, 16, "")
    assert outcome.latency_ms is not None and outcome.latency_ms >= 0
    assert outcome.body_truncated is False
    assert "X-Secret" not in json.dumps(outcome.details) and "headers" not in outcome.details
    assert http_target.requests[0].path == "/health"


def test_method_headers_and_body_are_sent(http_target: HttpTarget) -> None:
    monitor = http_monitor(http_target.url, method="POST", headers={"X-Env": "prod"}, body='{"ping": 1}')

    assert probe_http(monitor).ok

    seen = http_target.requests[0]
    assert (seen.method, seen.headers["X-Env"], seen.body) == ("POST", "prod", b'{"ping": 1}')


# --- expected status ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "status", "message"),
    [
        ([200], 503, "expected 200, got 503"),
        ([200, 204], 500, "expected 200 or 204, got 500"),
        (["200-299"], 503, "expected 200-299, got 503"),
        ([200, "300-399", 418], 404, "expected 200, 300-399 or 418, got 404"),
    ],
)
def test_unexpected_status_says_what_was_expected(
    http_target: HttpTarget, expected: list[int | str], status: int, message: str
) -> None:
    http_target.set_reply(status, b"")

    outcome = probe_http(http_monitor(http_target.url, expected_status=expected))

    assert failed(outcome, "unexpected_status") == message
    assert outcome.status_code == status


@pytest.mark.parametrize(("expected", "status"), [(["200-299"], 204), ([200, "400-404"], 404), (["301"], 301)])
def test_status_in_a_range_or_list_is_up(http_target: HttpTarget, expected: list[int | str], status: int) -> None:
    http_target.set_reply(status, b"")

    assert probe_http(http_monitor(http_target.url, expected_status=expected, follow_redirects=False)).ok


# --- keywords -------------------------------------------------------------------------------------


def test_keyword_must_appear(http_target: HttpTarget) -> None:
    http_target.set_reply(200, b"status: degraded")

    outcome = probe_http(http_monitor(http_target.url, keyword="ok"))

    assert failed(outcome, "keyword_missing") == "keyword 'ok' not found"


def test_keyword_absent_must_not_appear(http_target: HttpTarget) -> None:
    http_target.set_reply(200, b"fatal error in worker")

    outcome = probe_http(http_monitor(http_target.url, keyword="worker", keyword_absent="error"))

    assert failed(outcome, "keyword_present") == "keyword 'error' found"


def test_both_keywords_hold(http_target: HttpTarget) -> None:
    http_target.set_reply(200, "all good ✓".encode())

    assert probe_http(http_monitor(http_target.url, keyword="good ✓", keyword_absent="error")).ok


def test_keyword_beyond_the_cap_is_not_found_and_says_so(http_target: HttpTarget, settings: Any) -> None:
    settings.CHECKS_MAX_BODY_BYTES = 1000
    http_target.set_reply(200, b"x" * 5000 + b"ok")

    outcome = probe_http(http_monitor(http_target.url, keyword="ok"))

    assert failed(outcome, "keyword_missing") == "keyword 'ok' not found in the first 1000 bytes"
    assert outcome.body_truncated is True


# --- JSON assertions ------------------------------------------------------------------------------

DOCUMENT = {
    "status": "degraded",
    "count": 3,
    "items": [{"id": 7, "price": 9.5, "tags": ["new"]}, {"id": 8, "price": 12, "tags": []}],
    "message": "all systems nominal",
    "flag": True,
}


@pytest.mark.parametrize(
    ("assertion", "message"),
    [
        ({"path": "$.status", "op": "equals", "value": "ok"}, "$.status was 'degraded', expected 'ok'"),
        ({"path": "$.count", "op": "gt", "value": 5}, "$.count was 3, expected > 5"),
        ({"path": "$.items[0].price", "op": "lt", "value": 5}, "$.items[0].price was 9.5, expected < 5"),
        ({"path": "$.data.id", "op": "exists"}, "$.data.id does not exist"),
        ({"path": "$.data.id", "op": "equals", "value": 1}, "$.data.id does not exist"),
        (
            {"path": "$.status", "op": "not_equals", "value": "degraded"},
            "$.status was 'degraded', expected anything but 'degraded'",
        ),
        ({"path": "$.items[*].id", "op": "contains", "value": 9}, "$.items[*].id was [7, 8], expected it to contain 9"),
        (
            {"path": "$.message", "op": "contains", "value": "outage"},
            "$.message was 'all systems nominal', expected it to contain 'outage'",
        ),
        ({"path": "$.flag", "op": "equals", "value": 1}, "$.flag was true, expected 1"),
        ({"path": "$.status", "op": "gt", "value": 1}, "$.status was 'degraded', expected a number > 1"),
        ({"path": "$.flag", "op": "exists", "value": False}, "$.flag exists"),
    ],
)  # fmt: skip
def test_json_assertion_failure_names_path_value_and_expectation(
    http_target: HttpTarget, assertion: dict[str, Any], message: str
) -> None:
    http_target.set_reply(200, json.dumps(DOCUMENT).encode())

    outcome = probe_http(http_monitor(http_target.url, json_assertions=[assertion]))

    assert failed(outcome, "json_assertion") == message


def test_json_assertions_that_hold(http_target: HttpTarget) -> None:
    http_target.set_reply(200, json.dumps(DOCUMENT).encode())
    assertions = [
        {"path": "$.status", "op": "equals", "value": "degraded"},
        {"path": "$.status", "op": "not_equals", "value": "down"},
        {"path": "$.count", "op": "lt", "value": 5},
        {"path": "$.count", "op": "gt", "value": 2.5},
        {"path": "$.items[1].price", "op": "equals", "value": 12.0},
        {"path": "$.items[*].id", "op": "contains", "value": 8},
        {"path": "$.items[0].tags", "op": "contains", "value": "new"},
        {"path": "$.message", "op": "contains", "value": "nominal"},
        {"path": "$.items[0].id", "op": "exists"},
        {"path": "$.missing", "op": "exists", "value": False},
        {"path": "$.flag", "op": "equals", "value": True},
    ]

    outcome = probe_http(http_monitor(http_target.url, json_assertions=assertions))

    assert outcome.ok, outcome.error


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>502 Bad Gateway</html>", "Expecting value"),
        (b"", "the body is empty"),
        (b"[" * 10_000, "nested deeper than"),
        (b'{"n": ' + b"9" * 5000 + b"}", "more than 64 digits"),
        (b'{"a": NaN}', "NaN"),
    ],
)
def test_json_assertion_on_a_body_that_is_not_json(http_target: HttpTarget, body: bytes, reason: str) -> None:
    http_target.set_reply(200, body)

    outcome = probe_http(http_monitor(http_target.url, json_assertions=[{"path": "$.status", "op": "exists"}]))

    message = failed(outcome, "not_json")
    assert message.startswith("response is not JSON (")
    assert reason in message


def test_json_assertion_on_a_truncated_body(http_target: HttpTarget, settings: Any) -> None:
    settings.CHECKS_MAX_BODY_BYTES = 100
    http_target.set_reply(200, json.dumps({"status": "ok", "pad": "x" * 500}).encode())

    outcome = probe_http(http_monitor(http_target.url, json_assertions=[{"path": "$.status", "op": "exists"}]))

    assert failed(outcome, "not_json") == "response is not JSON (the body was cut at the size cap)"


def test_status_is_checked_before_keywords_and_json(http_target: HttpTarget) -> None:
    http_target.set_reply(500, b"<html>error</html>")
    monitor = http_monitor(
        http_target.url, keyword="ok", keyword_absent="error", json_assertions=[{"path": "$.a", "op": "exists"}]
    )

    assert failed(probe_http(monitor), "unexpected_status") == "expected 200, got 500"


# --- auth -----------------------------------------------------------------------------------------


def test_basic_auth_is_sent_as_an_authorization_header(http_target: HttpTarget) -> None:
    monitor = http_monitor(http_target.url, auth_kind="basic", auth_username="ops", auth_secret="s3cr:t")

    assert probe_http(monitor).ok

    expected = "Basic " + base64.b64encode(b"ops:s3cr:t").decode()
    assert http_target.requests[0].headers["Authorization"] == expected


def test_bearer_auth_replaces_a_hand_written_authorization_header(http_target: HttpTarget) -> None:
    monitor = http_monitor(
        http_target.url, headers={"authorization": "Basic old"}, auth_kind="bearer", auth_secret="tok-123"
    )

    assert probe_http(monitor).ok

    assert http_target.requests[0].headers["Authorization"] == "Bearer tok-123"


def test_no_auth_sends_no_authorization(http_target: HttpTarget) -> None:
    assert probe_http(http_monitor(http_target.url, auth_kind="none", auth_secret="unused")).ok

    assert "Authorization" not in http_target.requests[0].headers


def test_ssrf_07_probe_credentials_are_not_sent_across_origins(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.routes["/start"] = redirect(other_server.url + "/landing")
    other_server.routes["/landing"] = reply(200, b"ok")
    monitor = http_monitor(
        server.url + "/start", auth_kind="bearer", auth_secret="tok-123", headers={"X-Api-Key": "k", "Cookie": "c=1"}
    )

    outcome = probe_http(monitor)

    assert outcome.ok, outcome.error
    assert server.requests[0].headers["Authorization"] == "Bearer tok-123"
    landed = other_server.requests[0].headers
    assert not {"Authorization", "X-Api-Key", "Cookie"} & set(landed)


def test_ssrf_07_probe_credentials_stay_on_a_same_origin_redirect(server: ScriptedServer) -> None:
    server.routes["/start"] = redirect("/landing")
    server.routes["/landing"] = reply(200, b"ok")

    assert probe_http(http_monitor(server.url + "/start", auth_kind="bearer", auth_secret="tok-123")).ok

    assert server.requests[1].headers["Authorization"] == "Bearer tok-123"


# --- redirects ------------------------------------------------------------------------------------


def test_redirects_followed_and_the_hops_recorded(server: ScriptedServer) -> None:
    server.routes["/a"] = redirect("/b", 301)
    server.routes["/b"] = redirect("/c", 307)
    server.routes["/c"] = reply(200, b"here")

    outcome = probe_http(http_monitor(server.url + "/a"))

    assert outcome.ok
    assert outcome.details["redirects"] == [server.url + "/b", server.url + "/c"]


def test_follow_redirects_off_makes_the_3xx_the_answer(server: ScriptedServer) -> None:
    server.routes["/a"] = redirect("/b", 302)

    outcome = probe_http(http_monitor(server.url + "/a", follow_redirects=False))

    assert failed(outcome, "unexpected_status") == "expected 200, got 302"
    assert server.paths() == ["/a"]
    assert "redirects" not in outcome.details


def test_follow_redirects_off_with_a_3xx_expected_is_up(server: ScriptedServer) -> None:
    server.routes["/a"] = redirect("/b", 301)

    assert probe_http(http_monitor(server.url + "/a", follow_redirects=False, expected_status=["300-399"])).ok


def test_ssrf_06_too_many_redirects_names_the_count_and_records_the_hops(server: ScriptedServer) -> None:
    for hop in range(7):
        server.routes[f"/{hop}"] = redirect(f"/{hop + 1}")

    outcome = probe_http(http_monitor(server.url + "/0", max_redirects=5))

    assert failed(outcome, "too_many_redirects") == "too many redirects (6 > 5)"
    assert outcome.details["redirects"] == [f"{server.url}/{hop}" for hop in range(1, 7)]
    assert server.paths() == [f"/{hop}" for hop in range(6)]


def test_max_redirects_is_capped_at_ten(server: ScriptedServer) -> None:
    for hop in range(15):
        server.routes[f"/{hop}"] = redirect(f"/{hop + 1}")

    outcome = probe_http(http_monitor(server.url + "/0", max_redirects=50))

    assert failed(outcome, "too_many_redirects") == "too many redirects (11 > 10)"


def test_ssrf_05_probe_redirect_to_a_blocked_address_is_refused(server: ScriptedServer) -> None:
    server.routes["/a"] = redirect("http://169.254.169.254/latest/meta-data/")

    outcome = probe_http(http_monitor(server.url + "/a"))

    assert failed(outcome, "redirect_blocked").startswith("redirect to a blocked address refused")
    assert server.paths() == ["/a"]


# --- network failures -----------------------------------------------------------------------------


def test_dns_failure_names_the_host(names: dict[str, list[str]]) -> None:
    outcome = probe_http(http_monitor("https://api.example/health"))

    assert failed(outcome, "dns_error") == "DNS lookup failed for api.example"
    assert outcome.status_code is None


def test_name_is_resolved_and_sent_as_host(names: dict[str, list[str]], http_target: HttpTarget) -> None:
    names["api.example"] = ["127.0.0.1"]

    assert probe_http(http_monitor(f"http://api.example:{http_target.port}/")).ok

    assert http_target.requests[0].headers["Host"] == f"api.example:{http_target.port}"


def test_connection_refused() -> None:
    with socket.socket() as sock:  # a port that is free now and closed when the probe runs
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    outcome = probe_http(http_monitor(f"http://127.0.0.1:{port}/"))

    assert failed(outcome, "connection_error") == f"connection refused by 127.0.0.1:{port}"


def test_read_timeout_uses_the_monitors_read_timeout() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:  # accepts, never answers
        port = listener.getsockname()[1]
        started = time.monotonic()
        outcome = probe_http(http_monitor(f"http://127.0.0.1:{port}/", read_timeout_seconds=1, timeout_seconds=5))

    assert failed(outcome, "read_timeout") == "timed out after 1 s (read)"
    assert time.monotonic() - started < 2.5


def test_total_deadline_for_a_server_that_drips(server: ScriptedServer) -> None:
    server.routes["/drip"] = drip(0.5)
    started = time.monotonic()

    outcome = probe_http(http_monitor(server.url + "/drip", read_timeout_seconds=1, timeout_seconds=2))

    assert failed(outcome, "timeout") == "no complete response within 2 s (total deadline)"
    assert 1.0 <= time.monotonic() - started <= 3.0
    assert outcome.status_code == 200  # the status line came; the body never finished


def test_connect_timeout_uses_the_monitors_connect_timeout() -> None:
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)  # never accepts: the queue fills
    port = listener.getsockname()[1]
    fillers = [socket.socket() for _ in range(3)]
    try:
        for filler in fillers:
            filler.settimeout(0.3)
            try:
                filler.connect(("127.0.0.1", port))
            except OSError:
                pass
        outcome = probe_http(http_monitor(f"http://127.0.0.1:{port}/", connect_timeout_seconds=1))
    finally:
        for filler in fillers:
            filler.close()
        listener.close()

    assert failed(outcome, "connect_timeout") == "timed out after 1 s (connect)"


def test_stalled_tls_handshake() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:  # TCP connects, no server hello ever
        port = listener.getsockname()[1]
        outcome = probe_http(http_monitor(f"https://127.0.0.1:{port}/", connect_timeout_seconds=1))

    assert failed(outcome, "tls_timeout").startswith("TLS handshake timed out")


def test_body_over_the_cap_is_cut_and_marked(http_target: HttpTarget, settings: Any) -> None:
    settings.CHECKS_MAX_BODY_BYTES = 1000
    http_target.set_reply(200, b"a" * 50_000)

    outcome = probe_http(http_monitor(http_target.url))

    assert (outcome.ok, outcome.body_truncated, outcome.response_bytes) == (True, True, 1000)
