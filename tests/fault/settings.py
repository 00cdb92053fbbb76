"""Settings of the product under the fault harness: the shipped ones, with a test visibility timeout.

RELIABILITY CEL-04 restarts a killed worker "with a test visibility_timeout=30": the messages its
dead main process held come back after 30 s (+ a 10 s sweep), not the shipped 600 s. Shipped, a
killed worker's held messages come back after 600 s, past their expiry (one interval + 30 s), so
those slots (at most concurrency x CHECKS_BATCH_SIZE) are lost, not replayed late; the monitors'
next slots run on time. Everything else is as shipped
(config.settings.local reading DATABASE_URL/REDIS_URL of the harness's private PostgreSQL and Redis).
"""

from __future__ import annotations

from config.settings.local import *  # noqa: F403

CELERY_VISIBILITY_TIMEOUT_SECONDS = 30
# kombu sweeps the unacked set every unacked_restore_interval (10 s) x unacked_restore_throttle
# (10) = 100 s by default; with a 30 s visibility timeout the sweep, not the timeout, would decide.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT_SECONDS,
    "unacked_restore_throttle": 1,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT_SECONDS}
