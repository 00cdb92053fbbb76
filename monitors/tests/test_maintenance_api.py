"""Maintenance windows through /api/v1/maintenance-windows/: CRUD, rules, roles, other organisations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import AuditEvent, Membership, User
from conftest import organization_of
from monitors.models import MaintenanceWindow, Monitor

pytestmark = pytest.mark.django_db

URL = "/api/v1/maintenance-windows/"


def _monitor(user: User, name: str = "Orders API") -> Monitor:
    return Monitor.objects.create(organization=organization_of(user), name=name, url="https://example.com/")


def _once(**overrides: Any) -> dict[str, Any]:
    now = timezone.now()
    return {
        "name": "Database upgrade",
        "recurrence": "once",
        "starts_at": (now - timedelta(minutes=5)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
    } | overrides


@pytest.fixture
def viewer(bob: User) -> User:
    Membership.objects.filter(user=bob).update(role=Membership.Role.VIEWER)
    return bob


def test_owner_creates_a_once_window_for_a_monitor(api_client_for, alice) -> None:  # noqa: ANN001
    monitor = _monitor(alice)
    response = api_client_for(alice).post(URL, _once(monitor=monitor.id), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["monitor"] == monitor.id
    assert body["active"] is True
    window = MaintenanceWindow.objects.get(id=body["id"])
    assert window.organization == organization_of(alice)
    assert window.monitor == monitor
    event = AuditEvent.objects.get(action="maintenance_window.created")
    assert (event.actor, event.target_id) == (alice, str(window.id))


def test_member_creates_weekly_and_cron_windows_for_the_whole_organisation(api_client_for, bob) -> None:  # noqa: ANN001
    client = api_client_for(bob)
    weekly = {
        "name": "Sunday nights",
        "recurrence": "weekly",
        "weekdays": [6, 6, 0],
        "start_time": "23:00",
        "duration_minutes": 120,
        "time_zone": "Europe/Paris",
    }
    response = client.post(URL, weekly, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["weekdays"] == [0, 6]
    assert response.json()["monitor"] is None
    cron = {"name": "Nightly", "recurrence": "cron", "cron": "0 3 * * *", "duration_minutes": 30}
    response = client.post(URL, cron, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["time_zone"] == "UTC"
    assert client.get(URL).json()["count"] == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (_once(ends_at="2020-01-01T00:00:00Z", starts_at="2020-01-01T01:00:00Z"), "ends_at"),
        ({"name": "x", "recurrence": "once"}, "starts_at"),
        ({"name": "x", "recurrence": "weekly", "start_time": "10:00"}, "weekdays"),
        ({"name": "x", "recurrence": "weekly", "weekdays": [7], "start_time": "10:00"}, "weekdays"),
        ({"name": "x", "recurrence": "weekly", "weekdays": [1]}, "start_time"),
        ({"name": "x", "recurrence": "cron", "cron": "every day"}, "cron"),
        ({"name": "x", "recurrence": "cron", "cron": "61 * * * *"}, "cron"),
        ({"name": "x", "recurrence": "cron", "cron": "0 3 * * *", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"name": "x", "recurrence": "cron", "cron": "0 3 * * *", "duration_minutes": 0}, "duration_minutes"),
        ({"name": "x", "recurrence": "cron", "cron": "0 3 * * *", "duration_minutes": 10081}, "duration_minutes"),
        ({"name": "x", "recurrence": "monthly"}, "recurrence"),
    ],
)
def test_invalid_windows_are_400_on_the_field(api_client_for, alice, payload, field) -> None:  # noqa: ANN001
    response = api_client_for(alice).post(URL, payload, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not MaintenanceWindow.objects.exists()


def test_ten_03_monitor_of_another_organisation_is_400(api_client_for, alice, mallory) -> None:  # noqa: ANN001
    alices = _monitor(alice, "Alice's API")
    client = api_client_for(mallory)
    response = client.post(URL, _once(monitor=alices.id), format="json")
    assert response.status_code == 400
    assert response.json() == {"monitor": ["No such monitor."]}
    assert not MaintenanceWindow.objects.exists()
    own = client.post(URL, _once(), format="json").json()
    response = client.patch(f"{URL}{own['id']}/", {"monitor": alices.id}, format="json")
    assert response.status_code == 400
    assert MaintenanceWindow.objects.get(id=own["id"]).monitor is None
    # organization in the body is ignored: the window stays mallory's.
    response = client.post(URL, _once(organization=organization_of(alice).id), format="json")
    assert MaintenanceWindow.objects.get(id=response.json()["id"]).organization == organization_of(mallory)


def test_patch_changes_fields_and_audits_their_names(api_client_for, alice) -> None:  # noqa: ANN001
    client = api_client_for(alice)
    window = client.post(URL, _once(), format="json").json()
    response = client.patch(
        f"{URL}{window['id']}/",
        {"recurrence": "cron", "cron": "*/15 * * * *", "duration_minutes": 5, "name": "Renamed"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    stored = MaintenanceWindow.objects.get(id=window["id"])
    assert (stored.name, stored.recurrence, stored.cron, stored.starts_at) == ("Renamed", "cron", "*/15 * * * *", None)
    event = AuditEvent.objects.get(action="maintenance_window.updated")
    assert event.data == {"fields": ["cron", "duration_minutes", "name", "recurrence"]}
    # A change that leaves the window incomplete is refused and stores nothing.
    response = client.patch(f"{URL}{window['id']}/", {"recurrence": "weekly"}, format="json")
    assert response.status_code == 400
    assert MaintenanceWindow.objects.get(id=window["id"]).recurrence == "cron"


def test_delete_removes_and_audits(api_client_for, alice) -> None:  # noqa: ANN001
    client = api_client_for(alice)
    window = client.post(URL, _once(), format="json").json()
    assert client.delete(f"{URL}{window['id']}/").status_code == 204
    assert not MaintenanceWindow.objects.exists()
    assert AuditEvent.objects.filter(action="maintenance_window.deleted", target_id=str(window["id"])).exists()


def test_viewer_reads_but_cannot_write(api_client_for, alice, viewer) -> None:  # noqa: ANN001
    window = api_client_for(alice).post(URL, _once(), format="json").json()
    client = api_client_for(viewer)
    assert client.get(URL).json()["count"] == 1
    assert client.get(f"{URL}{window['id']}/").status_code == 200
    assert client.post(URL, _once(), format="json").status_code == 403
    assert client.patch(f"{URL}{window['id']}/", {"name": "x"}, format="json").status_code == 403
    assert client.delete(f"{URL}{window['id']}/").status_code == 403
    assert MaintenanceWindow.objects.get().name == "Database upgrade"


def test_other_organisation_gets_404_and_an_empty_list(api_client_for, alice, mallory) -> None:  # noqa: ANN001
    window = api_client_for(alice).post(URL, _once(), format="json").json()
    client = api_client_for(mallory)
    assert client.get(URL).json()["count"] == 0
    for method, data in (("get", None), ("patch", {"name": "mine"}), ("delete", None)):
        response = getattr(client, method)(f"{URL}{window['id']}/", data, format="json")
        assert response.status_code == 404, method
    assert MaintenanceWindow.objects.get().name == "Database upgrade"


def test_active_flag_follows_the_window(api_client_for, alice) -> None:  # noqa: ANN001
    client = api_client_for(alice)
    past = _once(starts_at=datetime(2020, 1, 1, tzinfo=UTC).isoformat(), ends_at="2020-01-02T00:00:00Z")
    assert client.post(URL, past, format="json").json()["active"] is False
