"""Contract drift end to end, on real parts: a real Celery worker and beat, a real local API that changes its response.

The monitor learns its baseline from the first responses; the API then removes one field and
adds another; after `contract_confirmations` responses in a row exactly one DriftEvent exists
(however many more checks run), the alerts app claims it, and accepting it through the API makes
the new shape the next baseline version, against which the new responses are no drift.
"""

from __future__ import annotations

import json

import pytest
import requests

from checks.models import CheckResult, DriftEvent
from conftest import make_user
from tests.e2e import test_story
from tests.e2e.test_story import celery_processes  # noqa: F401 - the worker and beat fixture
from tests.servers import HttpTarget, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BEFORE = {"id": 7, "status": "paid", "total": 12.5, "owner": {"email": "a@example.com"}}
AFTER = {"id": 8, "total": 99.0, "owner": {"email": "b@example.com"}, "currency": "EUR"}


@pytest.fixture
def own_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Redis database of this test's own for the broker, so it never shares queues with the story test."""
    monkeypatch.setattr(test_story, "E2E_REDIS_DB", 12)


def test_drift_learn_change_confirm_once_accept(
    own_broker,
    live_server,
    settings,
    http_target: HttpTarget,
    celery_processes,  # noqa: F811
) -> None:
    settings.MIN_CHECK_INTERVAL = 1
    api = f"{live_server.url}/api/v1"
    make_user(email="owner@example.com", password="a long enough passphrase")
    token = requests.post(
        f"{api}/auth/token/", json={"email": "owner@example.com", "password": "a long enough passphrase"}, timeout=10
    ).json()["access"]
    jwt = {"Authorization": f"Bearer {token}"}

    http_target.set_reply(status=200, body=json.dumps(BEFORE).encode())
    created = requests.post(
        f"{api}/monitors/",
        json={
            "name": "orders api",
            "url": f"{http_target.url}/orders",
            "interval_seconds": 2,
            "timeout_seconds": 1,
            "track_contract": True,
            "contract_baseline_samples": 2,
            "contract_confirmations": 2,
        },
        headers=jwt,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    monitor_id = created.json()["id"]
    baselines_url = f"{api}/monitors/{monitor_id}/baselines/"
    events_url = f"{api}/monitors/{monitor_id}/drift-events/"

    def baselines() -> list[dict]:
        return requests.get(baselines_url, headers=jwt, timeout=10).json()["results"]

    def events() -> list[dict]:
        return requests.get(events_url, headers=jwt, timeout=10).json()["results"]

    learned = wait_for(
        lambda: [b for b in baselines() if b["status"] == "active"], timeout=60, message="the baseline to be learned"
    )
    assert (learned[0]["version"], learned[0]["samples_seen"], learned[0]["source"]) == (1, 2, "learned")
    assert events() == []

    # The API changes: status removed, currency added.
    http_target.set_reply(status=200, body=json.dumps(AFTER).encode())
    found = wait_for(events, timeout=60, message="the drift event")
    assert len(found) == 1
    event = found[0]
    assert event["severity"] == "breaking" and event["accepted"] is False
    assert {(c["path"], c["change"]) for c in event["changes"]} == {("$.status", "removed"), ("$.currency", "added")}

    # It was written on the 2nd response of the new shape, not the 1st.
    stored = DriftEvent.objects.get(id=event["id"])
    changed = list(
        CheckResult.objects.filter(monitor_id=monitor_id)
        .exclude(shape_hash__in=["", learned[0]["shape_hash"]])
        .order_by("due_at")
        .values_list("id", "shape_hash")
    )
    before_shapes = set(
        CheckResult.objects.filter(monitor_id=monitor_id, due_at__lt=stored.detected_at).values_list(
            "shape_hash", flat=True
        )
    )
    assert stored.result_id == changed[1][0], (stored.result_id, changed)
    assert len(before_shapes) >= 2  # the learned shape and the new one

    # More checks of the same new shape: still exactly one event; the alerts app claims it.
    seen = len(changed)
    wait_for(
        lambda: CheckResult.objects.filter(monitor_id=monitor_id, shape_hash=changed[0][1]).count() >= seen + 2,
        timeout=60,
        message="more checks of the new shape",
    )
    assert len(events()) == 1
    wait_for(
        lambda: DriftEvent.objects.filter(id=event["id"], processed_at__isnull=False).exists(),
        timeout=30,
        message="the alerts app to claim the event",
    )

    # Accept through the API: version 2, active; the new responses are no drift against it.
    accepted = requests.post(f"{events_url}{event['id']}/accept/", headers=jwt, timeout=10)
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["version"], accepted.json()["status"], accepted.json()["source"]) == (
        2,
        "active",
        "accepted",
    )
    after_accept = CheckResult.objects.filter(monitor_id=monitor_id).count()
    wait_for(
        lambda: CheckResult.objects.filter(monitor_id=monitor_id).count() >= after_accept + 3,
        timeout=60,
        message="three more checks after accepting",
    )
    assert len(events()) == 1 and events()[0]["accepted"] is True
    assert [(b["version"], b["status"]) for b in baselines()] == [(2, "active"), (1, "superseded")]
    assert all(p.poll() is None for p in celery_processes), "worker and beat stayed up"
