from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from alerts.models import Notification
from alerts.services import status_changes_process
from alerts.tests.factories import record_change

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(db) -> Client:
    admin = User.objects.create_superuser(email="ops@example.com", password="x" * 12)
    client = Client()
    client.force_login(admin)
    return client


def test_admin_pages_load_and_never_show_a_secret(staff_client, monitor, webhook, email_channel) -> None:
    record_change(monitor=monitor, old="up", new="down")
    status_changes_process()
    notification = Notification.objects.filter(channel=webhook).get()
    pages = [
        "/admin/alerts/channel/",
        f"/admin/alerts/channel/{webhook.id}/change/",
        "/admin/alerts/channel/?q=ops",
        "/admin/alerts/incident/",
        "/admin/alerts/incident/?resolved_at__isempty=1",
        "/admin/alerts/notification/",
        "/admin/alerts/notification/?status__exact=pending",
        f"/admin/alerts/notification/{notification.id}/change/",
    ]
    for page in pages:
        response = staff_client.get(page)
        assert response.status_code == 200, page
        assert webhook.secret not in response.content.decode(), page
        assert webhook.secret[6:20] not in response.content.decode(), page


def test_admin_resend_action_queues_a_failed_notification(staff_client, monitor, email_channel) -> None:
    record_change(monitor=monitor, old="up", new="down")
    status_changes_process()
    notification = Notification.objects.get()
    Notification.objects.filter(id=notification.id).update(status="dead", attempts=8)
    response = staff_client.post(
        "/admin/alerts/notification/", {"action": "resend", "_selected_action": [notification.id]}
    )
    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.status in {"pending", "sent"}


def test_admin_cannot_add_a_channel(staff_client) -> None:
    """Only channel_create makes channels: it validates the target for the kind and makes the secret."""
    assert staff_client.get("/admin/alerts/channel/add/").status_code == 403
    response = staff_client.post("/admin/alerts/channel/add/", {"kind": "webhook", "name": "x", "target": "x"})
    assert response.status_code == 403
    changelist = staff_client.get("/admin/alerts/channel/")
    assert "/admin/alerts/channel/add/" not in changelist.content.decode()


def test_admin_channel_kind_and_secret_are_read_only(staff_client, webhook) -> None:
    url = f"/admin/alerts/channel/{webhook.id}/change/"
    page = staff_client.get(url)
    form = page.context["adminform"].form
    assert "kind" not in form.fields
    assert "secret" not in form.fields
    assert set(form.fields) == {"organization", "name", "target", "disabled"}
    assert "kind" in page.context["adminform"].readonly_fields  # shown, not editable
    assert webhook.secret not in page.content.decode()

    response = staff_client.post(
        url,
        {
            "organization": webhook.organization_id,
            "name": "renamed",
            "target": webhook.target,
            "kind": "email",
            "secret": "",
        },
    )

    assert response.status_code == 302
    before = webhook.secret
    webhook.refresh_from_db()
    assert (webhook.name, webhook.kind, webhook.secret) == ("renamed", "webhook", before)


@pytest.mark.parametrize(
    ("kind", "target"),
    [("webhook", "ftp://example.com/hook"), ("webhook", "not a url"), ("email", "not an address")],
)
def test_admin_channel_target_follows_the_rules_of_its_kind(staff_client, webhook, email_channel, kind, target) -> None:
    channel = webhook if kind == "webhook" else email_channel
    url = f"/admin/alerts/channel/{channel.id}/change/"

    response = staff_client.post(url, {"organization": channel.organization_id, "name": channel.name, "target": target})

    assert response.status_code == 200
    assert "target" in response.context["adminform"].form.errors
    before = channel.target
    channel.refresh_from_db()
    assert channel.target == before
