"""The TLS certificate probe: connect through the network guard, handshake with SNI, judge the certificate.

The certificate is verified against the system CAs (plus settings.CHECKS_EXTRA_CA_FILE, for a
private CA or the tests) and the host name, by OpenSSL. When that fails because the certificate
expired or names another host, a second handshake that skips only those two checks reads the
certificate, so the result can say when it expired or which names it is for.
"""

from __future__ import annotations

import math
import socket
import ssl
import time
from datetime import UTC, datetime
from typing import Any, Final

from django.conf import settings
from django.utils import timezone

from checks.probes.outcome import ProbeOutcome
from checks.probes.tcp import guard_failure
from core.net import NetError, format_seconds, guarded_connect
from core.netguard import TargetRejected
from monitors.models import Monitor

DEFAULT_PORT: Final = 443
# OpenSSL's X509_V_FLAG_NO_CHECK_TIME, which the ssl module does not name.
_NO_CHECK_TIME: Final = 0x200000
# X509_V_ERR_* codes of ssl.SSLCertVerificationError.verify_code.
_NOT_YET_VALID: Final = 9
_EXPIRED: Final = 10
_HOSTNAME_MISMATCH: Final = 62
_SHORT_NAMES: Final = {"commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU", "countryName": "C"}

Cert = dict[str, Any]


def _context(*, strict: bool) -> ssl.SSLContext:
    context = ssl.create_default_context()
    extra = settings.CHECKS_EXTRA_CA_FILE
    if extra:
        context.load_verify_locations(cafile=extra)
    if not strict:  # the chain must still be trusted; only the clock and the host name are not checked
        context.check_hostname = False
        context.verify_flags |= _NO_CHECK_TIME
    return context


def _handshake(sock: socket.socket, server_name: str, *, strict: bool, seconds: float) -> Cert:
    sock.settimeout(max(seconds, 0.01))
    with _context(strict=strict).wrap_socket(sock, server_hostname=server_name) as tls:
        return tls.getpeercert() or {}


def _name(rdns: Any) -> str:
    parts = [f"{_SHORT_NAMES.get(key, key)}={value}" for rdn in rdns or () for key, value in rdn]
    return ", ".join(parts)


def _not_after(cert: Cert) -> datetime:
    return datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), tz=UTC)


def _cert_details(cert: Cert, now: datetime) -> dict[str, object]:
    not_after = _not_after(cert)
    return {
        "not_after": not_after.isoformat(),
        # Whole days, toward zero: 3.9 days left is 3, expired 2.5 days ago is -2.
        "days_left": math.trunc((not_after - now).total_seconds() / 86400),
        "issuer": _name(cert.get("issuer")),
        "subject": _name(cert.get("subject")),
        "san": [value for _kind, value in cert.get("subjectAltName", ())],
    }


def _day(iso: object) -> str:
    return str(iso)[:10]


class _Run:
    """One probe run: the monitor, its deadline and what it found so far."""

    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor
        self.started_at = timezone.now()
        self.began = time.monotonic()
        self.deadline = self.began + monitor.timeout_seconds
        self.server_name = monitor.host.strip().strip("[]").rstrip(".")
        self.port = monitor.port or DEFAULT_PORT

    def handshake_budget(self) -> float:
        return min(float(self.monitor.read_timeout_seconds), self.deadline - time.monotonic())

    def elapsed_ms(self) -> int:
        return round((time.monotonic() - self.began) * 1000)

    def outcome(self, *, ok: bool, kind: str = "", error: str = "", **extra: Any) -> ProbeOutcome:
        return ProbeOutcome(started_at=self.started_at, ok=ok, error_kind=kind, error=error, **extra)


def probe_tls(monitor: Monitor) -> ProbeOutcome:
    """Check the certificate at host:port (443 by default): DOWN when invalid or expired, DEGRADED near expiry."""
    run = _Run(monitor)
    try:
        sock, ip, connect_ms = guarded_connect(
            monitor.host, run.port, timeout_s=monitor.connect_timeout_seconds, deadline=run.deadline
        )
    except (TargetRejected, NetError) as exc:
        return guard_failure(run.started_at, exc)
    budget = run.handshake_budget()
    try:
        cert = _handshake(sock, run.server_name, strict=True, seconds=budget)
    except ssl.SSLCertVerificationError as exc:
        return _verify_failure(run, str(ip), exc)
    except TimeoutError:
        return run.outcome(
            ok=False, kind="tls_timeout", error=f"TLS handshake timed out after {format_seconds(budget)} s"
        )
    except (ssl.SSLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc.strerror or str(exc)
        return run.outcome(ok=False, kind="tls_error", error=f"TLS handshake failed: {reason}")
    finally:
        sock.close()
    now = timezone.now()
    details = _cert_details(cert, now) | {"address": str(ip), "connect_ms": connect_ms}
    days_left = int(details["days_left"])  # type: ignore[call-overload]
    if _not_after(cert) <= now:  # expired in the moment since OpenSSL looked
        return run.outcome(
            ok=False,
            kind="tls_expired",
            error=f"TLS certificate expired on {_day(details['not_after'])}",
            details=details,
            latency_ms=run.elapsed_ms(),
        )
    if days_left < monitor.days_before_expiry:
        when = "in less than a day" if days_left == 0 else f"in {days_left} day{'s' if days_left != 1 else ''}"
        return run.outcome(
            ok=True,
            degraded=True,
            kind="tls_expiring",
            error=f"certificate expires {when}, on {_day(details['not_after'])}",
            details=details,
            latency_ms=run.elapsed_ms(),
        )
    return run.outcome(ok=True, details=details, latency_ms=run.elapsed_ms())


def _verify_failure(run: _Run, ip: str, exc: ssl.SSLCertVerificationError) -> ProbeOutcome:
    """DOWN with the reason in words; for an expired or misnamed certificate, read it again to say more."""
    code = exc.verify_code
    details: dict[str, object] = {"address": ip, "verify_code": code}
    if code in (_EXPIRED, _NOT_YET_VALID, _HOSTNAME_MISMATCH):
        cert = _read_leniently(run, ip)
        if cert:
            details |= _cert_details(cert, timezone.now())
    if code == _EXPIRED:
        when = f" on {_day(details['not_after'])}" if "not_after" in details else ""
        return run.outcome(ok=False, kind="tls_expired", error=f"TLS certificate expired{when}", details=details)
    if code == _NOT_YET_VALID:
        return run.outcome(
            ok=False, kind="tls_not_yet_valid", error="TLS certificate is not valid yet", details=details
        )
    if code == _HOSTNAME_MISMATCH:
        names = details.get("san") or [details.get("subject", "")]
        listed = ", ".join(str(name) for name in names if name) or "another host"  # type: ignore[union-attr]
        return run.outcome(
            ok=False,
            kind="tls_hostname_mismatch",
            error=f"certificate is for {listed}, not {run.server_name}",
            details=details,
        )
    reason = exc.verify_message or exc.reason or "verification failed"
    return run.outcome(ok=False, kind="tls_untrusted", error=f"certificate not trusted: {reason}", details=details)


def _read_leniently(run: _Run, ip: str) -> Cert:
    """The certificate of a trusted chain, ignoring its dates and host name; {} when that fails or time is up."""
    try:
        sock, _ip, _ms = guarded_connect(
            ip, run.port, timeout_s=run.monitor.connect_timeout_seconds, deadline=run.deadline
        )
    except (TargetRejected, NetError):
        return {}
    try:
        return _handshake(sock, run.server_name, strict=False, seconds=run.handshake_budget())
    except (ssl.SSLError, OSError):
        return {}
    finally:
        sock.close()
