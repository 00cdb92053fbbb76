"""Regions (issue 4 part 9): M-of-N failing regions for DOWN, and each region's queue lag in /readyz and the UI."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from checks.models import MonitorRegionState, RegionStatus, StatusChange
from checks.region_lag import region_lag_list, region_probes_send
from checks.services import check_execute
from checks.tasks import probe_regions_task
from checks.tests.factories import make_monitor
from conftest import organization_of
from monitors.models import Monitor

pytestmark = pytest.mark.django_db

REGIONS = ["eu", "us", "ap"]


def no_sleep(seconds: float) -> None:
    pass


def run_slot(monitor: Monitor, http_target, due, replies: dict[str, int]) -> None:
    """One slot in every region; `replies` is what the target answers to each region's probe."""
    for region in REGIONS:
        http_target.set_reply(status=replies[region])
        check_execute(monitor=monitor, due_at=due, region=region, sleep=no_sleep)


@pytest.fixture
def monitor(alice, http_target) -> Monitor:
    return make_monitor(organization=organization_of(alice), url=http_target.url, regions=REGIONS, retries=0)


def states(monitor: Monitor) -> dict[str, str]:
    return dict(MonitorRegionState.objects.filter(monitor=monitor).values_list("region", "state"))


def test_two_of_three_regions_failing_turns_the_monitor_down(monitor, http_target) -> None:
    start = timezone.now()
    run_slot(monitor, http_target, start, {"eu": 200, "us": 200, "ap": 200})
    for n in (1, 2):
        run_slot(monitor, http_target, start + timedelta(seconds=60 * n), {"eu": 500, "us": 500, "ap": 200})
    monitor.refresh_from_db()
    assert states(monitor) == {"eu": "down", "us": "down", "ap": "up"}
    assert monitor.state == "down"
    changes = list(StatusChange.objects.filter(monitor=monitor).order_by("id").values_list("old_state", "new_state"))
    assert changes == [("pending", "up"), ("up", "down")]
    # One region recovers: fewer than M failing, the monitor is up again.
    run_slot(monitor, http_target, start + timedelta(seconds=180), {"eu": 200, "us": 500, "ap": 200})
    monitor.refresh_from_db()
    assert monitor.state == "up"


def test_one_of_three_regions_failing_does_not_page(monitor, http_target) -> None:
    start = timezone.now()
    for n in range(6):
        run_slot(monitor, http_target, start + timedelta(seconds=60 * n), {"eu": 500, "us": 200, "ap": 200})
    monitor.refresh_from_db()
    assert states(monitor)["eu"] == "down"
    assert monitor.state == "up"
    assert not StatusChange.objects.filter(monitor=monitor, new_state="down").exists()


def test_regions_down_threshold_one_pages_on_any_failing_region(alice, http_target) -> None:
    monitor = make_monitor(
        organization=organization_of(alice),
        url=http_target.url,
        regions=REGIONS,
        retries=0,
        regions_down_threshold=1,
    )
    start = timezone.now()
    for n in range(2):
        run_slot(monitor, http_target, start + timedelta(seconds=60 * n), {"eu": 500, "us": 200, "ap": 200})
    monitor.refresh_from_db()
    assert monitor.state == "down"


def test_results_carry_their_region_and_a_redelivered_slot_moves_no_count(monitor, http_target) -> None:
    due = timezone.now()
    http_target.set_reply(status=500)
    first = check_execute(monitor=monitor, due_at=due, region="eu", sleep=no_sleep)
    again = check_execute(monitor=monitor, due_at=due, region="eu", sleep=no_sleep)
    assert first.id == again.id and first.region == "eu"
    row = MonitorRegionState.objects.get(monitor=monitor, region="eu")
    assert row.consecutive_failures == 1
    assert row.last_result_at == first.started_at


def test_a_late_result_of_an_older_slot_moves_no_count(monitor, http_target) -> None:
    start = timezone.now()
    http_target.set_reply(status=500)
    check_execute(monitor=monitor, due_at=start + timedelta(seconds=60), region="eu", sleep=no_sleep)
    check_execute(monitor=monitor, due_at=start, region="eu", sleep=no_sleep)  # arrives late
    assert MonitorRegionState.objects.get(monitor=monitor, region="eu").consecutive_failures == 1


# --- queue lag -----------------------------------------------------------------------------------


def test_probe_regions_task_records_consumption_of_each_region(settings) -> None:
    settings.CHECK_REGIONS = ["eu", "us"]
    sent = probe_regions_task.apply().get()  # eager: each region's probe runs at once
    assert sorted(sent) == ["eu", "us"]
    for row in RegionStatus.objects.all():
        assert row.consumed_at is not None and row.consumed_at >= row.probe_sent_at
        assert row.lag_ms is not None and row.lag_ms < 5_000
    assert [lag.stale for lag in region_lag_list(now=timezone.now())] == [False, False]


def test_a_region_whose_probe_waits_over_a_minute_is_stale(settings) -> None:
    settings.CHECK_REGIONS = ["eu", "us"]
    now = timezone.now()
    RegionStatus.objects.create(region="eu", probe_sent_at=now - timedelta(seconds=61), consumed_at=None)
    RegionStatus.objects.create(
        region="us", probe_sent_at=now - timedelta(seconds=40), consumed_at=now - timedelta(seconds=300), lag_ms=20
    )
    lags = {lag.region: lag.stale for lag in region_lag_list(now=now)}
    assert lags == {"eu": True, "us": False}  # us's probe has waited 40 s only


