"""The issue's delivery bars, with real receivers: 500 x3 then 200, a receiver that never answers,
email over real SMTP with both bodies and the RFC 8058 headers, maintenance silencing."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from alerts.models import EmailOptOut, Incident, IncidentEvent, Notification
from alerts.services import notification_deliver, notifications_create, status_changes_process
from alerts.services.notify import MAINTENANCE, OPTED_OUT, notifications_enqueue
from alerts.tests.factories import record_change
from alerts.tests.services.test_delivery_errors import _deliver_until_done
from core.tests.http_servers import ScriptedServer
from monitors.models import MaintenanceWindow

pytestmark = pytest.mark.django_db


def _down(monitor) -> tuple[Incident, list[Notification]]:
    change = record_change(monitor=monitor, old="up", new="down", cause="HTTP 503")
    incident = Incident.objects.create(monitor=monitor, opened_at=change.created_at, cause=change.cause)
    notifications_create(status_change=change, incident=incident, event="monitor.down")
    return incident, list(Notification.objects.filter(status_change=change).order_by("channel_id"))


def test_a_receiver_failing_three_times_then_accepting_gets_one_success_with_one_delivery_id(
    monitor, webhook, http_target
) -> None:
    incident, [_, notification] = _down(monitor)
    replies = iter([500, 500, 500, 200])

    statuses = []
    for _ in range(4):
        http_target.set_reply(status=next(replies))
        notification.refresh_from_db()
        statuses.append(notification_deliver(notification_id=notification.id, now=notification.next_attempt_at).status)

    assert statuses == ["pending", "pending", "pending", "sent"]
    assert len(http_target.requests) == 4
    assert {r.headers["webhook-id"] for r in http_target.requests} == {notification.message_id}
    bodies = {r.body for r in http_target.requests}
    assert len(bodies) == 1  # the frozen payload: the same body on every attempt
    for request in http_target.requests:  # each attempt signed afresh, each verifies
        Webhook(webhook.secret).verify(request.body, request.headers)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 4)
    assert list(incident.events.filter(kind="notified").values_list("data__notification", flat=True)) == [
        notification.id
    ]


@pytest.fixture
def silent_receiver():
    """Accepts the connection and the request, never answers."""
    server = ScriptedServer()

    def hang(handler) -> None:
        time.sleep(3)  # far past the client's timeout; the thread then ends with the test

    server.default = hang
    yield server
    server.stop()


def test_a_receiver_that_never_answers_ends_dead_and_the_incident_shows_it(
    settings, api_client_for, alice, organization, monitor, silent_receiver
) -> None:
    from alerts.tests.factories import make_webhook  # noqa: PLC0415

    settings.ALERTS_MAX_ATTEMPTS = 3
    settings.ALERTS_WEBHOOK_TIMEOUT_MS = 300
    hook = make_webhook(organization=organization, url=f"{silent_receiver.url}/hook")
    incident, notifications = _down(monitor)
    notification = next(n for n in notifications if n.channel_id == hook.id)
    mail.outbox.clear()

    outcomes = _deliver_until_done(notification)

    assert [o.status for o in outcomes] == ["pending", "pending", "dead"]
    assert len(silent_receiver.requests) == 3
    notification.refresh_from_db()
    assert notification.status == "dead" and "timeout" in notification.last_error
    failed = incident.events.get(kind=IncidentEvent.Kind.NOTIFICATION_FAILED)
    assert failed.data["notification"] == notification.id and failed.data["status"] == "dead"
    # WH-05: the owners get one email about it, naming the channel and the delivery log.
    [owner_mail] = [m for m in mail.outbox if m.extra_headers.get("X-Driftwatch-Event") == "delivery.dead"]
    assert owner_mail.to == ["alice@example.com"]
    assert "ops hook" in owner_mail.subject and "/alerts/deliveries/?status=dead" in owner_mail.body

    # The incident's page shows it on the timeline.
    page = Client()
    page.force_login(alice)
    html = page.get(f"/incidents/{incident.id}/").content.decode()
    assert 'data-kind="notification_failed"' in html and "ops hook dead" in html

    # The delivery log shows it, and a retry by hand keeps the webhook-id.
    client = api_client_for(alice)
    dead = client.get("/api/v1/deliveries/?status=dead").json()["results"]
    assert [d["id"] for d in dead] == [notification.id]
    assert dead[0]["message_id"] == notification.message_id and dead[0]["incident"] == incident.id
    retried = client.post(f"/api/v1/deliveries/{notification.id}/retry/")
    assert retried.status_code == 200
    assert (retried.json()["status"], retried.json()["message_id"]) in {
        ("pending", notification.message_id),
        ("dead", notification.message_id),  # the eager task ran the one extra attempt, which hung again
    }
    assert client.post(f"/api/v1/deliveries/{notifications[0].id}/retry/").status_code == 400  # sent: not retryable


def test_delivery_list_and_retry_are_tenant_scoped_and_need_manage_channels(
    api_client_for, bob, mallory, monitor, webhook, http_target
) -> None:
    _, [_, notification] = _down(monitor)
    Notification.objects.filter(id=notification.id).update(status="dead")
    assert api_client_for(mallory).get("/api/v1/deliveries/").json()["count"] == 0
    assert api_client_for(mallory).post(f"/api/v1/deliveries/{notification.id}/retry/").status_code == 404
    assert api_client_for(bob).get("/api/v1/deliveries/").json()["count"] == 2  # a member reads the log
    assert api_client_for(bob).post(f"/api/v1/deliveries/{notification.id}/retry/").status_code == 403
    assert api_client_for(bob).get("/api/v1/deliveries/?status=nonsense").status_code == 400


@pytest.fixture
def smtp(settings, smtp_sink):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.SITE_URL = "http://testserver"
    return smtp_sink


def test_email_over_smtp_has_both_bodies_and_a_one_click_unsubscribe_that_needs_no_session(
    smtp, organization, monitor, email_channel, django_capture_on_commit_callbacks
) -> None:
    record_change(monitor=monitor, old="up", new="down", cause="HTTP 502")
    with django_capture_on_commit_callbacks(execute=True):
        status_changes_process()

    [message] = smtp.messages
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Orders API is DOWN" in text and "HTTP 502" in text
    assert "<strong>Orders API</strong> is DOWN" in html and "HTTP 502" in html
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = str(message["List-Unsubscribe"]).strip().strip("<>")
    assert link.startswith("http://testserver/alerts/unsubscribe/") and link in text

    path = link.removeprefix("http://testserver")
    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.get(path).status_code == 200  # a confirm page: a link scanner's GET changes nothing
    assert not EmailOptOut.objects.exists()
    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click", with no cookie and no CSRF token.
    response = anonymous.post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    opt_out = EmailOptOut.objects.get()
    assert (opt_out.email, opt_out.event, opt_out.monitor) == ("alice@example.com", "monitor.down", None)

    # The next DOWN email to that address is kept, SUPPRESSED, and not sent; other kinds still are.
    change = record_change(monitor=monitor, old="up", new="down", at=timezone.now() + timedelta(minutes=5))
    incident = Incident.objects.create(monitor=monitor, opened_at=change.created_at, cause="x", kind="latency")
    with django_capture_on_commit_callbacks(execute=True):
        notifications_create(status_change=change, incident=incident, event="monitor.down")
    suppressed = Notification.objects.get(status_change=change)
    assert (suppressed.status, suppressed.last_error) == ("suppressed", OPTED_OUT)
    assert len(smtp.messages) == 1
    assert incident.events.filter(kind="suppressed").exists()


def test_a_forged_unsubscribe_token_is_404(client, alice) -> None:
    assert client.post("/alerts/unsubscribe/not-a-signed-token/").status_code == 404
    assert not EmailOptOut.objects.exists()


def test_maintenance_silences_every_notification_of_the_monitor(
    organization, monitor, webhook, http_target, django_capture_on_commit_callbacks
) -> None:
    now = timezone.now()
    MaintenanceWindow.objects.create(
        organization=organization,
        monitor=monitor,
        name="deploy",
        recurrence="once",
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(minutes=30),
    )
    with django_capture_on_commit_callbacks(execute=True):
        created = notifications_enqueue(monitor=monitor, event="contract.drift", dedup_key="drift:test", now=now)

    assert len(created) == 2
    assert set(Notification.objects.values_list("status", "last_error")) == {("suppressed", MAINTENANCE)}
    assert http_target.requests == [] and mail.outbox == []


def test_owners_get_one_dead_delivery_email_per_channel_an_hour(settings, monitor, webhook, http_target) -> None:
    settings.ALERTS_MAX_ATTEMPTS = 1
    http_target.set_reply(status=503)
    mail.outbox.clear()
    for _ in range(3):
        Incident.objects.filter(monitor=monitor).update(resolved_at=timezone.now())
        _, [_, notification] = _down(monitor)
        assert notification_deliver(notification_id=notification.id).status == "dead"
    dead_mails = [m for m in mail.outbox if m.extra_headers.get("X-Driftwatch-Event") == "delivery.dead"]
    assert len(dead_mails) == 1
    assert Notification.objects.filter(channel=webhook, status="dead").count() == 3
