"""Service-level properties (hypothesis, derandomized): through drift_observe and the real database, value-only
variations of a learned response never become a DriftEvent, and removing a field always does, once."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.drift import drift_observe
from checks.jsonsafe import JsonOutcome
from checks.models import CheckResult, DriftEvent
from checks.tests.factories import make_monitor
from conftest import organization_of

pytestmark = pytest.mark.django_db

PROPERTY = settings(
    derandomize=True,
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
KEYS = st.sampled_from(["id", "name", "price", "tags", "owner", "items", "active", "note"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32).filter(lambda x: x != int(x)),
    st.text(max_size=8),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, min_size=1, max_size=3), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=30,
)
_slot = itertools.count()


def _same_shape(value: Any, salt: int) -> Any:
    """Another value of exactly the same shape: every scalar changed within its type, arrays repeated."""
    if isinstance(value, dict):
        return {key: _same_shape(item, salt + i) for i, (key, item) in enumerate(value.items())}
    if isinstance(value, list):
        return [_same_shape(item, salt + i) for i, item in enumerate(value + value)]
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 7 + salt
    if isinstance(value, float):
        return value * 3.0 + 0.5
    if isinstance(value, str):
        return value + "x" * (salt % 3 + 1)
    return value


def _observe(monitor, value: Any) -> None:
    now = timezone.now().replace(microsecond=0) + timedelta(seconds=next(_slot))
    result = CheckResult.objects.create(monitor=monitor, due_at=now, started_at=now, ok=True, status_code=200)
    drift_observe(
        monitor=monitor,
        result=result,
        document=JsonOutcome("ok", value=value),
        content_type="application/json",
        now=now,
    )


def _monitor(alice):
    return make_monitor(
        organization=organization_of(alice),
        url="https://api.example.com/x",
        track_contract=True,
        contract_baseline_samples=1,
        contract_confirmations=2,
    )


@PROPERTY
@given(value=st.dictionaries(KEYS, VALUES, min_size=1, max_size=5))
def test_value_only_variations_never_drift(alice, value):
    monitor = _monitor(alice)
    _observe(monitor, value)
    for salt in range(3):
        _observe(monitor, _same_shape(value, salt))
    assert not DriftEvent.objects.filter(monitor=monitor).exists()


@PROPERTY
@given(value=st.dictionaries(KEYS, VALUES, min_size=2, max_size=5), data=st.data())
def test_a_removed_field_is_reported_once_at_its_path(alice, value, data):
    monitor = _monitor(alice)
    key = data.draw(st.sampled_from(sorted(value)))
    _observe(monitor, value)
    changed = {k: v for k, v in value.items() if k != key}
    for _ in range(4):
        _observe(monitor, changed)
    events = list(DriftEvent.objects.filter(monitor=monitor))
    assert len(events) == 1
    assert {"path": f"$.{key}", "change": "removed"} in [
        {"path": c["path"], "change": c["change"]} for c in events[0].changes
    ]
