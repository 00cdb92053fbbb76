"""Heartbeat monitors: pings through HTTP, run durations, lateness sweeps, the pings API and panel."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Organization
from checks.models import CheckResult, HeartbeatPing, StatusChange
from checks.services_heartbeats import (
    heartbeat_ping_record,
    heartbeats_check_overdue,
    humanize_seconds,
)
from checks.tasks import check_heartbeats_task
from conftest import organization_of
from monitors.models import Monitor
from monitors.selectors import monitor_list_due
from monitors.services import monitor_update

pytestmark = pytest.mark.django_db


def make_heartbeat(organization: Organization, **overrides: Any) -> Monitor:
    # Heartbeat monitors page on the first late or failed ping: failure_threshold=1 (monitor_create sets it).
    fields: dict[str, Any] = {
        "name": "Nightly backup",
        "kind": Monitor.Kind.HEARTBEAT,
        "period_seconds": 3600,
        "grace_seconds": 300,
        "failure_threshold": 1,
    }
    return Monitor.objects.create(organization=organization, **(fields | overrides))


@pytest.fixture
def monitor(alice) -> Monitor:  # noqa: ANN001
    return make_heartbeat(organization_of(alice))


def record(monitor: Monitor, kind: str, at: datetime) -> HeartbeatPing:
    return heartbeat_ping_record(
        monitor=monitor, kind=kind, received_at=at, method="GET", remote_addr="127.0.0.1", user_agent="", body=""
    )


def push_results(monitor: Monitor) -> list[CheckResult]:
    return list(CheckResult.objects.filter(monitor=monitor, region="push").order_by("due_at"))


# --- the endpoints -----------------------------------------------------------------------------


def test_ping_get_answers_ok_and_records_a_success(monitor: Monitor) -> None:
    response = Client().get(f"/ping/{monitor.ping_token}", HTTP_USER_AGENT="curl/8.5.0")
    assert response.status_code == 200
    assert response.content == b"OK"
    assert response["Content-Type"].startswith("text/plain")
    ping = HeartbeatPing.objects.get(monitor=monitor)
    assert (ping.kind, ping.method, ping.remote_addr, ping.user_agent) == ("success", "GET", "127.0.0.1", "curl/8.5.0")
    monitor.refresh_from_db()
    assert monitor.state == Monitor.State.UP
    assert monitor.last_ping_at == ping.received_at
    [result] = push_results(monitor)
    assert result.ok and result.details["ping"] == "success"


def test_ping_post_keeps_the_body_without_a_csrf_token(monitor: Monitor) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/ping/{monitor.ping_token}/", data=b"backup: 42 files", content_type="text/plain")
    assert response.status_code == 200
    ping = HeartbeatPing.objects.get(monitor=monitor)
    assert (ping.method, ping.body) == ("POST", "backup: 42 files")


def test_ping_body_is_capped_at_the_setting(monitor: Monitor, settings) -> None:  # noqa: ANN001
    settings.CHECKS_PING_BODY_BYTES = 100
    body = ("é" * 49 + "x" * 500 + "\x00").encode()
    assert Client().post(f"/ping/{monitor.ping_token}", data=body, content_type="text/plain").status_code == 200
    stored = HeartbeatPing.objects.get(monitor=monitor).body
    assert stored == "é" * 49 + "xx"  # 98 + 2 bytes


def test_ping_body_default_cap_is_10000_bytes(monitor: Monitor) -> None:
    Client().post(f"/ping/{monitor.ping_token}/fail", data=b"e" * 50_000, content_type="text/plain")
    assert len(HeartbeatPing.objects.get(monitor=monitor).body) == 10_000


def test_ping_user_agent_is_cut_to_200_chars(monitor: Monitor) -> None:
    Client().get(f"/ping/{monitor.ping_token}", HTTP_USER_AGENT="a" * 500)
    assert HeartbeatPing.objects.get(monitor=monitor).user_agent == "a" * 200


@pytest.mark.parametrize("suffix", ["", "/", "/start", "/start/", "/fail", "/fail/"])
def test_ping_urls_with_and_without_trailing_slash(monitor: Monitor, suffix: str) -> None:
    assert Client().get(f"/ping/{monitor.ping_token}{suffix}").status_code == 200
    assert HeartbeatPing.objects.get(monitor=monitor).kind == (suffix.strip("/") or "success")


def test_unknown_token_is_a_bare_404(monitor: Monitor) -> None:
    for path in (f"/ping/{uuid.uuid4()}", f"/ping/{uuid.uuid4()}/start", f"/ping/{uuid.uuid4()}/fail/"):
        response = Client().post(path, data=b"x", content_type="text/plain")
        assert (response.status_code, response.content) == (404, b"Not found")
    assert not HeartbeatPing.objects.exists()


def test_token_of_a_monitor_that_is_not_a_heartbeat_is_404(alice) -> None:  # noqa: ANN001
    http = Monitor.objects.create(organization=organization_of(alice), name="Site", url="https://example.com/")
    assert Client().get(f"/ping/{http.ping_token}").status_code == 404
    assert not HeartbeatPing.objects.exists()


def test_other_methods_are_405(monitor: Monitor) -> None:
    response = Client().put(f"/ping/{monitor.ping_token}")
    assert response.status_code == 405
    assert not HeartbeatPing.objects.exists()


def test_ping_rate_limit_per_token(monitor: Monitor, settings) -> None:  # noqa: ANN001
    settings.RATELIMIT_ENABLE = True
    settings.CHECKS_PINGS_PER_TOKEN = "3/m"
    codes = [Client().get(f"/ping/{monitor.ping_token}").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    assert HeartbeatPing.objects.filter(monitor=monitor).count() == 3
    response = Client().get(f"/ping/{monitor.ping_token}")
    assert int(response["Retry-After"]) >= 1
    # Another token is counted on its own.
    other = make_heartbeat(monitor.organization, name="Other")
    assert Client().get(f"/ping/{other.ping_token}").status_code == 200


def test_ping_rate_limit_per_ip_covers_unknown_tokens(monitor: Monitor, settings) -> None:  # noqa: ANN001
    settings.RATELIMIT_ENABLE = True
    settings.CHECKS_PINGS_PER_IP = "4/m"
    codes = [Client().get(f"/ping/{uuid.uuid4()}").status_code for _ in range(4)]
    assert codes == [404] * 4
    assert Client().get(f"/ping/{monitor.ping_token}").status_code == 429
    assert Client(REMOTE_ADDR="127.0.0.2").get(f"/ping/{monitor.ping_token}").status_code == 200


# --- runs and results ----------------------------------------------------------------------------


def test_start_then_success_records_the_run_duration(monitor: Monitor) -> None:
    started = timezone.now() - timedelta(seconds=90)
    record(monitor, "start", started)
    monitor.refresh_from_db()
    assert monitor.last_start_at == started
    assert push_results(monitor) == []  # a start is not a result
    assert Client().get(f"/ping/{monitor.ping_token}").status_code == 200
    success = HeartbeatPing.objects.get(monitor=monitor, kind="success")
    assert 90_000 <= success.duration_ms < 100_000
    monitor.refresh_from_db()
    assert monitor.last_start_at is None
    [result] = push_results(monitor)
    assert result.ok and result.details["duration_ms"] == success.duration_ms


def test_fail_ping_turns_the_monitor_down_at_once(monitor: Monitor) -> None:
    Client().get(f"/ping/{monitor.ping_token}")
    response = Client().post(f"/ping/{monitor.ping_token}/fail", data=b"exit 3", content_type="text/plain")
    assert response.status_code == 200
    monitor.refresh_from_db()
    assert monitor.state == Monitor.State.DOWN
    result = push_results(monitor)[-1]
    assert (result.ok, result.error_kind, result.error) == (False, "heartbeat_fail", "The job reported failure.")
    assert StatusChange.objects.filter(monitor=monitor, new_state="down").count() == 1


def test_start_without_finish_within_grace_turns_down(monitor: Monitor) -> None:
    now = timezone.now()
    record(monitor, "success", now - timedelta(minutes=20))
    started = now - timedelta(minutes=6)
    record(monitor, "start", started)
    assert heartbeats_check_overdue(now=started + timedelta(minutes=4)) == 0  # still within the 5 min grace
    assert heartbeats_check_overdue(now=now) == 1
    monitor.refresh_from_db()
    assert monitor.state == Monitor.State.DOWN
    late = push_results(monitor)[-1]
    assert late.error_kind == "heartbeat_unfinished"
    assert late.due_at == started + timedelta(minutes=5)
    assert "did not finish within 5 min" in late.error


def test_late_turns_down_exactly_once_and_a_ping_brings_it_up(monitor: Monitor) -> None:
    now = timezone.now()
    last = now - timedelta(hours=2)
    record(monitor, "success", last)
    assert heartbeats_check_overdue(now=last + timedelta(minutes=64)) == 0  # 1 h + 5 min grace not yet over
    assert heartbeats_check_overdue(now=now) == 1
    for later in (now, now + timedelta(seconds=30), now + timedelta(hours=2), now + timedelta(hours=5)):
        heartbeats_check_overdue(now=later)
    monitor.refresh_from_db()
    assert monitor.state == Monitor.State.DOWN
    late = [r for r in push_results(monitor) if not r.ok]
    assert len(late) == 1
    assert late[0].due_at == last + timedelta(hours=1, minutes=5)
    assert (late[0].error_kind, late[0].error) == (
        "heartbeat_late",
        "No ping for 1 h 5 min (expected every 1 h, grace 5 min).",
    )
    assert StatusChange.objects.filter(monitor=monitor, new_state="down").count() == 1

    assert Client().get(f"/ping/{monitor.ping_token}").status_code == 200
    monitor.refresh_from_db()
    assert monitor.state == Monitor.State.UP
    assert StatusChange.objects.filter(monitor=monitor, new_state="up").count() == 2  # pending->up, down->up


def test_new_monitor_gets_a_full_period_before_it_is_late(alice) -> None:  # noqa: ANN001
    monitor = make_heartbeat(organization_of(alice), period_seconds=60, grace_seconds=30)
    assert heartbeats_check_overdue(now=monitor.created_at + timedelta(seconds=89)) == 0
    monitor.refresh_from_db()
    assert monitor.next_check_at == monitor.created_at + timedelta(seconds=90)  # remembered deadline
    assert heartbeats_check_overdue(now=monitor.created_at + timedelta(seconds=91)) == 1
    monitor.refresh_from_db()
    assert monitor.state == Monitor.State.DOWN


def test_paused_monitor_records_the_ping_but_no_result(alice) -> None:  # noqa: ANN001
    monitor = make_heartbeat(organization_of(alice), paused=True, state=Monitor.State.PAUSED)
    assert Client().get(f"/ping/{monitor.ping_token}/fail").status_code == 200
    assert HeartbeatPing.objects.filter(monitor=monitor).count() == 1
    assert heartbeats_check_overdue(now=timezone.now() + timedelta(days=3)) == 0
    assert push_results(monitor) == []
    monitor.refresh_from_db()
    assert monitor.state == Monitor.State.PAUSED


def test_a_shorter_period_is_noticed_at_the_new_deadline(monitor: Monitor) -> None:
    now = timezone.now()
    record(monitor, "success", now)  # deadline: now + 1 h + 5 min
    monitor_update(monitor=monitor, period_seconds=60, grace_seconds=60, now=now)

    assert heartbeats_check_overdue(now=now + timedelta(seconds=119)) == 0
    assert heartbeats_check_overdue(now=now + timedelta(seconds=121)) == 1
    monitor.refresh_from_db()
    assert monitor.state == Monitor.State.DOWN


def test_the_dispatcher_never_selects_heartbeat_monitors(monitor: Monitor) -> None:
    due_ids = [due.id for due in monitor_list_due(now=timezone.now() + timedelta(days=1), limit=100)]
    assert monitor.id not in due_ids


def test_check_heartbeats_task_runs_the_sweep(monitor: Monitor) -> None:
    Monitor.objects.filter(id=monitor.id).update(
        created_at=timezone.now() - timedelta(hours=3), next_check_at=timezone.now() - timedelta(hours=1)
    )
    assert check_heartbeats_task.apply().get() == 1
    assert check_heartbeats_task.apply().get() == 0


def test_humanize_seconds() -> None:
    assert [humanize_seconds(s) for s in (45, 60, 3900, 90000, 86400 * 3 + 61)] == [
        "45 s",
        "1 min",
        "1 h 5 min",
        "1 d 1 h",
        "3 d 1 min",
    ]


# --- read side -------------------------------------------------------------------------------


def test_pings_api_lists_newest_first_for_members_only(api_client_for, alice, bob, mallory, monitor) -> None:  # noqa: ANN001
    Client().get(f"/ping/{monitor.ping_token}/start")
    Client().post(f"/ping/{monitor.ping_token}", data=b"done", content_type="text/plain")
    for user in (alice, bob):
        response = api_client_for(user).get(f"/api/v1/monitors/{monitor.id}/pings/")
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 2
        first = body["results"][0]
        assert set(first) == {
            "id",
            "kind",
            "received_at",
            "method",
            "remote_addr",
            "user_agent",
            "body",
            "duration_ms",
        }
        assert (first["kind"], first["body"], first["method"]) == ("success", "done", "POST")
        assert first["duration_ms"] is not None
    assert api_client_for(mallory).get(f"/api/v1/monitors/{monitor.id}/pings/").status_code == 404


def test_monitor_page_shows_the_ping_urls_and_recent_pings(alice, monitor, settings) -> None:  # noqa: ANN001
    settings.SITE_URL = "https://status.example.com"
    Client().post(f"/ping/{monitor.ping_token}", data=b"hello from cron", content_type="text/plain")
    client = Client()
    client.force_login(alice)
    page = client.get(f"/monitors/{monitor.id}/").content.decode()
    assert f"https://status.example.com/ping/{monitor.ping_token}/start" in page
    assert f"https://status.example.com/ping/{monitor.ping_token}/fail" in page
    assert "hello from cron" in page
    assert 'id="heartbeat-panel"' in page


def test_monitor_page_of_an_http_monitor_has_no_heartbeat_panel(alice) -> None:  # noqa: ANN001
    http = Monitor.objects.create(organization=organization_of(alice), name="Site", url="https://example.com/")
    client = Client()
    client.force_login(alice)
    assert 'id="heartbeat-panel"' not in client.get(f"/monitors/{http.id}/").content.decode()


def test_no_probe_exists_for_heartbeat_monitors() -> None:
    from checks.probes import PROBES  # noqa: PLC0415

    assert Monitor.Kind.HEARTBEAT not in PROBES
