"""What `migrate` does around the migrations on PostgreSQL (connected in checks.apps).

- Before: `SET lock_timeout` to MIGRATIONS_LOCK_TIMEOUT_MS (DATA-07). A migration that needs a lock a
  long transaction holds (an ALTER TABLE on checks_checkresult behind a report query) fails after
  that long instead of waiting with every writer of the table queued behind its lock request.
- After: the session's lock_timeout back to the server default (the same connection goes on serving
  the process, e.g. the test run that created its database with migrate), then the day partitions
  of check results ahead are created (checks.partitions), so a fresh install has them at once.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections


def lock_timeout_set(*, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, false)", [f"{settings.MIGRATIONS_LOCK_TIMEOUT_MS}ms"])


def lock_timeout_reset_and_partitions_create(*, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("RESET lock_timeout")
    if using == DEFAULT_DB_ALIAS:
        from django.utils import timezone  # noqa: PLC0415

        from checks.partitions import partitions_create  # noqa: PLC0415

        partitions_create(now=timezone.now())
