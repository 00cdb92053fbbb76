"""Extra detail for /readyz from apps above core, which core may not import (DESIGN.md: imports point down).

An app registers a contributor in its AppConfig.ready(); readyz adds each one's detail under its
name. A contributor reports facts that do not make this web process unready (a region whose
workers lag): readyz stays 200 and lists the contributor under "degraded".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

RESERVED = frozenset({"status", "checks", "failed", "degraded"})


@dataclass(frozen=True)
class ReadinessDetail:
    detail: dict[str, object] = field(default_factory=dict)
    degraded: bool = False


Contributor = Callable[[], ReadinessDetail]

_contributors: dict[str, Contributor] = {}


def register_readiness_contributor(name: str, contributor: Contributor) -> None:
    """Add (or replace: ready() can run twice in tests) the contributor shown under `name`."""
    if name in RESERVED:
        raise ValueError(f"readiness name {name!r} is reserved")
    _contributors[name] = contributor


def readiness_details() -> tuple[dict[str, object], list[str]]:
    """({name: detail}, [names that report degraded]); a contributor that fails counts as degraded."""
    details: dict[str, object] = {}
    degraded: list[str] = []
    for name, contributor in sorted(_contributors.items()):
        try:
            result = contributor()
        except Exception:  # noqa: BLE001 - extra detail must never break the probe
            logger.warning("readyz contributor failed name=%s", name, exc_info=True)
            details[name] = {"error": "unavailable"}
            degraded.append(name)
            continue
        details[name] = result.detail
        if result.degraded:
            degraded.append(name)
    return details, degraded
