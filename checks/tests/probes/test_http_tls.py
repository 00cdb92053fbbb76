"""probe_http over TLS against real local HTTPS servers with trustme certificates (RELIABILITY.md IN-09).

The trusted roots are the one thing swapped: requests' CA bundle path points at the test CA when
a test trusts it. Names resolve through a fake resolver to 127.0.0.1; a tripwire on urllib3's
create_connection records every address a socket is opened to.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests.adapters
import trustme
import urllib3.util.connection

from checks.probes.http import probe_http
from core import netguard
from core.tests.http_servers import ScriptedServer, reply
from monitors.models import Monitor

NOW = datetime.now(tz=UTC)


def https_monitor(url: str, **fields: Any) -> Monitor:
    defaults: dict[str, Any] = {"timeout_seconds": 5, "connect_timeout_seconds": 3, "read_timeout_seconds": 3}
    return Monitor(kind=Monitor.Kind.HTTP, name="https probe", url=url, **(defaults | fields))


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def trust(ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the test CA the system's trusted roots for the client."""
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setattr(requests.adapters, "DEFAULT_CA_BUNDLE_PATH", str(bundle))


@pytest.fixture(autouse=True)
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    real = urllib3.util.connection.create_connection
    seen: list[tuple[str, int]] = []

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        seen.append(address)
        assert ipaddress.ip_address(address[0].strip("[]")).is_loopback, address
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    return seen


@pytest.fixture(autouse=True)
def names(monkeypatch: pytest.MonkeyPatch) -> None:
    hosts = {"secure.example", "other.example", "api.example"}

    def resolve(host: str, port: int) -> list[str]:
        if host.rstrip(".") in hosts:
            return ["127.0.0.1"]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(netguard, "resolve_host", resolve)


class HttpsServer(ScriptedServer):
    """ScriptedServer over TLS with a trustme leaf; records the SNI name of every handshake."""

    def __init__(self, cert: trustme.LeafCert) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(context)
        self.server_names: list[str | None] = []
        context.sni_callback = self._sni  # type: ignore[assignment]
        super().__init__(tls=context)
        self.routes["/"] = reply(200, b"secure")

    def _sni(self, _sock: ssl.SSLObject, name: str | None, _context: ssl.SSLContext) -> None:
        self.server_names.append(name)

    def url_for(self, host: str) -> str:
        return f"https://{host}:{self.port}/"


def serve(cert: trustme.LeafCert) -> Iterator[HttpsServer]:
    server = HttpsServer(cert)
    yield server
    server.stop()


VALID_UNTIL = (NOW + timedelta(days=40)).replace(microsecond=0)


@pytest.fixture
def valid(ca: trustme.CA) -> Iterator[HttpsServer]:
    yield from serve(ca.issue_cert("secure.example", not_after=VALID_UNTIL))


@pytest.fixture
def expired(ca: trustme.CA) -> Iterator[HttpsServer]:
    cert = ca.issue_cert("secure.example", not_before=NOW - timedelta(days=90), not_after=NOW - timedelta(days=3))
    yield from serve(cert)


@pytest.fixture
def not_yet_valid(ca: trustme.CA) -> Iterator[HttpsServer]:
    cert = ca.issue_cert("secure.example", not_before=NOW + timedelta(days=2), not_after=NOW + timedelta(days=90))
    yield from serve(cert)


def test_in_09_valid_certificate_is_up_and_its_expiry_recorded(valid: HttpsServer, trust: None) -> None:
    outcome = probe_http(https_monitor(valid.url_for("secure.example")))

    assert outcome.ok, outcome.error
    assert outcome.details["tls_not_after"] == VALID_UNTIL.isoformat()


def test_in_09_sni_and_certificate_check_use_the_name_while_connecting_to_the_pinned_ip(
    valid: HttpsServer, trust: None, connections: list[tuple[str, int]]
) -> None:
    outcome = probe_http(https_monitor(valid.url_for("secure.example")))

    assert outcome.ok, outcome.error
    assert valid.server_names == ["secure.example"]
    assert connections == [("127.0.0.1", valid.port)]
    assert valid.requests[0].headers["Host"] == f"secure.example:{valid.port}"


