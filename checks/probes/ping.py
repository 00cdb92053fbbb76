"""The ICMP ping probe (icmplib): `ping_count` echo requests to one checked address; loss and round-trip times.

Raw ICMP sockets need root or CAP_NET_RAW; without them icmplib's unprivileged mode uses the
kernel's ping sockets, which Linux allows only to groups in net.ipv4.ping_group_range. When neither
works, the result says so (icmp_not_permitted) instead of crashing the worker.
"""

from __future__ import annotations

import os
import time
from typing import Final

import icmplib
from django.utils import timezone

from checks.probes.outcome import ProbeOutcome
from checks.probes.tcp import guard_failure
from core.net import NetError, guarded_ip
from core.netguard import TargetRejected
from monitors.models import Monitor

MAX_INTERVAL_SECONDS: Final = 1.0
MAX_REPLY_WAIT_SECONDS: Final = 5.0
NOT_PERMITTED_MESSAGE: Final = (
    "ICMP is not permitted on this worker: run it as root, give it CAP_NET_RAW, "
    "or allow its group in sysctl net.ipv4.ping_group_range"
)


def _modes() -> tuple[bool, ...]:
    """icmplib's `privileged` values to try, the likelier one first."""
    geteuid = getattr(os, "geteuid", None)
    return (True, False) if geteuid is not None and geteuid() == 0 else (False, True)


def _pace(count: int, budget: float) -> tuple[float, float]:
    """(interval between requests, wait per reply) so that the whole run fits into `budget` seconds."""
    interval = min(MAX_INTERVAL_SECONDS, budget / (2 * count))
    wait = min(MAX_REPLY_WAIT_SECONDS, (budget - interval * (count - 1)) / count)
    return interval, max(wait, 0.05)


def probe_ping(monitor: Monitor) -> ProbeOutcome:
    """Ping the monitor's host; OK when at least one reply came back, latency = average RTT."""
    started_at = timezone.now()
    deadline = time.monotonic() + monitor.timeout_seconds
    try:
        ip = guarded_ip(monitor.host, deadline=deadline)
    except (TargetRejected, NetError) as exc:
        return guard_failure(started_at, exc)
    count = max(1, monitor.ping_count)
    interval, wait = _pace(count, max(deadline - time.monotonic(), 0.1))
    for privileged in _modes():
        try:
            host = icmplib.ping(str(ip), count=count, interval=interval, timeout=wait, privileged=privileged)
        except icmplib.SocketPermissionError:
            continue
        except icmplib.ICMPLibError as exc:
            return ProbeOutcome(started_at=started_at, ok=False, error_kind="ping_error", error=f"ping failed: {exc}")
        break
    else:
        return ProbeOutcome(
            started_at=started_at, ok=False, error_kind="icmp_not_permitted", error=NOT_PERMITTED_MESSAGE
        )
    details: dict[str, object] = {
        "address": str(ip),
        "privileged": privileged,
        "packets_sent": host.packets_sent,
        "packets_received": host.packets_received,
        "packet_loss": host.packet_loss,
    }
    if not host.packets_received:
        return ProbeOutcome(
            started_at=started_at,
            ok=False,
            error_kind="no_reply",
            error=f"no reply from {ip} to {host.packets_sent} ping(s)",
            details=details,
        )
    details |= {"rtt_min_ms": host.min_rtt, "rtt_avg_ms": host.avg_rtt, "rtt_max_ms": host.max_rtt}
    return ProbeOutcome(started_at=started_at, ok=True, latency_ms=round(host.avg_rtt), details=details)
