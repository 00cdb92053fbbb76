"""The UP/DOWN state machine with confirmation counts. Pure: no database, no clock."""

from __future__ import annotations

from dataclasses import dataclass

PENDING, UP, DOWN = "pending", "up", "down"


@dataclass(frozen=True)
class MonitorState:
    state: str
    consecutive_failures: int
    consecutive_successes: int


def next_state(current: MonitorState, *, ok: bool, failure_threshold: int, recovery_threshold: int) -> MonitorState:
    """Apply one check outcome.

    A monitor turns DOWN only after `failure_threshold` failed checks in a row, and UP again
    after `recovery_threshold` successes in a row, so one lost packet never pages anyone.
    A PENDING monitor (never checked, or just resumed) turns UP on its first success.
    """
    if ok:
        successes, failures = current.consecutive_successes + 1, 0
        state = current.state
        if state == PENDING or (state == DOWN and successes >= max(1, recovery_threshold)):
            state = UP
    else:
        successes, failures = 0, current.consecutive_failures + 1
        state = current.state
        if state in (PENDING, UP) and failures >= max(1, failure_threshold):
            state = DOWN
    return MonitorState(state=state, consecutive_failures=failures, consecutive_successes=successes)