def test_a_region_with_lag_over_30_seconds_is_stale(settings) -> None:
    settings.CHECK_REGIONS = ["eu"]
    now = timezone.now()
    RegionStatus.objects.create(region="eu", probe_sent_at=now, consumed_at=now, lag_ms=31_000)
    assert region_lag_list(now=now)[0].stale is True


def test_an_outstanding_probe_keeps_its_send_time_and_is_not_resent_at_once(settings) -> None:
    settings.CHECK_REGIONS = ["eu"]
    now = timezone.now()
    old = now - timedelta(seconds=90)
    RegionStatus.objects.create(region="eu", probe_sent_at=old, consumed_at=old - timedelta(seconds=30))
    assert region_probes_send(now=now) == []
    assert RegionStatus.objects.get(region="eu").probe_sent_at == old
    # Past RESEND_AFTER the probe is sent again (eager here, so consumed at once).
    assert region_probes_send(now=now + timedelta(seconds=60)) == ["eu"]
    row = RegionStatus.objects.get(region="eu")
    assert row.probe_sent_at == old and row.consumed_at > old


def test_readyz_shows_each_region_and_a_lagging_one_as_degraded_not_503(client, settings) -> None:
    settings.CHECK_REGIONS = ["eu", "us"]
    now = timezone.now()
    RegionStatus.objects.create(region="eu", probe_sent_at=now, consumed_at=now, lag_ms=12)
    RegionStatus.objects.create(region="us", probe_sent_at=now - timedelta(seconds=120))
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["regions"]["eu"]["lag_ms"] == 12 and body["regions"]["eu"]["stale"] is False
    assert body["regions"]["us"]["stale"] is True and body["regions"]["us"]["consumed_at"] is None
    assert body["degraded"] == ["regions"]


def test_readyz_without_lag_has_no_degraded(client, settings) -> None:
    settings.CHECK_REGIONS = ["eu"]
    body = client.get("/readyz").json()
    assert body["regions"] == {"eu": {"lag_ms": None, "consumed_at": None, "probe_sent_at": None, "stale": False}}
    assert "degraded" not in body


def test_monitor_page_shows_the_regions_panel(client, alice, monitor, http_target, settings) -> None:
    settings.CHECK_REGIONS = REGIONS
    now = timezone.now()
    RegionStatus.objects.create(region="us", probe_sent_at=now - timedelta(seconds=120))
    RegionStatus.objects.create(region="eu", probe_sent_at=now, consumed_at=now, lag_ms=1234)
    run_slot(monitor, http_target, now, {"eu": 200, "us": 500, "ap": 200})
    client.force_login(alice)
    page = client.get(f"/monitors/{monitor.id}/").content.decode()
    assert 'id="regions-panel"' in page
    assert "1,234 ms" in page
    assert "lagging" in page  # us's probe has waited two minutes


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_regions_reporting_at_once_are_ordered_by_the_monitor_lock(alice, http_target) -> None:
    """Three regions' results of each slot land concurrently; the row lock keeps every count, one flip to DOWN."""
    import threading

    from django.db import connection

    monitor = make_monitor(organization=organization_of(alice), url=http_target.url, regions=REGIONS, retries=0)
    http_target.set_reply(status=500, delay_seconds=0.1)
    start = timezone.now()
    errors: list[BaseException] = []

    def run(region: str, due) -> None:  # noqa: ANN001
        try:
            check_execute(monitor=Monitor.objects.get(id=monitor.id), due_at=due, region=region, sleep=no_sleep)
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)
        finally:
            connection.close()

    for n in range(3):
        threads = [threading.Thread(target=run, args=(r, start + timedelta(seconds=60 * n))) for r in REGIONS]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert errors == []
    assert set(MonitorRegionState.objects.filter(monitor=monitor).values_list("consecutive_failures", flat=True)) == {3}
    monitor.refresh_from_db()
    assert monitor.state == "down"
    assert list(StatusChange.objects.filter(monitor=monitor).values_list("old_state", "new_state")) == [
        ("pending", "down")
    ]


def test_counts_start_over_after_a_pause(monitor, http_target) -> None:
    from monitors.services import monitor_update

    start = timezone.now()
    for n in range(2):
        run_slot(monitor, http_target, start + timedelta(seconds=60 * n), {"eu": 500, "us": 500, "ap": 200})
    monitor.refresh_from_db()
    assert monitor.state == "down"
    monitor_update(monitor=monitor, paused=True)
    monitor = monitor_update(monitor=Monitor.objects.get(id=monitor.id), paused=False)
    assert monitor.state == "pending"
    run_slot(monitor, http_target, start + timedelta(seconds=120), {"eu": 500, "us": 500, "ap": 200})
    monitor.refresh_from_db()
    assert monitor.state == "up"  # one failure per region since the resume: not confirmed yet
    assert states(monitor) == {"eu": "pending", "us": "pending", "ap": "up"}
