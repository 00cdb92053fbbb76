"""Regions observing one monitor at once (PostgreSQL, real threads): one baseline, counts that add up, one event."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from checks.models import ContractBaseline, DriftEvent
from checks.services import check_execute
from checks.tests.drift.helpers import tracked_monitor
from conftest import organization_of

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _race(monitor, due, regions):
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(regions))

    def run(region: str) -> None:
        try:
            barrier.wait(timeout=5)
            check_execute(monitor=monitor, due_at=due, region=region, sleep=lambda _s: None)
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(region,)) for region in regions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []


def test_regions_at_once_learn_one_baseline_and_confirm_one_event(alice, http_target, settings):
    settings.CHECK_REGIONS = ["eu", "us", "ap"]
    monitor = tracked_monitor(
        organization_of(alice), http_target, regions=["eu", "us", "ap"], contract_baseline_samples=3
    )
    http_target.set_reply(status=200, body=json.dumps({"id": 1, "status": "ok"}).encode(), delay_seconds=0.1)
    start = timezone.now().replace(microsecond=0)
    _race(monitor, start, ["eu", "us", "ap"])
    baselines = list(ContractBaseline.objects.filter(monitor=monitor))
    assert len(baselines) == 1
    assert (baselines[0].status, baselines[0].samples_seen) == ("active", 3)

    http_target.set_reply(status=200, body=json.dumps({"id": 1}).encode(), delay_seconds=0.1)
    for n in (1, 2):
        _race(monitor, start + timedelta(minutes=n), ["eu", "us", "ap"])
    assert DriftEvent.objects.filter(monitor=monitor).count() == 1
    assert ContractBaseline.objects.filter(monitor=monitor).count() == 1
