"""Is each region's queue being consumed? A tiny probe task per region, sent by beat, timed by the worker.

`region_probes_send` (beat, every 30 s) enqueues `checks.region_probe` on each region's queue;
`region_probe_record` (the region's worker) writes when it ran and how long it waited. A region
is stale when a probe has waited unconsumed longer than STALE_UNCONSUMED, or the last one waited
longer than STALE_LAG_MS: its checks are late too, and /readyz and the monitor page say so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q

from checks.models import RegionStatus

logger = logging.getLogger(__name__)

STALE_UNCONSUMED = timedelta(seconds=60)
STALE_LAG_MS = 30_000
# A probe unconsumed this long is sent again (it may have been lost with a broker restart);
# it also expires then, so a dead region's queue does not fill up with probes.
RESEND_AFTER = timedelta(seconds=120)


@dataclass(frozen=True)
class RegionLag:
    region: str
    probe_sent_at: datetime | None
    consumed_at: datetime | None
    lag_ms: int | None
    stale: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "lag_ms": self.lag_ms,
            "consumed_at": self.consumed_at.isoformat() if self.consumed_at else None,
            "probe_sent_at": self.probe_sent_at.isoformat() if self.probe_sent_at else None,
            "stale": self.stale,
        }


def region_probes_send(*, now: datetime) -> list[str]:
    """Enqueue a probe on each configured region's queue; returns the regions probed now.

    probe_sent_at keeps the send time of the oldest probe not yet consumed, so a region whose
    workers stopped shows an ever older probe, not a fresh one every 30 s. No new probe is sent
    while one is outstanding (unless it is older than RESEND_AFTER).
    """
    from checks.tasks import region_probe_task  # noqa: PLC0415 - tasks import services
    from core.queues import region_queue  # noqa: PLC0415

    sent = []
    for region in settings.CHECK_REGIONS:
        RegionStatus.objects.get_or_create(region=region)
        outstanding = Q(probe_sent_at__isnull=False) & (
            Q(consumed_at__isnull=True) | Q(consumed_at__lt=F("probe_sent_at"))
        )
        fresh = RegionStatus.objects.filter(region=region).exclude(outstanding).update(probe_sent_at=now)
        if not fresh and not RegionStatus.objects.filter(region=region, probe_sent_at__lt=now - RESEND_AFTER).exists():
            continue  # the last probe is still waiting and not yet worth sending again
        region_probe_task.apply_async(
            args=[region, now.isoformat()], queue=region_queue(region), expires=now + RESEND_AFTER
        )
        sent.append(region)
    return sent


def region_probe_record(*, region: str, sent_at: datetime, now: datetime) -> None:
    """A region's worker ran its probe: store when, and how long the probe waited in the queue."""
    lag_ms = max(0, int((now - sent_at).total_seconds() * 1000))
    RegionStatus.objects.update_or_create(region=region, defaults={"consumed_at": now, "lag_ms": lag_ms})
    if lag_ms > STALE_LAG_MS:
        logger.warning("region queue lagging region=%s lag_ms=%s", region, lag_ms)


def region_lag_list(*, now: datetime) -> list[RegionLag]:
    """Every configured region (and any other that reported), with its lag and whether it is stale."""
    rows = {row.region: row for row in RegionStatus.objects.all()}
    names = list(dict.fromkeys([*settings.CHECK_REGIONS, *rows]))
    return [_lag_of(region, rows.get(region), now) for region in names]


def _lag_of(region: str, row: RegionStatus | None, now: datetime) -> RegionLag:
    if row is None:
        return RegionLag(region, None, None, None, stale=False)  # not probed yet
    waiting = row.probe_sent_at is not None and (row.consumed_at is None or row.consumed_at < row.probe_sent_at)
    stale = (waiting and now - row.probe_sent_at > STALE_UNCONSUMED) or (  # type: ignore[operator]
        row.lag_ms is not None and row.lag_ms > STALE_LAG_MS
    )
    return RegionLag(region, row.probe_sent_at, row.consumed_at, row.lag_ms, stale=bool(stale))
