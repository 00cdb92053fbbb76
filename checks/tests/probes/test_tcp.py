"""The TCP probe against real sockets on 127.0.0.1 and ::1: open, closed, unreachable in time, blocked."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from checks.probes import probe
from checks.probes.tcp import probe_tcp
from checks.tests.probes.conftest import make_probe_monitor
from monitors.models import Monitor


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.create_server(("127.0.0.1", 0))
    yield sock
    sock.close()


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on: bound to find it free, then released."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture
def full_backlog() -> Iterator[int]:
    """A port whose accept queue is full, so the kernel drops new SYNs and a connect hangs until its timeout."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    held = [socket.create_connection(("127.0.0.1", port), timeout=1)]
    yield port
    for sock in held:
        sock.close()
    server.close()


def tcp(host: str, port: int | None, **fields: object) -> Monitor:
    return make_probe_monitor(Monitor.Kind.TCP, host=host, port=port, **fields)


def test_tcp_open_port_is_up_with_connect_latency(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    outcome = probe(tcp("127.0.0.1", port))

    assert outcome.ok, outcome.error
    assert outcome.error_kind == ""
    assert outcome.latency_ms is not None and 0 <= outcome.latency_ms < 1000
    assert outcome.details == {"address": "127.0.0.1", "port": port}


def test_tcp_over_ipv6_loopback() -> None:
    server = socket.create_server(("::1", 0), family=socket.AF_INET6)
    try:
        outcome = probe_tcp(tcp("[::1]", server.getsockname()[1]))
    finally:
        server.close()
    assert outcome.ok, outcome.error
    assert outcome.details["address"] == "::1"


def test_tcp_name_resolves_through_the_guard(listener: socket.socket, fake_dns) -> None:
    fake_dns({"db.example": ["127.0.0.1"]})
    outcome = probe_tcp(tcp("db.example", listener.getsockname()[1]))
    assert outcome.ok, outcome.error
    assert outcome.details["address"] == "127.0.0.1"


def test_tcp_closed_port_is_connection_refused(closed_port: int) -> None:
    outcome = probe_tcp(tcp("127.0.0.1", closed_port))

    assert not outcome.ok
    assert outcome.error_kind == "connection_refused"
    assert outcome.error == f"connection refused by 127.0.0.1:{closed_port}"


def test_tcp_tries_every_address_in_order(listener: socket.socket, fake_dns) -> None:
    # ::1 refuses (nothing listens there on this port), 127.0.0.1 accepts.
    fake_dns({"dual.example": ["::1", "127.0.0.1"]})
    outcome = probe_tcp(tcp("dual.example", listener.getsockname()[1]))
    assert outcome.ok, outcome.error
    assert outcome.details["address"] == "127.0.0.1"


def test_tcp_unresolvable_name_is_dns_error(fake_dns) -> None:
    fake_dns({})
    outcome = probe_tcp(tcp("db.example", 5432))

    assert (outcome.ok, outcome.error_kind, outcome.error) == (False, "dns_error", "DNS lookup failed for db.example")


def test_in_08_tcp_connect_timeout_ends_at_the_connect_timeout(full_backlog: int) -> None:
    began = time.monotonic()
    outcome = probe_tcp(tcp("127.0.0.1", full_backlog, connect_timeout_seconds=1, timeout_seconds=5))
    elapsed = time.monotonic() - began

    assert (outcome.ok, outcome.error_kind, outcome.error) == (
        False,
        "connect_timeout",
        "timed out after 1 s (connect)",
    )
    assert 0.9 < elapsed < 2


def test_tcp_total_deadline_caps_the_connect_timeout(full_backlog: int) -> None:
    began = time.monotonic()
    outcome = probe_tcp(tcp("127.0.0.1", full_backlog, connect_timeout_seconds=30, timeout_seconds=1))

    assert outcome.error_kind == "connect_timeout"
    assert time.monotonic() - began < 2


ALWAYS_BLOCKED = ["169.254.169.254", "[fe80::1]", "[::ffff:169.254.169.254]", "0.0.0.0", "[fd00:ec2::254]"]  # noqa: S104


@pytest.mark.parametrize("host", ALWAYS_BLOCKED)
def test_ssrf_tcp_link_local_and_metadata_are_blocked_even_with_private_targets(host: str) -> None:
    outcome = probe_tcp(tcp(host, 80))

    assert outcome.error_kind == "blocked_address"
    assert outcome.error.startswith("address blocked: ")


def test_ssrf_03_tcp_name_resolving_to_a_private_address_is_refused_without_the_opt_in(
    listener: socket.socket, fake_dns, settings
) -> None:
    settings.ALLOW_PRIVATE_TARGETS = False
    fake_dns({"flip.example": ["93.184.216.34", "127.0.0.1"]})
    outcome = probe_tcp(tcp("flip.example", listener.getsockname()[1]))

    assert outcome.error_kind == "blocked_address"
    assert outcome.error.startswith("address blocked: flip.example resolves to 127.0.0.1. Private and loopback")


def test_tcp_loopback_literal_is_refused_without_the_opt_in(listener: socket.socket, settings) -> None:
    settings.ALLOW_PRIVATE_TARGETS = False
    assert probe_tcp(tcp("127.0.0.1", listener.getsockname()[1])).error_kind == "blocked_address"


@pytest.mark.parametrize(("host", "port"), [("", 80), ("bad host", 80), ("127.0.0.1", None), ("127.0.0.1", 70000)])
def test_tcp_invalid_host_or_port_is_a_result_not_a_crash(host: str, port: int | None) -> None:
    outcome = probe_tcp(tcp(host, port))
    assert (outcome.ok, outcome.error_kind) == (False, "invalid_host")
    assert outcome.error
