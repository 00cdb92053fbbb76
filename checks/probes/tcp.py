"""The TCP probe: open a connection to host:port through the network guard; latency is the connect time."""

from __future__ import annotations

import time
from datetime import datetime

from django.utils import timezone

from checks.probes.outcome import ProbeOutcome
from core.net import NetError, guarded_connect
from core.netguard import TargetRejected
from monitors.models import Monitor


def guard_failure(started_at: datetime, exc: TargetRejected | NetError) -> ProbeOutcome:
    """A guard refusal or a failed lookup or connect, in the probes' words (shared by tcp, ping, dns, tls)."""
    if exc.kind == "blocked_address":
        return ProbeOutcome(
            started_at=started_at, ok=False, error_kind="blocked_address", error=f"address blocked: {exc.message}"
        )
    return ProbeOutcome(started_at=started_at, ok=False, error_kind=exc.kind, error=exc.message)


def probe_tcp(monitor: Monitor) -> ProbeOutcome:
    """Connect to the monitor's host and port within its connect timeout (and the total deadline), then close."""
    started_at = timezone.now()
    deadline = time.monotonic() + monitor.timeout_seconds
    if not monitor.port:
        return ProbeOutcome(started_at=started_at, ok=False, error_kind="invalid_host", error="No port is set.")
    try:
        sock, ip, connect_ms = guarded_connect(
            monitor.host, monitor.port, timeout_s=monitor.connect_timeout_seconds, deadline=deadline
        )
    except (TargetRejected, NetError) as exc:
        return guard_failure(started_at, exc)
    sock.close()
    return ProbeOutcome(
        started_at=started_at, ok=True, latency_ms=connect_ms, details={"address": str(ip), "port": monitor.port}
    )
