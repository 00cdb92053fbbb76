"""The TLS certificate probe against real local TLS servers with trustme certificates made in the test."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import trustme

from checks.probes import probe
from checks.probes.tls import probe_tls
from checks.tests.probes.conftest import make_probe_monitor
from checks.tests.probes.tls_server import tls_server
from monitors.models import Monitor


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA(organization_name="Driftwatch Test CA")


@pytest.fixture(autouse=True)
def trust_test_ca(ca: trustme.CA, tmp_path: Path, settings, fake_dns) -> None:
    """The probe trusts the system CAs plus the test CA; api.example and other.example point at 127.0.0.1."""
    bundle = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    settings.CHECKS_EXTRA_CA_FILE = str(bundle)
    fake_dns({"api.example": ["127.0.0.1"], "other.example": ["127.0.0.1"]})


def tls(port: int, host: str = "api.example", **fields: object) -> Monitor:
    return make_probe_monitor(Monitor.Kind.TLS, host=host, port=port, **({"days_before_expiry": 14} | fields))


def valid_for(days: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


@pytest.fixture
def valid_server(ca: trustme.CA) -> Iterator:
    with tls_server(ca.issue_cert("api.example", "www.api.example", not_after=valid_for(90.5))) as server:
        yield server


def test_tls_valid_certificate_is_up_with_its_facts(valid_server) -> None:
    outcome = probe(tls(valid_server.port))

    assert outcome.ok, outcome.error
    assert not outcome.degraded
    details = outcome.details
    assert details["days_left"] == 90
    assert details["san"] == ["api.example", "www.api.example"]
    assert "O=Driftwatch Test CA" in str(details["issuer"])
    assert details["not_after"][:10] == valid_for(90.5).date().isoformat()
    assert details["address"] == "127.0.0.1"
    assert outcome.latency_ms is not None


def test_in_09_tls_sni_keeps_the_name_while_the_connection_goes_to_the_checked_address(valid_server) -> None:
    outcome = probe_tls(tls(valid_server.port))
    assert outcome.ok, outcome.error
    assert valid_server.server_names == ["api.example"]


def test_tls_ip_literal_host_is_matched_against_ip_sans(ca: trustme.CA) -> None:
    with tls_server(ca.issue_cert("127.0.0.1")) as server:
        outcome = probe_tls(tls(server.port, host="127.0.0.1"))
    assert outcome.ok, outcome.error


def test_tls_expiring_inside_the_window_is_degraded(ca: trustme.CA) -> None:
    not_after = valid_for(3.5)
    with tls_server(ca.issue_cert("api.example", not_after=not_after)) as server:
        outcome = probe_tls(tls(server.port))

    assert (outcome.ok, outcome.degraded, outcome.error_kind) == (True, True, "tls_expiring")
    assert outcome.error == f"certificate expires in 3 days, on {not_after.date().isoformat()}"
    assert outcome.details["days_left"] == 3


def test_tls_expiring_outside_a_short_window_is_up(ca: trustme.CA) -> None:
    with tls_server(ca.issue_cert("api.example", not_after=valid_for(3.5))) as server:
        outcome = probe_tls(tls(server.port, days_before_expiry=2))
    assert (outcome.ok, outcome.degraded) == (True, False)


def test_tls_expired_certificate_is_down_with_its_date(ca: trustme.CA) -> None:
    not_after = valid_for(-2)
    cert = ca.issue_cert("api.example", not_before=valid_for(-30), not_after=not_after)
    with tls_server(cert) as server:
        outcome = probe_tls(tls(server.port))

    assert (outcome.ok, outcome.error_kind) == (False, "tls_expired")
    assert outcome.error == f"TLS certificate expired on {not_after.date().isoformat()}"
    assert outcome.details["days_left"] == -2


def test_tls_certificate_for_another_host_is_down(ca: trustme.CA) -> None:
    with tls_server(ca.issue_cert("other.example")) as server:
        outcome = probe_tls(tls(server.port))

    assert (outcome.ok, outcome.error_kind) == (False, "tls_hostname_mismatch")
    assert outcome.error == "certificate is for other.example, not api.example"
    assert outcome.details["san"] == ["other.example"]


def test_tls_certificate_from_an_untrusted_ca_is_down() -> None:
    stranger = trustme.CA(organization_name="Nobody Trusts Me")
    with tls_server(stranger.issue_cert("api.example")) as server:
        outcome = probe_tls(tls(server.port))

    assert (outcome.ok, outcome.error_kind) == (False, "tls_untrusted")
    assert outcome.error.startswith("certificate not trusted: ")
    assert "issuer" in outcome.error or "self-signed" in outcome.error


def test_tls_without_the_extra_ca_the_test_ca_is_untrusted(valid_server, settings) -> None:
    settings.CHECKS_EXTRA_CA_FILE = ""
    assert probe_tls(tls(valid_server.port)).error_kind == "tls_untrusted"


def test_in_08_tls_server_that_never_handshakes_is_tls_timeout() -> None:
    with tls_server(None) as server:
        began = time.monotonic()
        outcome = probe_tls(tls(server.port, read_timeout_seconds=1, timeout_seconds=5))
        elapsed = time.monotonic() - began

    assert (outcome.ok, outcome.error_kind, outcome.error) == (
        False,
        "tls_timeout",
        "TLS handshake timed out after 1 s",
    )
    assert 0.9 < elapsed < 2


def test_tls_handshake_is_cut_at_the_total_deadline() -> None:
    with tls_server(None) as server:
        began = time.monotonic()
        outcome = probe_tls(tls(server.port, read_timeout_seconds=30, timeout_seconds=1))
    assert outcome.error_kind == "tls_timeout"
    assert time.monotonic() - began < 1.6


def test_tls_plain_tcp_server_that_closes_is_a_tls_error() -> None:
    import socket  # noqa: PLC0415

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.settimeout(2)

    import threading  # noqa: PLC0415

    def answer_in_plain_text() -> None:
        conn, _ = listener.accept()
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        conn.close()

    worker = threading.Thread(target=answer_in_plain_text, daemon=True)
    worker.start()
    outcome = probe_tls(tls(port))
    worker.join(2)
    listener.close()

    assert (outcome.ok, outcome.error_kind) == (False, "tls_error")
    assert outcome.error.startswith("TLS handshake failed: ")


def test_tls_closed_port_and_blocked_address() -> None:
    assert probe_tls(tls(1, host="127.0.0.1")).error_kind == "connection_refused"
    assert probe_tls(tls(443, host="169.254.169.254")).error_kind == "blocked_address"