def test_in_09_certificate_for_another_name_is_a_hostname_mismatch(valid: HttpsServer, trust: None) -> None:
    outcome = probe_http(https_monitor(valid.url_for("other.example")))

    assert (outcome.ok, outcome.error_kind) == (False, "tls_hostname_mismatch")
    assert outcome.error == "certificate does not match other.example (hostname mismatch)"
    assert valid.server_names == ["other.example"]
    assert valid.requests == []


def test_in_09_verify_off_then_verify_on_for_the_same_self_signed_host(valid: HttpsServer) -> None:
    """CVE-2024-35195: a verify=False check must not lend its connection (or its leniency) to a verifying one."""
    url = valid.url_for("secure.example")  # the test CA is not trusted here

    lenient = probe_http(https_monitor(url, verify_tls=False))
    strict = probe_http(https_monitor(url, verify_tls=True))
    lenient_again = probe_http(https_monitor(url, verify_tls=False))

    assert lenient.ok, lenient.error
    assert lenient.details["tls_not_after"] == VALID_UNTIL.isoformat()
    assert (strict.ok, strict.error_kind) == (False, "tls_untrusted")
    assert strict.error.startswith("certificate not trusted (")
    assert lenient_again.ok
    assert len(valid.requests) == 2  # the strict check never sent its request


def test_in_09_expired_certificate_says_when(expired: HttpsServer, trust: None) -> None:
    outcome = probe_http(https_monitor(expired.url_for("secure.example")))

    day = (NOW - timedelta(days=3)).date().isoformat()
    assert (outcome.ok, outcome.error_kind) == (False, "tls_expired")
    assert outcome.error == f"TLS certificate expired on {day}"
    assert outcome.details["tls_not_after"].startswith(day)
    assert expired.requests == []  # the second handshake only read the certificate


def test_in_09_expired_certificate_passes_with_verification_off(expired: HttpsServer) -> None:
    outcome = probe_http(https_monitor(expired.url_for("secure.example"), verify_tls=False))

    assert outcome.ok, outcome.error
    assert outcome.details["tls_not_after"].startswith((NOW - timedelta(days=3)).date().isoformat())


def test_in_09_certificate_not_yet_valid(not_yet_valid: HttpsServer, trust: None) -> None:
    outcome = probe_http(https_monitor(not_yet_valid.url_for("secure.example")))

    day = (NOW + timedelta(days=2)).date().isoformat()
    assert (outcome.error_kind, outcome.error) == ("tls_not_yet_valid", f"TLS certificate not valid until {day}")


def test_in_09_self_signed_certificate_is_not_trusted(tmp_path: Path) -> None:
    own_ca = trustme.CA()  # a CA nobody trusts signs the leaf
    server = HttpsServer(own_ca.issue_cert("secure.example"))
    try:
        outcome = probe_http(https_monitor(server.url_for("secure.example")))
    finally:
        server.stop()

    assert (outcome.error_kind, outcome.error.split(" (")[0]) == ("tls_untrusted", "certificate not trusted")


def test_in_09_plain_http_records_no_certificate(valid: HttpsServer) -> None:
    plain = ScriptedServer()
    plain.routes["/"] = reply(200, b"plain")
    try:
        outcome = probe_http(https_monitor(plain.url + "/"))
    finally:
        plain.stop()

    assert outcome.ok
    assert "tls_not_after" not in outcome.details


def test_in_09_redirect_from_https_to_http_records_no_certificate(valid: HttpsServer, trust: None) -> None:
    plain = ScriptedServer()
    plain.routes["/"] = reply(200, b"plain")
    valid.routes["/"] = reply(302, b"", {"Location": plain.url + "/"})
    try:
        outcome = probe_http(https_monitor(valid.url_for("secure.example")))
    finally:
        plain.stop()

    assert outcome.ok, outcome.error
    assert outcome.details == {"redirects": [plain.url + "/"]}
