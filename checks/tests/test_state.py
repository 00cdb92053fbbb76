from __future__ import annotations

import pytest

from checks.state import DOWN, PENDING, UP, MonitorState, next_state


def run(
    outcomes: list[bool], *, start: str = PENDING, failure_threshold: int = 2, recovery_threshold: int = 1
) -> list[str]:
    state = MonitorState(start, 0, 0)
    seen = []
    for ok in outcomes:
        state = next_state(state, ok=ok, failure_threshold=failure_threshold, recovery_threshold=recovery_threshold)
        seen.append(state.state)
    return seen


def test_pending_turns_up_on_first_success() -> None:
    assert run([True]) == [UP]


def test_one_failure_does_not_turn_down_with_threshold_two() -> None:
    assert run([True, False, True]) == [UP, UP, UP]


def test_two_failures_in_a_row_turn_down() -> None:
    assert run([True, False, False]) == [UP, UP, DOWN]


def test_pending_monitor_that_never_succeeds_turns_down_after_threshold() -> None:
    assert run([False, False]) == [PENDING, DOWN]


def test_recovery_threshold_needs_successes_in_a_row() -> None:
    assert run([True, False, False, True, False, True, True], recovery_threshold=2) == [
        UP,
        UP,
        DOWN,
        DOWN,
        DOWN,
        DOWN,
        UP,
    ]


@pytest.mark.parametrize("threshold", [0, 1])
def test_threshold_below_one_acts_as_one(threshold: int) -> None:
    assert run([True, False], failure_threshold=threshold) == [UP, DOWN]


def test_counters_reset_on_the_other_outcome() -> None:
    state = next_state(MonitorState(UP, 1, 0), ok=True, failure_threshold=2, recovery_threshold=1)
    assert state == MonitorState(UP, 0, 1)
