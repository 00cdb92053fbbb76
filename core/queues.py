"""Queue names shared by the Celery app and the apps that enqueue work."""

from __future__ import annotations


def region_queue(region: str) -> str:
    """The queue that carries the checks of one region; a worker listens on its CHECK_REGION's queue."""
    return f"checks.{region}"
