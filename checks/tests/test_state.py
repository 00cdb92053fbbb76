from __future__ import annotations

import pytest

from checks.state import (
    DEGRADED,
    DOWN,
    MAINTENANCE,
    PENDING,
    UP,
    MonitorState,
    monitor_state,
    next_state,
    regions_down_needed,
    writes_status_change,
)


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


def test_slow_success_is_degraded_and_a_fast_one_is_up_again() -> None:
    state = MonitorState(UP, 0, 3)
    state = next_state(state, ok=True, degraded=True, failure_threshold=2, recovery_threshold=1)
    assert state.state == DEGRADED
    state = next_state(state, ok=True, degraded=False, failure_threshold=2, recovery_threshold=1)
    assert state.state == UP


def test_degraded_region_turns_down_after_threshold_failures() -> None:
    state = MonitorState(DEGRADED, 0, 1)
    state = next_state(state, ok=False, failure_threshold=2, recovery_threshold=1)
    assert state.state == DEGRADED
    state = next_state(state, ok=False, failure_threshold=2, recovery_threshold=1)
    assert state.state == DOWN


def test_recovering_region_stays_down_until_recovery_threshold_even_if_degraded() -> None:
    state = next_state(MonitorState(DOWN, 3, 0), ok=True, degraded=True, failure_threshold=2, recovery_threshold=2)
    assert state.state == DOWN
    state = next_state(state, ok=True, degraded=True, failure_threshold=2, recovery_threshold=2)
    assert state.state == DEGRADED


@pytest.mark.parametrize(
    ("regions", "configured", "needed"),
    [(1, None, 1), (2, None, 2), (3, None, 2), (4, None, 3), (5, None, 3), (3, 1, 1), (3, 5, 3), (3, 0, 2)],
)
def test_regions_down_needed_is_more_than_half_unless_configured(
    regions: int, configured: int | None, needed: int
) -> None:
    assert regions_down_needed(region_count=regions, configured=configured) == needed


@pytest.mark.parametrize(
    ("regions", "expected"),
    [
        ([DOWN, DOWN, UP], DOWN),
        ([DOWN, UP, UP], UP),
        ([DOWN, DEGRADED, UP], DEGRADED),
        ([UP, UP, UP], UP),
        ([PENDING, PENDING, PENDING], PENDING),
        ([DOWN, PENDING, PENDING], PENDING),
    ],
)
def test_monitor_state_needs_m_failing_regions(regions: list[str], expected: str) -> None:
    assert monitor_state(current=PENDING, region_states=regions, down_needed=2, in_maintenance=False) == expected


def test_monitor_state_inside_maintenance_is_maintenance_whatever_the_regions() -> None:
    assert monitor_state(current=UP, region_states=[DOWN, DOWN], down_needed=1, in_maintenance=True) == MAINTENANCE


def test_leaving_maintenance_lands_on_what_the_regions_say() -> None:
    assert monitor_state(current=MAINTENANCE, region_states=[DOWN], down_needed=1, in_maintenance=False) == DOWN
    assert monitor_state(current=MAINTENANCE, region_states=[UP], down_needed=1, in_maintenance=False) == UP


@pytest.mark.parametrize(
    ("before", "after", "written"),
    [
        (UP, DOWN, True),
        (UP, DEGRADED, True),
        (DEGRADED, UP, True),
        (UP, MAINTENANCE, False),
        (DOWN, MAINTENANCE, False),
        (MAINTENANCE, MAINTENANCE, False),
        (MAINTENANCE, DOWN, True),
        (MAINTENANCE, UP, True),
        (UP, UP, False),
    ],
)
def test_status_change_is_never_written_into_or_inside_maintenance(before: str, after: str, written: bool) -> None:
    assert writes_status_change(before=before, after=after) is written


def test_flapping_one_in_three_never_turns_down_at_k_2() -> None:
    outcomes = [i % 3 != 2 for i in range(30)]
    assert DOWN not in run(outcomes)
