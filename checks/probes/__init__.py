"""Probes: run one check against its target and describe what happened. No database access.

One module per kind, each exposing `probe_<kind>(monitor) -> ProbeOutcome`; `probe` picks by
`monitor.kind`. Every connection goes through the network guard in core (DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Callable

from checks.probes.http import probe_http
from checks.probes.outcome import ProbeOutcome
from monitors.models import Monitor

PROBES: dict[str, Callable[[Monitor], ProbeOutcome]] = {Monitor.Kind.HTTP: probe_http}


def probe(monitor: Monitor) -> ProbeOutcome:
    """Run the probe of the monitor's kind once (retries and state are check_execute's job)."""
    return PROBES[Monitor.Kind(monitor.kind)](monitor)


__all__ = ["PROBES", "ProbeOutcome", "probe"]
