"""Is a monitor in maintenance now? The result path asks for every result, so the answer is cached.

Each worker process keeps every organisation's maintenance windows for
CHECKS_MAINTENANCE_CACHE_SECONDS (default 5 s; 0 turns the cache off) instead of querying them
for each result (about one query in eight of the write path). A window saved or deleted in this
process drops its organisation's entry at once (the signals below); in another process (the
web) it takes effect on checks within the cache's lifetime. An organisation without windows is
cached too (an empty list), which is the common case.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from monitors.maintenance import window_active
from monitors.models import MaintenanceWindow, Monitor

_MAX_ORGANIZATIONS = 10_000  # bounded: cleared wholesale when full
_cache: dict[int, tuple[float, list[MaintenanceWindow]]] = {}
_lock = threading.Lock()


def maintenance_active_for(*, monitor: Monitor, now: datetime) -> bool:
    """Whether a window of this monitor, or of its whole organisation, is active at `now`."""
    return any(
        window.monitor_id in (None, monitor.id) and window_active(window, now)
        for window in _windows_of(organization_id=monitor.organization_id)
    )


def windows_cache_clear() -> None:
    with _lock:
        _cache.clear()


def _windows_of(*, organization_id: int) -> list[MaintenanceWindow]:
    ttl = float(settings.CHECKS_MAINTENANCE_CACHE_SECONDS)
    now = time.monotonic()
    with _lock:
        cached = _cache.get(organization_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    windows = list(MaintenanceWindow.objects.filter(organization_id=organization_id).order_by("id"))
    if ttl > 0:
        with _lock:
            if len(_cache) >= _MAX_ORGANIZATIONS:
                _cache.clear()
            _cache[organization_id] = (now + ttl, windows)
    return windows


@receiver([post_save, post_delete], sender=MaintenanceWindow, dispatch_uid="checks.windows.forget")
def _forget_organization(sender: type[MaintenanceWindow], instance: MaintenanceWindow, **kwargs: object) -> None:
    with _lock:
        _cache.pop(instance.organization_id, None)
