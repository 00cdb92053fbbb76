"""What monitors does when accounts says so (accounts never imports monitors)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from accounts.models import Organization
from accounts.signals import organization_resumed, organization_suspended
from monitors.models import Monitor


@receiver(organization_suspended, dispatch_uid="monitors.pause_suspended_organization")
def pause_monitors(*, organization: Organization, **_: Any) -> list[int]:
    """Pause the organisation's running monitors; returns their ids (resumed by unpause_monitors)."""
    running = Monitor.objects.filter(organization=organization, paused=False)
    ids = list(running.values_list("id", flat=True))
    Monitor.objects.filter(id__in=ids).update(paused=True)
    return ids


@receiver(organization_resumed, dispatch_uid="monitors.unpause_resumed_organization")
def unpause_monitors(*, organization: Organization, stopped: list[int], **_: Any) -> None:
    """Resume the monitors pause_monitors paused that are still paused (and still this organisation's)."""
    Monitor.objects.filter(organization=organization, id__in=stopped, paused=True).update(paused=False)
