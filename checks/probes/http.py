"""The HTTP(S) probe: one request through the network guard, then the monitor's assertions."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from checks.probes.outcome import ProbeOutcome
from core.http import HttpError, send
from monitors.models import Monitor


def probe_http(monitor: Monitor) -> ProbeOutcome:
    """GET (or the monitor's method) the URL through the network guard; a failing target is data, not an error."""
    started_at = timezone.now()
    try:
        response = send(
            monitor.method,
            monitor.url,
            timeout_ms=monitor.timeout_seconds * 1000,
            max_bytes=settings.CHECKS_MAX_BODY_BYTES,
            headers=monitor.headers or None,
            body=monitor.body or None,
            max_redirects=settings.CHECKS_MAX_REDIRECTS,
        )
    except HttpError as exc:
        return ProbeOutcome(started_at=started_at, ok=False, error_kind=exc.kind, error=exc.message)
    common = {
        "started_at": started_at,
        "status_code": response.status_code,
        "latency_ms": response.elapsed_ms,
        "response_bytes": len(response.body),
        "body_truncated": response.body_truncated,
    }
    expected = monitor.expected_status or [200]
    if response.status_code not in expected:
        wanted = ", ".join(str(code) for code in expected)
        return ProbeOutcome(
            ok=False, error_kind="unexpected_status", error=f"HTTP {response.status_code}, expected {wanted}", **common
        )
    if monitor.keyword and monitor.keyword.encode() not in response.body:
        return ProbeOutcome(
            ok=False, error_kind="keyword_missing", error=f"Keyword {monitor.keyword[:100]!r} not found", **common
        )
    return ProbeOutcome(ok=True, **common)
