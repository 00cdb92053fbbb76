"""Liveness and readiness probes."""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import current_app
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.readiness import readiness_details

logger = logging.getLogger(__name__)

# A probe must answer quickly: an orchestrator gives it a few seconds at most.
_BROKER_TIMEOUT_SECONDS = 2
# Folders kombu's filesystem transport writes to; they are not created by kombu itself.
_FILESYSTEM_BROKER_FOLDERS = ("data_folder_in", "data_folder_out", "control_folder")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process answers: nothing else is checked."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Database and broker reachable; 503 naming what failed otherwise.

    A 200 also carries what apps register in core.readiness (e.g. "regions": each region's queue
    lag); those never make it 503, and any that reports trouble is named under "degraded".
    """
    failed: list[str] = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        logger.warning("readyz database check failed", exc_info=True)
        failed.append("database")
    try:
        _broker_check()
    except Exception:  # noqa: BLE001
        logger.warning("readyz broker check failed", exc_info=True)
        failed.append("broker")
    if failed:
        return JsonResponse({"status": "unavailable", "failed": failed}, status=503)
    details, degraded = readiness_details()
    payload: dict[str, object] = {"status": "ok", "checks": {"database": "ok", "broker": "ok"}, **details}
    if degraded:
        payload["degraded"] = degraded
    return JsonResponse(payload)


def _broker_check() -> None:
    """Raise unless the broker could take a message now."""
    # Redis otherwise blocks on an unanswered connect for as long as the OS lets it.
    timeouts = {"socket_connect_timeout": _BROKER_TIMEOUT_SECONDS, "socket_timeout": _BROKER_TIMEOUT_SECONDS}
    with current_app.connection_for_write(transport_options=timeouts) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=_BROKER_TIMEOUT_SECONDS)
        if conn.transport.driver_type == "filesystem":
            # "Connecting" to the filesystem transport touches no file, so a missing
            # var/broker would pass while every publish fails: check the folders.
            _filesystem_folders_check(conn.transport_options)


def _filesystem_folders_check(options: dict[str, Any]) -> None:
    for key in _FILESYSTEM_BROKER_FOLDERS:
        folder = options.get(key)
        if folder and not (os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK)):
            raise OSError(f"broker folder {key} is missing or not writable: {folder}")
