"""The HTTP(S) probe: one request through the network guard, then the monitor's assertions.

Every way a check can fail ends in a ProbeOutcome with a stable `error_kind` and a sentence a
person understands; nothing here raises for a failing target. Response headers are never stored.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any, Final

from django.conf import settings
from django.utils import timezone

from checks.assertions import Failure, check_json, check_keywords, check_status
from checks.jsonsafe import JsonOutcome, parse_json_safely
from checks.probes.outcome import ProbeOutcome
from core.http import HttpError, HttpResponse, send
from monitors.models import Monitor

MAX_REDIRECTS: Final = 10
# A finer code than core's tls_error, from why verification failed (core.http_tls).
_TLS_KINDS: Final = {
    "expired": "tls_expired",
    "not_yet_valid": "tls_not_yet_valid",
    "untrusted": "tls_untrusted",
    "hostname_mismatch": "tls_hostname_mismatch",
}


def probe_http(monitor: Monitor) -> ProbeOutcome:
    """Send the monitor's request through the network guard and apply its assertions; a failing target is data."""
    started_at = timezone.now()
    try:
        response = send(
            monitor.method,
            monitor.url,
            timeout_ms=monitor.timeout_seconds * 1000,
            connect_timeout_ms=_ms(monitor.connect_timeout_seconds),
            read_timeout_ms=_ms(monitor.read_timeout_seconds),
            max_bytes=settings.CHECKS_MAX_BODY_BYTES,
            headers=request_headers(monitor) or None,
            body=monitor.body or None,
            max_redirects=min(monitor.max_redirects, MAX_REDIRECTS) if monitor.follow_redirects else 0,
            verify_tls=monitor.verify_tls,
        )
    except HttpError as exc:
        return _failed_request(started_at, exc)
    details = _details(response)
    common: dict[str, Any] = {
        "started_at": started_at,
        "status_code": response.status_code,
        "latency_ms": response.elapsed_ms,
        "response_bytes": len(response.body),
        "body_truncated": response.body_truncated,
        "details": details,
    }
    # Parsed once, for the JSON assertions and for contract drift (never a truncated body: IN-06).
    document = None
    if monitor.json_assertions or (monitor.track_contract and not response.body_truncated):
        document = parse_json_safely(response.body, max_bytes=settings.CHECKS_MAX_BODY_BYTES)
    failure = assert_response(monitor, response, document=document)
    if failure is not None:
        return ProbeOutcome(ok=False, error_kind=failure.kind, error=failure.message, **common)
    if monitor.track_contract:
        common |= {"document": document, "content_type": response.headers.get("content-type", "")}
    return ProbeOutcome(ok=True, **common)


def assert_response(monitor: Monitor, response: HttpResponse, *, document: JsonOutcome | None = None) -> Failure | None:
    """Status first, then keywords, then JSON assertions: the first failure is the one reported."""
    failure = check_status(response.status_code, monitor.expected_status)
    if failure is None:
        failure = check_keywords(
            response.body, present=monitor.keyword, absent=monitor.keyword_absent, truncated=response.body_truncated
        )
    if failure is None and monitor.json_assertions:
        if document is None:
            document = parse_json_safely(response.body, max_bytes=settings.CHECKS_MAX_BODY_BYTES)
        failure = check_json(document, monitor.json_assertions, truncated=response.body_truncated)
    return failure


def request_headers(monitor: Monitor) -> dict[str, str]:
    """The monitor's headers plus its credentials as an Authorization header (core.http drops it cross-origin)."""
    headers = dict(monitor.headers or {})
    if monitor.auth_kind == Monitor.AuthKind.NONE:
        return headers
    for name in [name for name in headers if name.lower() == "authorization"]:
        del headers[name]  # the auth settings win over a hand-written header
    if monitor.auth_kind == Monitor.AuthKind.BASIC:
        pair = f"{monitor.auth_username}:{monitor.auth_secret}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    elif monitor.auth_kind == Monitor.AuthKind.BEARER:
        headers["Authorization"] = f"Bearer {monitor.auth_secret}"
    return headers


def _failed_request(started_at: datetime, exc: HttpError) -> ProbeOutcome:
    details: dict[str, object] = {}
    redirects = exc.extra.get("redirects")
    if redirects:
        details["redirects"] = list(redirects)
    if exc.extra.get("tls_not_after"):
        details["tls_not_after"] = exc.extra["tls_not_after"]
    status = exc.extra.get("status_code")
    kind = _TLS_KINDS.get(exc.extra.get("tls_reason", ""), exc.kind) if exc.kind == "tls_error" else exc.kind
    return ProbeOutcome(
        started_at=started_at,
        ok=False,
        status_code=status if isinstance(status, int) else None,
        error_kind=kind,
        error=exc.message,
        details=details,
    )


def _details(response: HttpResponse) -> dict[str, object]:
    details: dict[str, object] = {}
    if response.redirects:
        details["redirects"] = list(response.redirects)
    if response.tls_not_after is not None:
        details["tls_not_after"] = response.tls_not_after.isoformat()
    return details


def _ms(seconds: int | None) -> int | None:
    return seconds * 1000 if seconds else None
