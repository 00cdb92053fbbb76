"""Probes: run one check against its target and describe what happened. No database access.

One module per kind, each exposing `probe_<kind>(monitor) -> ProbeOutcome`; `probe` picks by
`monitor.kind`. Every connection goes through the network guard in core (DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Callable

from checks.probes.dns import probe_dns
from checks.probes.http import probe_http
from checks.probes.outcome import ProbeOutcome
from checks.probes.ping import probe_ping
from checks.probes.tcp import probe_tcp
from checks.probes.tls import probe_tls
from monitors.models import Monitor

PROBES: dict[str, Callable[[Monitor], ProbeOutcome]] = {
    Monitor.Kind.HTTP: probe_http,
    Monitor.Kind.TCP: probe_tcp,
    Monitor.Kind.PING: probe_ping,
    Monitor.Kind.DNS: probe_dns,
    Monitor.Kind.TLS: probe_tls,
}


def probe(monitor: Monitor) -> ProbeOutcome:
    """Run the probe of the monitor's kind once (retries and state are check_execute's job)."""
    return PROBES[Monitor.Kind(monitor.kind)](monitor)


__all__ = ["PROBES", "ProbeOutcome", "probe"]
