"""/api/v1/monitors/<id>/results/ and /metrics/: tenancy, filters, and the metrics math."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey
from accounts.services import api_key_create
from checks.models import CheckResult
from conftest import organization_of
from monitors.models import Monitor
from monitors.services import monitor_create

pytestmark = pytest.mark.django_db


def make_monitor(user: Any) -> Monitor:
    return monitor_create(organization=organization_of(user), name="Orders API", url="https://api.example.com/")


def add_result(monitor: Monitor, *, minutes_ago: float, ok: bool = True, latency_ms: int | None = 100, **extra: Any):
    started_at = timezone.now() - timedelta(minutes=minutes_ago)
    fields = {"status_code": 200 if ok else 503, "error": "" if ok else "status 503"} | extra
    return CheckResult.objects.create(
        monitor=monitor, due_at=started_at, started_at=started_at, ok=ok, latency_ms=latency_ms, **fields
    )


def results_url(monitor: Monitor) -> str:
    return f"/api/v1/monitors/{monitor.id}/results/"


def metrics_url(monitor: Monitor) -> str:
    return f"/api/v1/monitors/{monitor.id}/metrics/"


# --- results -----------------------------------------------------------------


def test_result_list_owner_gets_results_newest_first(api_client_for, alice):
    monitor = make_monitor(alice)
    old = add_result(monitor, minutes_ago=10)
    new = add_result(monitor, minutes_ago=1, ok=False, latency_ms=None, status_code=None, error="timeout")

    response = api_client_for(alice).get(results_url(monitor))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [r["id"] for r in body["results"]] == [new.id, old.id]
    assert body["results"][0] == {
        "id": new.id,
        "due_at": body["results"][0]["due_at"],
        "started_at": body["results"][0]["started_at"],
        "region": "local",
        "ok": False,
        "status_code": None,
        "latency_ms": None,
        "error": "timeout",
    }
    assert body["results"][1]["status_code"] == 200
    assert body["results"][1]["latency_ms"] == 100


def test_result_list_member_gets_results(api_client_for, alice, bob):
    monitor = make_monitor(alice)
    add_result(monitor, minutes_ago=1)
    response = api_client_for(bob).get(results_url(monitor))
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_result_list_other_organization_gets_404(api_client_for, alice, mallory):
    monitor = make_monitor(alice)
    add_result(monitor, minutes_ago=1)
    assert api_client_for(mallory).get(results_url(monitor)).status_code == 404


def test_result_list_anonymous_gets_401(alice):
    assert APIClient().get(results_url(make_monitor(alice))).status_code == 401


def test_result_list_read_key_can_read(alice):
    monitor = make_monitor(alice)
    add_result(monitor, minutes_ago=1)
    issued = api_key_create(organization=organization_of(alice), created_by=alice, name="r", scope=ApiKey.Scope.READ)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=issued.key)
    assert client.get(results_url(monitor)).json()["count"] == 1


def test_result_list_since_and_until_filter_by_start_time(api_client_for, alice):
    monitor = make_monitor(alice)
    add_result(monitor, minutes_ago=120)
    middle = add_result(monitor, minutes_ago=60)
    add_result(monitor, minutes_ago=5)
    since = (timezone.now() - timedelta(minutes=90)).isoformat()
    until = (timezone.now() - timedelta(minutes=30)).isoformat()

    response = api_client_for(alice).get(results_url(monitor), {"since": since, "until": until})

    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [middle.id]


def test_result_list_accepts_z_suffix(api_client_for, alice):
    monitor = make_monitor(alice)
    add_result(monitor, minutes_ago=1)
    response = api_client_for(alice).get(results_url(monitor), {"since": "2000-01-01T00:00:00Z"})
    assert response.status_code == 200
    assert response.json()["count"] == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-45T00:00:00Z"}, "until"),
        ({"since": "x" * 10_000}, "since"),
        ({"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "until"),
    ],
)
def test_result_list_bad_time_gets_400_on_the_field(api_client_for, alice, params, field):
    response = api_client_for(alice).get(results_url(make_monitor(alice)), params)
    assert response.status_code == 400
    assert field in response.json()


def test_result_list_is_paginated(api_client_for, alice):
    monitor = make_monitor(alice)
    for minute in range(3):
        add_result(monitor, minutes_ago=minute + 1)
    body = api_client_for(alice).get(results_url(monitor), {"page_size": 2}).json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"] is not None


def test_result_list_shows_only_this_monitors_results(api_client_for, alice):
    monitor, other = make_monitor(alice), make_monitor(alice)
    add_result(other, minutes_ago=1)
    assert api_client_for(alice).get(results_url(monitor)).json()["count"] == 0


# --- metrics -----------------------------------------------------------------


def test_metrics_uptime_and_percentiles_from_known_rows(api_client_for, alice):
    monitor = make_monitor(alice)
    # Latencies 10, 20, ... 100 ms; the two slowest checks failed.
    for index in range(10):
        add_result(monitor, minutes_ago=index + 1, ok=index < 8, latency_ms=(index + 1) * 10)
    add_result(monitor, minutes_ago=25 * 60)  # outside 24h

    response = api_client_for(alice).get(metrics_url(monitor))

    assert response.status_code == 200
    body = response.json()
    assert body["range"] == "24h"
    assert body["checks"] == 10
    assert body["uptime_percent"] == 80.0
    # Nearest rank: p50 is the 5th of 10 values, p95 and p99 the 10th.
    assert (body["p50_ms"], body["p95_ms"], body["p99_ms"]) == (50, 100, 100)
    assert len(body["series"]) == 25  # 24 h in whole hours (rollups), the current one included
    assert set(body["series"][0]) == {"t", "checks", "uptime_percent", "p95_ms"}
    assert sum(point["checks"] for point in body["series"]) == 10
    assert body["series"][0] == {"t": body["series"][0]["t"], "checks": 0, "uptime_percent": None, "p95_ms": None}


def test_metrics_percentiles_over_a_hundred_rows(api_client_for, alice):
    monitor = make_monitor(alice)
    for index in range(100):
        add_result(monitor, minutes_ago=index * 0.5 + 0.25, latency_ms=index + 1)
    body = api_client_for(alice).get(metrics_url(monitor), {"range": "1h"}).json()
    assert body["checks"] == 100
    assert body["uptime_percent"] == 100.0
    assert (body["p50_ms"], body["p95_ms"], body["p99_ms"]) == (50, 95, 99)
    assert len(body["series"]) == 60


def test_metrics_with_no_results_are_empty_not_zero(api_client_for, alice):
    body = api_client_for(alice).get(metrics_url(make_monitor(alice)), {"range": "7d"}).json()
    assert body["checks"] == 0
    assert body["uptime_percent"] is None
    assert body["p50_ms"] is None


@pytest.mark.parametrize("range_name", ["1h", "24h", "7d", "30d", "90d"])
def test_metrics_every_range_is_accepted(api_client_for, alice, range_name):
    response = api_client_for(alice).get(metrics_url(make_monitor(alice)), {"range": range_name})
    assert response.status_code == 200
    assert response.json()["range"] == range_name


@pytest.mark.parametrize("range_name", ["2h", "1H", "24h ", "-1", "x" * 1000])
def test_metrics_unknown_range_gets_400(api_client_for, alice, range_name):
    response = api_client_for(alice).get(metrics_url(make_monitor(alice)), {"range": range_name})
    assert response.status_code == 400
    assert "range" in response.json()


def test_metrics_member_gets_them(api_client_for, alice, bob):
    monitor = make_monitor(alice)
    add_result(monitor, minutes_ago=1)
    assert api_client_for(bob).get(metrics_url(monitor)).json()["checks"] == 1


def test_metrics_other_organization_gets_404(api_client_for, alice, mallory):
    assert api_client_for(mallory).get(metrics_url(make_monitor(alice))).status_code == 404


def test_metrics_anonymous_gets_401(alice):
    assert APIClient().get(metrics_url(make_monitor(alice))).status_code == 401
