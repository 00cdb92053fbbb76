"""Maintenance window pages: list + create form, edit, delete; roles and other organisations."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from django.test import Client

from accounts.models import AuditEvent, Membership, User
from conftest import organization_of
from monitors.models import MaintenanceWindow, Monitor
from monitors.services_maintenance import maintenance_window_create

pytestmark = pytest.mark.django_db

LIST = "/maintenance/"


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _window(user: User, **fields) -> MaintenanceWindow:  # noqa: ANN003
    base = {
        "name": "Sunday nights",
        "recurrence": "weekly",
        "weekdays": [6],
        "start_time": time(23),
        "duration_minutes": 120,
        "time_zone": "Europe/Paris",
    }
    return maintenance_window_create(organization=organization_of(user), **(base | fields))


@pytest.fixture
def viewer(bob: User) -> User:
    Membership.objects.filter(user=bob).update(role=Membership.Role.VIEWER)
    return bob


def test_list_shows_windows_and_the_create_form_to_a_member(bob) -> None:  # noqa: ANN001
    _window(bob)
    page = client_for(bob).get(LIST).content.decode()
    assert "Sunday nights" in page
    assert "Sun at 23:00 for 120 min (Europe/Paris)" in page
    assert 'id="maintenance-form"' in page


def test_nav_links_to_the_maintenance_page(alice) -> None:  # noqa: ANN001
    assert 'href="/maintenance/"' in client_for(alice).get("/").content.decode()


def test_create_once_window_reads_times_in_its_time_zone(alice) -> None:  # noqa: ANN001
    monitor = Monitor.objects.create(organization=organization_of(alice), name="Orders API", url="https://e.com/")
    response = client_for(alice).post(
        LIST,
        {
            "name": "Upgrade",
            "monitor": monitor.id,
            "recurrence": "once",
            "starts_at": "2030-03-01T10:00",
            "ends_at": "2030-03-01T12:30",
            "time_zone": "Europe/Paris",
        },
    )
    assert response.status_code == 302
    window = MaintenanceWindow.objects.get()
    assert window.monitor == monitor
    assert window.starts_at == datetime(2030, 3, 1, 9, 0, tzinfo=UTC)  # 10:00 in Paris (CET)
    assert window.ends_at == datetime(2030, 3, 1, 11, 30, tzinfo=UTC)
    assert AuditEvent.objects.filter(action="maintenance_window.created", actor=alice).exists()


def test_invalid_form_keeps_the_input_and_shows_field_errors(alice) -> None:  # noqa: ANN001
    response = client_for(alice).post(
        LIST, {"name": "Keep me", "recurrence": "cron", "cron": "not a cron", "time_zone": "UTC"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="Keep me"' in page
    assert 'value="not a cron"' in page
    assert "Not a cron expression" in page
    assert not MaintenanceWindow.objects.exists()


def test_weekly_window_without_days_is_a_field_error(alice) -> None:  # noqa: ANN001
    response = client_for(alice).post(
        LIST, {"name": "W", "recurrence": "weekly", "start_time": "22:00", "duration_minutes": "60", "time_zone": "UTC"}
    )
    assert "Choose at least one day" in response.content.decode()
    assert not MaintenanceWindow.objects.exists()


def test_ten_03_another_organisations_monitor_is_not_a_choice(alice, mallory) -> None:  # noqa: ANN001
    alices = Monitor.objects.create(organization=organization_of(alice), name="Alice's API", url="https://a.com/")
    response = client_for(mallory).post(
        LIST,
        {
            "name": "x",
            "monitor": alices.id,
            "recurrence": "once",
            "starts_at": "2030-01-01T00:00",
            "ends_at": "2030-01-02T00:00",
            "time_zone": "UTC",
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert "Alice" not in response.content.decode()
    assert not MaintenanceWindow.objects.exists()


def test_edit_page_shows_the_window_and_saves_changes(alice) -> None:  # noqa: ANN001
    window = _window(alice)
    client = client_for(alice)
    page = client.get(f"/maintenance/{window.id}/edit/").content.decode()
    assert 'value="Sunday nights"' in page
    assert 'value="23:00"' in page
    response = client.post(
        f"/maintenance/{window.id}/edit/",
        {
            "name": "Saturday nights",
            "recurrence": "weekly",
            "weekdays": ["5"],
            "start_time": "22:30",
            "duration_minutes": "90",
            "time_zone": "Europe/Paris",
        },
    )
    assert response.status_code == 302
    window.refresh_from_db()
    assert (window.name, window.weekdays, window.start_time, window.duration_minutes) == (
        "Saturday nights",
        [5],
        time(22, 30),
        90,
    )
    assert AuditEvent.objects.filter(action="maintenance_window.updated").exists()


def test_delete_removes_the_window(alice) -> None:  # noqa: ANN001
    window = _window(alice)
    response = client_for(alice).post(f"/maintenance/{window.id}/delete/")
    assert response.status_code == 302
    assert not MaintenanceWindow.objects.exists()
    assert AuditEvent.objects.filter(action="maintenance_window.deleted").exists()


def test_viewer_sees_the_list_without_forms_and_cannot_write(alice, viewer) -> None:  # noqa: ANN001
    window = _window(alice)
    client = client_for(viewer)
    page = client.get(LIST).content.decode()
    assert "Sunday nights" in page
    assert 'id="maintenance-form"' not in page
    assert "/delete/" not in page
    assert client.post(LIST, {"name": "x", "recurrence": "cron", "cron": "* * * * *"}).status_code == 403
    assert client.get(f"/maintenance/{window.id}/edit/").status_code == 403
    assert client.post(f"/maintenance/{window.id}/edit/", {"name": "x"}).status_code == 403
    assert client.post(f"/maintenance/{window.id}/delete/").status_code == 403
    assert MaintenanceWindow.objects.get().name == "Sunday nights"


def test_other_organisation_gets_404_and_an_empty_list(alice, mallory) -> None:  # noqa: ANN001
    window = _window(alice)
    client = client_for(mallory)
    assert "Sunday nights" not in client.get(LIST).content.decode()
    assert client.get(f"/maintenance/{window.id}/edit/").status_code == 404
    assert client.post(f"/maintenance/{window.id}/edit/", {"name": "x"}).status_code == 404
    assert client.post(f"/maintenance/{window.id}/delete/").status_code == 404
    assert MaintenanceWindow.objects.filter(id=window.id).exists()
