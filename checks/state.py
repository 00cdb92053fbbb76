"""The state machine: per-region confirmation counts and the monitor's aggregate. Pure: no database, no clock.

Two levels (issue 4, parts 8 to 10):
- a region's state follows its own results: DOWN ("failing") after `failure_threshold` failed runs in a
  row, back to UP after `recovery_threshold` successes in a row; DEGRADED while its latest successful run
  was slow or the probe flagged a warning (a TLS certificate inside its window);
- the monitor is DOWN when at least M of its regions are failing, DEGRADED when a region that is not
  failing is degraded, UP otherwise; MAINTENANCE overrides all of them while a window is active.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

PENDING, UP, DOWN, DEGRADED, MAINTENANCE = "pending", "up", "down", "degraded", "maintenance"


@dataclass(frozen=True)
class MonitorState:
    state: str
    consecutive_failures: int
    consecutive_successes: int


def next_state(
    current: MonitorState, *, ok: bool, failure_threshold: int, recovery_threshold: int, degraded: bool = False
) -> MonitorState:
    """Apply one run's outcome to one region's state.

    DOWN only after `failure_threshold` failed runs in a row and UP again after `recovery_threshold`
    successes in a row, so one lost packet never pages anyone. A PENDING region (never checked) turns
    UP on its first success. A successful run that is `degraded` gives DEGRADED instead of UP; the next
    successful run that is not degraded gives UP again (no confirmation either way: neither pages).
    """
    if ok:
        successes, failures = current.consecutive_successes + 1, 0
        recovering = current.state == DOWN and successes < max(1, recovery_threshold)
        state = DOWN if recovering else (DEGRADED if degraded else UP)
    else:
        successes, failures = 0, current.consecutive_failures + 1
        state = current.state
        if state != DOWN and failures >= max(1, failure_threshold):
            state = DOWN
    return MonitorState(state=state, consecutive_failures=failures, consecutive_successes=successes)


def regions_down_needed(*, region_count: int, configured: int | None) -> int:
    """M: how many failing regions make the monitor DOWN (configured, else more than half), 1..region_count."""
    region_count = max(1, region_count)
    wanted = configured if configured else region_count // 2 + 1
    return min(max(1, wanted), region_count)


def monitor_state(*, current: str, region_states: Iterable[str], down_needed: int, in_maintenance: bool) -> str:
    """The monitor's state from its regions' states.

    `region_states` has one entry per region the monitor runs in (PENDING for a region with no
    result yet). Inside a maintenance window the state is MAINTENANCE whatever the regions say;
    the counts behind it keep moving, so the first result after the window lands on the real state.
    """
    if in_maintenance:
        return MAINTENANCE
    states = list(region_states)
    if states.count(DOWN) >= down_needed:
        return DOWN
    if DEGRADED in states:
        return DEGRADED
    if UP in states:
        return UP
    # No region has succeeded yet and too few are failing: nothing new is known.
    return PENDING if current in (PENDING, MAINTENANCE) else current


def writes_status_change(*, before: str, after: str) -> bool:
    """Whether a flip is an event for the outbox (alerts): no event is written into or inside maintenance.

    Leaving maintenance is one (maintenance -> down opens an incident then, maintenance -> up resolves
    one that was open before the window).
    """
    return after != before and after != MAINTENANCE
