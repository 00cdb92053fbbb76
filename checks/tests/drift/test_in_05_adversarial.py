"""IN-05 for the drift pipeline: adversarial bodies through a real check of a tracking monitor never raise,
stay fast, and end as a typed observation (not_json drift, bounded, or a plain comparison)."""

from __future__ import annotations

import time

import pytest

from checks.models import CheckResult, DriftEvent
from checks.tests.drift.helpers import respond, tracked_monitor
from conftest import organization_of

pytestmark = pytest.mark.django_db

ADVERSARIAL = {
    "deep": b"[" * 10_000 + b"]" * 10_000,
    "wide": b"[" + b",".join([b"1"] * 1_000_000) + b"]",
    "huge_int": b'{"id": ' + b"9" * 5000 + b"}",
    "nan": b'{"id": NaN}',
    "infinity": b'{"id": Infinity}',
    "duplicate_keys": b'{"id": 1, "id": 2}',
    "lone_surrogate": b'{"id": "\\ud800"}',
    "invalid_utf8": b'{"id": "\xff\xfe"}',
    "html": b"<html><body>502 Bad Gateway</body></html>",
    "empty": b"",
}


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_in_05_adversarial_body_never_raises_and_is_typed(alice, http_target, settings, name):
    settings.CHECKS_MAX_BODY_BYTES = 4 * 1024 * 1024
    monitor = tracked_monitor(organization_of(alice), http_target, contract_baseline_samples=1)
    respond(monitor, http_target, {"id": 1})
    started = time.monotonic()
    results = respond(monitor, http_target, ADVERSARIAL[name], times=2)
    assert time.monotonic() - started < 6  # two full checks, parse and shape included
    assert all(r.ok for r in results)
    events = list(DriftEvent.objects.filter(monitor=monitor))
    if name in ("deep", "wide"):
        assert events == []  # too deep / too large: bounded, never alerted on
    else:
        assert len(events) == 1
        assert [c["change"] for c in events[0].changes] == ["not_json"]
        assert events[0].severity == "breaking"
    assert set(CheckResult.objects.filter(id__in=[r.id for r in results]).values_list("shape_hash", flat=True)) == {""}


def test_in_05_bom_and_null_are_json(alice, http_target):
    monitor = tracked_monitor(organization_of(alice), http_target, contract_baseline_samples=1)
    respond(monitor, http_target, {"id": 1})
    respond(monitor, http_target, b'\xef\xbb\xbf{"id": 2}', times=2)
    assert not DriftEvent.objects.exists()
    respond(monitor, http_target, b"null", times=2)
    event = DriftEvent.objects.get()
    assert [(c["path"], c["change"]) for c in event.changes] in ([("$", "became_nullable")], [("$", "type_changed")])
