"""Read-side queries of contract drift: a monitor's baselines and drift events (the monitor is tenant-checked)."""

from __future__ import annotations

from django.db.models import QuerySet

from checks.models import ContractBaseline, DriftEvent, ShapeSample
from monitors.models import Monitor

CURRENT = (ContractBaseline.Status.LEARNING, ContractBaseline.Status.ACTIVE)


def drift_event_list_for_monitor(*, monitor: Monitor) -> QuerySet[DriftEvent]:
    """The monitor's drift events, newest first (driftevent_monitor_idx)."""
    return (
        DriftEvent.objects.filter(monitor=monitor)
        .select_related("baseline", "accepted_by")
        .order_by("-detected_at", "-id")
    )


def drift_event_get_for_monitor(*, monitor: Monitor, event_id: int) -> DriftEvent | None:
    """One of the monitor's events; None for a missing id or another monitor's event."""
    return DriftEvent.objects.select_related("monitor__organization").filter(monitor=monitor, id=event_id).first()


def baseline_list_for_monitor(*, monitor: Monitor) -> QuerySet[ContractBaseline]:
    """Every baseline version of the monitor, newest first (the history)."""
    return ContractBaseline.objects.filter(monitor=monitor).select_related("created_by").order_by("-version")


def baseline_current_for_monitor(*, monitor: Monitor) -> ContractBaseline | None:
    """The learning or active baseline; None before the monitor's first tracked response."""
    return ContractBaseline.objects.filter(monitor=monitor, status__in=CURRENT).first()


def shape_samples_by_id(*, ids: list[int]) -> dict[int, ShapeSample]:
    """The redacted example bodies of some events' responses (DriftEvent.sample_id), in one query."""
    return {sample.id: sample for sample in ShapeSample.objects.filter(id__in=ids)} if ids else {}
