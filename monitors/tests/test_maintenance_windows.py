"""window_active: once, weekly (midnight crossing, DST) and cron windows. Pure: no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from monitors.maintenance import is_valid_cron, is_valid_time_zone, window_active

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


@dataclass
class Window:
    recurrence: str = "once"
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    weekdays: list[int] = field(default_factory=list)
    start_time: time | None = None
    cron: str = ""
    duration_minutes: int = 60
    time_zone: str = "UTC"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_once_window_includes_its_start_and_excludes_its_end() -> None:
    w = Window(starts_at=utc(2025, 3, 1, 10), ends_at=utc(2025, 3, 1, 12))
    assert not window_active(w, utc(2025, 3, 1, 9, 59, 59))
    assert window_active(w, utc(2025, 3, 1, 10))
    assert window_active(w, utc(2025, 3, 1, 11, 59, 59))
    assert not window_active(w, utc(2025, 3, 1, 12))


def test_once_window_compares_instants_across_time_zones() -> None:
    w = Window(starts_at=datetime(2025, 3, 1, 11, tzinfo=PARIS), ends_at=datetime(2025, 3, 1, 13, tzinfo=PARIS))
    assert window_active(w, utc(2025, 3, 1, 10, 30))  # 11:30 in Paris
    assert not window_active(w, utc(2025, 3, 1, 12, 30))


def test_once_window_without_both_bounds_is_never_active() -> None:
    assert not window_active(Window(starts_at=utc(2025, 1, 1)), utc(2025, 1, 2))


def test_weekly_window_on_its_weekday_in_its_time_zone() -> None:
    # Mondays 22:00 Paris (21:00 UTC in winter) for 30 minutes. 2025-01-06 is a Monday.
    w = Window(recurrence="weekly", weekdays=[0], start_time=time(22), duration_minutes=30, time_zone="Europe/Paris")
    assert not window_active(w, utc(2025, 1, 6, 20, 59))
    assert window_active(w, utc(2025, 1, 6, 21, 0))
    assert window_active(w, utc(2025, 1, 6, 21, 29))
    assert not window_active(w, utc(2025, 1, 6, 21, 30))
    assert not window_active(w, utc(2025, 1, 7, 21, 10))  # Tuesday


def test_weekly_window_crossing_midnight_runs_into_the_next_day() -> None:
    # Sundays 23:00 UTC for 2 hours: still active at 00:30 on Monday, not on Sunday 00:30.
    w = Window(recurrence="weekly", weekdays=[6], start_time=time(23), duration_minutes=120)
    assert window_active(w, utc(2025, 1, 5, 23, 30))  # Sunday
    assert window_active(w, utc(2025, 1, 6, 0, 30))  # Monday, started Sunday
    assert not window_active(w, utc(2025, 1, 6, 1, 0))
    assert not window_active(w, utc(2025, 1, 5, 0, 30))  # Sunday morning: the Saturday had no window


def test_weekly_window_crossing_the_end_of_the_week() -> None:
    # Saturday 20:00 for two days: active through Monday 19:59.
    w = Window(recurrence="weekly", weekdays=[5], start_time=time(20), duration_minutes=2 * 24 * 60)
    assert window_active(w, utc(2025, 1, 6, 19, 59))
    assert not window_active(w, utc(2025, 1, 6, 20, 0))


def test_weekly_window_follows_the_wall_clock_across_dst() -> None:
    # Sundays 09:00 in New York: 14:00 UTC in winter, 13:00 UTC in summer.
    w = Window(recurrence="weekly", weekdays=[6], start_time=time(9), duration_minutes=60, time_zone="America/New_York")
    assert window_active(w, utc(2025, 3, 2, 14, 30))  # before the change (EST)
    assert not window_active(w, utc(2025, 3, 2, 13, 30))
    assert window_active(w, utc(2025, 3, 9, 13, 30))  # the change day itself (EDT from 02:00)
    assert not window_active(w, utc(2025, 3, 9, 14, 30))


def test_weekly_window_spanning_the_spring_forward_lasts_its_real_duration() -> None:
    # Sunday 2025-03-30 in Paris: 02:00 jumps to 03:00. A 01:30 window of 120 min ends 03:30 UTC+2 = 01:30 UTC.
    w = Window(
        recurrence="weekly", weekdays=[6], start_time=time(1, 30), duration_minutes=120, time_zone="Europe/Paris"
    )
    assert window_active(w, utc(2025, 3, 30, 0, 30))  # 01:30 CET
    assert window_active(w, utc(2025, 3, 30, 2, 29))  # 04:29 CEST: 119 min later
    assert not window_active(w, utc(2025, 3, 30, 2, 30))


def test_weekly_window_starting_in_the_skipped_hour_starts_at_the_first_time_after_it() -> None:
    w = Window(recurrence="weekly", weekdays=[6], start_time=time(2, 30), duration_minutes=30, time_zone="Europe/Paris")
    # 02:30 does not exist on 2025-03-30: read with the CET offset, 01:30 UTC (03:30 CEST).
    assert not window_active(w, utc(2025, 3, 30, 1, 29))
    assert window_active(w, utc(2025, 3, 30, 1, 30))
    assert not window_active(w, utc(2025, 3, 30, 2, 0))


def test_weekly_window_on_the_fall_back_day_starts_at_the_first_of_the_repeated_times() -> None:
    # 2025-10-26 in Paris: 03:00 CEST goes back to 02:00 CET; 02:30 happens twice (00:30 and 01:30 UTC).
    w = Window(recurrence="weekly", weekdays=[6], start_time=time(2, 30), duration_minutes=30, time_zone="Europe/Paris")
    assert window_active(w, utc(2025, 10, 26, 0, 45))
    assert not window_active(w, utc(2025, 10, 26, 1, 45))


def test_weekly_window_without_weekdays_or_start_time_is_never_active() -> None:
    assert not window_active(Window(recurrence="weekly", start_time=time(0), duration_minutes=10080), utc(2025, 1, 1))
    assert not window_active(Window(recurrence="weekly", weekdays=[0, 1, 2, 3, 4, 5, 6]), utc(2025, 1, 1))


def test_cron_window_is_active_for_its_duration_after_each_match() -> None:
    # Every day at 03:00 UTC for 15 minutes.
    w = Window(recurrence="cron", cron="0 3 * * *", duration_minutes=15)
    assert window_active(w, utc(2025, 5, 4, 3, 0))  # exactly at the match
    assert window_active(w, utc(2025, 5, 4, 3, 14, 59, 999999))
    assert not window_active(w, utc(2025, 5, 4, 3, 15))
    assert not window_active(w, utc(2025, 5, 4, 2, 59, 59, 500000))


def test_cron_window_in_a_time_zone_across_midnight() -> None:
    # Fridays 23:30 New York (EDT, UTC-4) for one hour: 03:30..04:30 UTC on Saturday.
    w = Window(recurrence="cron", cron="30 23 * * 5", duration_minutes=60, time_zone="America/New_York")
    assert window_active(w, utc(2025, 6, 7, 3, 45))
    assert window_active(w, datetime(2025, 6, 7, 0, 15, tzinfo=NEW_YORK))  # Saturday 00:15 local
    assert not window_active(w, utc(2025, 6, 7, 4, 30))
    assert not window_active(w, utc(2025, 6, 6, 3, 45))


def test_cron_window_across_dst_change() -> None:
    # Daily 09:00 Paris: 08:00 UTC before 2025-03-30, 07:00 UTC on and after it.
    w = Window(recurrence="cron", cron="0 9 * * *", duration_minutes=30, time_zone="Europe/Paris")
    assert window_active(w, utc(2025, 3, 29, 8, 10))
    assert window_active(w, utc(2025, 3, 30, 7, 10))
    assert not window_active(w, utc(2025, 3, 30, 8, 10))


def test_cron_window_with_a_bad_expression_is_never_active() -> None:
    assert not window_active(Window(recurrence="cron", cron="not cron"), utc(2025, 1, 1))
    assert not window_active(Window(recurrence="cron", cron="61 * * * *"), utc(2025, 1, 1))


def test_unknown_time_zone_falls_back_to_utc() -> None:
    w = Window(recurrence="weekly", weekdays=[2], start_time=time(10), duration_minutes=60, time_zone="Mars/Olympus")
    assert window_active(w, utc(2025, 1, 1, 10, 30))  # a Wednesday


def test_validity_helpers() -> None:
    assert is_valid_cron("*/5 * * * *")
    assert not is_valid_cron("* * *")
    assert not is_valid_cron("")
    assert is_valid_time_zone("Europe/Paris")
    assert not is_valid_time_zone("Mars/Olympus")
    assert not is_valid_time_zone("../etc/passwd")


def test_window_active_accepts_a_now_in_any_zone() -> None:
    w = Window(starts_at=utc(2025, 3, 1, 10), ends_at=utc(2025, 3, 1, 12))
    assert window_active(w, utc(2025, 3, 1, 10).astimezone(NEW_YORK) + timedelta(minutes=1))
