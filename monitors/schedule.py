"""When a monitor's checks are due: pure arithmetic, no database (used by monitors.services).

- A monitor's slots form a fixed grid: the first slot, then + interval, + 2 x interval, ...
  A claimed slot moves the monitor to due + interval exactly (no drift, whatever the lag).
- After an outage the slots already past are skipped, not replayed: the monitor moves to the
  first grid point after now, keeping its phase. Overdue monitors therefore resume as spread as
  they were, not all on the second beat comes back (which "now + interval" would do, and keep
  doing for ever after).
- First runs are spread by a stable hash of the id over min(interval, a window): Knuth's
  multiplicative hash puts consecutive ids (an import, a seed) evenly apart, not merely at random.
"""

from __future__ import annotations

from datetime import datetime, timedelta

_GOLDEN = 2654435761  # Knuth: 2**32 / golden ratio, odd


def phase_ms(*, monitor_id: int, interval_seconds: int) -> int:
    """The monitor's stable offset into its interval, in milliseconds, in [0, interval)."""
    spread = (monitor_id * _GOLDEN) % 2**32
    return spread * interval_seconds * 1000 // 2**32


def next_due(*, due_at: datetime, interval_seconds: int, now: datetime) -> datetime:
    """The slot after `due_at` on its grid: due_at + interval, or the first grid point after `now`."""
    interval = timedelta(seconds=interval_seconds)
    next_at = due_at + interval
    if next_at <= now:  # fell behind (beat or workers down): skip every slot already past
        next_at += interval * ((now - next_at) // interval + 1)
    return next_at


def first_check_at(*, monitor_id: int, interval_seconds: int, now: datetime, within_seconds: int) -> datetime:
    """A new or resumed monitor's first check: now + a stable offset in [0, min(interval, within)).

    Monitors created (or resumed) in the same second start spread over their interval (up to
    `within_seconds`), and since later slots keep that phase they stay spread for good: at most
    N / window checks start in any one second. The price: a new monitor's first result may take
    up to that long (60 s by default; 0 means at once).
    """
    window = min(interval_seconds, max(within_seconds, 0))
    if window == 0:
        return now
    return now + timedelta(milliseconds=phase_ms(monitor_id=monitor_id, interval_seconds=window))
