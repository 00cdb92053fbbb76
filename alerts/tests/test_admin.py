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
