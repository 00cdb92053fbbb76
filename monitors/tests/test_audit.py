"""Monitor changes leave audit rows: who, from where, what (field names, never values)."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import AuditEvent
from conftest import organization_of
from monitors.models import Monitor

pytestmark = pytest.mark.django_db


def test_monitor_create_update_delete_through_the_api_are_audited(api_client_for, alice, bob):
    client = api_client_for(bob)
    created = client.post(
        "/api/v1/monitors/",
        {"name": "Orders", "url": "https://api.example.com/", "headers": {"Authorization": "Bearer s3cret-token"}},
        format="json",
        REMOTE_ADDR="203.0.113.7",
    )
    assert created.status_code == 201
    monitor_id = created.json()["id"]
    patch = {"name": "Orders v2", "headers": {"Authorization": "Bearer other-s3cret"}, "interval_seconds": 60}
    assert client.patch(f"/api/v1/monitors/{monitor_id}/", patch, format="json").status_code == 200
    assert client.delete(f"/api/v1/monitors/{monitor_id}/").status_code == 204

    events = list(AuditEvent.objects.filter(target_type="monitor", target_id=str(monitor_id)).order_by("id"))
    assert [event.action for event in events] == ["monitor.created", "monitor.updated", "monitor.deleted"]
    assert {event.organization for event in events} == {organization_of(alice)}
    assert {event.actor for event in events} == {bob}
    assert events[0].ip == "203.0.113.7"
    # interval_seconds was sent unchanged: only what changed is named, and no value is stored.
    assert events[1].data == {"fields": ["headers", "name"]}
    assert events[2].target_repr.startswith("Orders v2")
    assert "s3cret" not in str([(event.data, event.target_repr) for event in events])


def test_monitor_pages_write_audit_rows(alice):
    client = Client()
    client.force_login(alice)
    form = {
        "name": "Web",
        "url": "http://127.0.0.1:9/",
        "method": "GET",
        "expected_status": "200",
        "interval_seconds": "300",
        "timeout_seconds": "5",
    }
    assert client.post("/monitors/new/", form).status_code == 302
    monitor = Monitor.objects.get(name="Web")
    assert client.post(f"/monitors/{monitor.pk}/edit/", form | {"name": "Web 2"}).status_code == 302
    assert client.post(f"/monitors/{monitor.pk}/delete/").status_code == 302
    actions = list(
        AuditEvent.objects.filter(target_id=str(monitor.pk), target_type="monitor")
        .order_by("id")
        .values_list("action", "actor__email")
    )
    assert actions == [
        ("monitor.created", "alice@example.com"),
        ("monitor.updated", "alice@example.com"),
        ("monitor.deleted", "alice@example.com"),
    ]
    assert AuditEvent.objects.get(action="monitor.updated").data == {"fields": ["name"]}
