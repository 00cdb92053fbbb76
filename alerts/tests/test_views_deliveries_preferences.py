"""Pages: the delivery log (filters, retry), email preferences, and who may do what there."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from alerts.models import EmailOptOut, Incident, Notification
from alerts.services import notifications_create
from alerts.tests.factories import make_monitor, record_change

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _dead(monitor) -> Notification:
    change = record_change(monitor=monitor, old="up", new="down")
    incident = Incident.objects.create(monitor=monitor, opened_at=change.created_at, cause="x")
    notifications_create(status_change=change, incident=incident, event="monitor.down")
    notification = Notification.objects.filter(status_change=change).first()
    Notification.objects.filter(id=notification.id).update(status="dead", attempts=8, last_error="HTTP 500")
    return notification


def test_delivery_log_lists_and_filters_and_an_admin_can_retry(alice, bob, monitor, email_channel) -> None:
    dead = _dead(monitor)
    page = _client(alice).get("/alerts/deliveries/?status=dead").content.decode()
    assert f'data-delivery-id="{dead.id}"' in page and "HTTP 500" in page and "Retry" in page
    assert f'data-delivery-id="{dead.id}"' not in _client(alice).get("/alerts/deliveries/?status=sent").content.decode()

    member_page = _client(bob).get("/alerts/deliveries/").content.decode()
    assert f'data-delivery-id="{dead.id}"' in member_page and "Retry" not in member_page
    assert _client(bob).post(f"/alerts/deliveries/{dead.id}/retry/").status_code == 403

    response = _client(alice).post(f"/alerts/deliveries/{dead.id}/retry/")
    assert response.status_code == 302
    dead.refresh_from_db()
    assert dead.status in {"pending", "sent"}  # queued again (the eager task may have sent it already)


def test_delivery_pages_of_another_organisation_are_404(alice, mallory, monitor, email_channel) -> None:
    dead = _dead(monitor)
    assert _client(mallory).post(f"/alerts/deliveries/{dead.id}/retry/").status_code == 404
    assert f'data-delivery-id="{dead.id}"' not in _client(mallory).get("/alerts/deliveries/").content.decode()


def test_email_preferences_mute_an_organisation_and_a_monitor(alice, organization, monitor) -> None:
    other = make_monitor(organization=organization, name="Billing API")
    client = _client(alice)
    assert "Alice Inc" in client.get("/alerts/preferences/").content.decode()
    prefix = f"org{organization.id}"

    client.post(
        "/alerts/preferences/",
        {"organization": organization.id, f"{prefix}-emails_on": "on", f"{prefix}-muted_monitors": [str(other.id)]},
    )
    assert list(EmailOptOut.objects.values_list("email", "event", "monitor_id")) == [
        ("alice@example.com", "all", other.id)
    ]

    client.post("/alerts/preferences/", {"organization": organization.id})  # everything off
    assert set(EmailOptOut.objects.values_list("event", "monitor_id")) == {("all", None)}
    page = client.get("/alerts/preferences/").content.decode()
    checkbox = re.search(rf'<input[^>]*name="{prefix}-emails_on"[^>]*>', page)
    assert checkbox is not None and "checked" not in checkbox.group(0)

    # A DOWN now reaches the webhook-less organisation's email channel as SUPPRESSED.
    change = record_change(monitor=monitor, old="up", new="down")
    incident = Incident.objects.create(monitor=monitor, opened_at=change.created_at, cause="x")
    notifications_create(status_change=change, incident=incident, event="monitor.down")
    assert Notification.objects.get(status_change=change).status == "suppressed"


def test_email_preferences_of_an_organisation_one_is_not_in_is_404(alice, mallory) -> None:
    from conftest import organization_of  # noqa: PLC0415

    response = _client(alice).post("/alerts/preferences/", {"organization": organization_of(mallory).id})
    assert response.status_code == 404
