"""Is a maintenance window active at a given instant? Pure functions: no database, no settings.

Three kinds of window (MaintenanceWindow.recurrence):
- once: active from starts_at (included) to ends_at (excluded).
- weekly: on each of `weekdays` (0 = Monday) at `start_time`, wall-clock time in `time_zone`, for
  `duration_minutes`. A window that starts late in the evening runs on past midnight into the next day.
- cron: at each match of the `cron` expression, evaluated in `time_zone`, for `duration_minutes`.

Durations are elapsed time: a 3-hour window that spans a DST change still lasts 3 real hours. A start time that
does not exist on a spring-forward day (02:30 in Europe/Paris) is read with the offset before the change, so the
window starts at 03:30 local time, the moment the clock shows as the first one after 02:30.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

MAX_DURATION_MINUTES = 10_080  # one week


class WindowLike(Protocol):
    """The fields of monitors.models.MaintenanceWindow that decide whether it is active."""

    recurrence: str
    starts_at: datetime | None
    ends_at: datetime | None
    weekdays: Sequence[int]
    start_time: time | None
    cron: str
    duration_minutes: int
    time_zone: str


def zone(name: str) -> tzinfo:
    """The named IANA time zone; UTC for an empty or unknown name (validators reject those on input)."""
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def is_valid_time_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def is_valid_cron(expression: str) -> bool:
    try:
        CronSim(expression, datetime(2000, 1, 1, tzinfo=UTC))
    except (CronSimError, ValueError, KeyError, IndexError):
        return False
    return True


def window_active(window: WindowLike, now: datetime) -> bool:
    """True when `now` (an aware datetime) falls inside the window. Never raises for bad stored data."""
    now = now.astimezone(UTC)
    if window.recurrence == "once":
        return _once_active(window, now)
    if window.recurrence == "weekly":
        return _weekly_active(window, now)
    if window.recurrence == "cron":
        return _cron_active(window, now)
    return False


def _duration(window: WindowLike) -> timedelta | None:
    minutes = window.duration_minutes or 0
    if minutes <= 0:
        return None
    return timedelta(minutes=min(minutes, MAX_DURATION_MINUTES))


def _once_active(window: WindowLike, now: datetime) -> bool:
    if window.starts_at is None or window.ends_at is None:
        return False
    return window.starts_at.astimezone(UTC) <= now < window.ends_at.astimezone(UTC)


def _weekly_active(window: WindowLike, now: datetime) -> bool:
    duration = _duration(window)
    if duration is None or window.start_time is None or not window.weekdays:
        return False
    tz = zone(window.time_zone)
    weekdays = {int(d) for d in window.weekdays}
    today = now.astimezone(tz).date()
    # A window lasts at most a week, so only starts in the last 8 local days can still be running.
    for back in range(8):
        day = today - timedelta(days=back)
        if day.weekday() not in weekdays:
            continue
        start = _local_start(day, window.start_time, tz)
        if start <= now < start + duration:
            return True
    return False


def _local_start(day: date, start_time: time, tz: tzinfo) -> datetime:
    """The UTC instant of `start_time` on `day` in `tz` (fold=0: the first of two repeated times)."""
    wall = datetime.combine(day, start_time.replace(tzinfo=None), tzinfo=tz).replace(fold=0)
    return wall.astimezone(UTC)


def _cron_active(window: WindowLike, now: datetime) -> bool:
    duration = _duration(window)
    if duration is None or not window.cron:
        return False
    tz = zone(window.time_zone)
    # CronSim in reverse yields matches strictly before its start: start one second later (and drop the
    # microseconds) so a match at exactly `now` counts.
    start = (now.astimezone(tz) + timedelta(seconds=1)).replace(microsecond=0)
    try:
        latest = next(CronSim(window.cron, start, reverse=True))
    except (CronSimError, ValueError, KeyError, IndexError, StopIteration):
        return False
    latest_utc = latest.astimezone(UTC)
    return latest_utc <= now < latest_utc + duration
