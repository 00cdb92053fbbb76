from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import Notification
from alerts.services import notification_deliver, status_changes_process
from alerts.tests.factories import record_change

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings, smtp_sink):
    """Django's real SMTP backend pointed at the aiosmtpd sink on 127.0.0.1."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.SITE_URL = "https://driftwatch.example.com"
    return smtp_sink


def _parts(message) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_down_email_names_the_monitor_cause_time_and_link(
    smtp, monitor, email_channel, django_capture_on_commit_callbacks
) -> None:
    opened = timezone.now().replace(microsecond=0) - timedelta(minutes=3)
    record_change(monitor=monitor, old="up", new="down", cause="HTTP 503 <Service Unavailable>", at=opened)
    with django_capture_on_commit_callbacks(execute=True):
        status_changes_process()

    [message] = smtp.messages
    assert message["Subject"] == "[Driftwatch] DOWN: Orders API"
    assert message["To"] == "alice@example.com"
    assert message["Message-ID"].startswith("<msg_")
    text, html = _parts(message)
    for body in (text, html):
        assert "Orders API" in body
        assert "https://api.example.com/orders" in body
        assert f"https://driftwatch.example.com/monitors/{monitor.id}/" in body
        assert opened.strftime("%Y-%m-%d %H:%M:%S") in body
    assert "HTTP 503 <Service Unavailable>" in text
    assert "HTTP 503 &lt;Service Unavailable&gt;" in html
    assert Notification.objects.get().status == "sent"


def test_up_email_says_when_it_recovered(smtp, monitor, email_channel, django_capture_on_commit_callbacks) -> None:
    now = timezone.now().replace(microsecond=0)
    record_change(monitor=monitor, old="up", new="down", at=now - timedelta(minutes=42))
    record_change(monitor=monitor, old="down", new="up", cause="HTTP 200", at=now)
    with django_capture_on_commit_callbacks(execute=True):
        status_changes_process()

    subjects = [m["Subject"] for m in smtp.messages]
    assert subjects == ["[Driftwatch] DOWN: Orders API", "[Driftwatch] UP again: Orders API"]
    text, html = _parts(smtp.messages[1])
    assert now.strftime("%Y-%m-%d %H:%M:%S") in text
    assert "42\xa0minutes" in text and "42\xa0minutes" in html  # timesince keeps it on one line
    assert "HTTP 500" in text  # the cause of the outage, not of the recovery


def test_an_unreachable_mail_server_is_retried(settings, monitor, email_channel) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    record_change(monitor=monitor, old="up", new="down")
    status_changes_process()  # not committed: the delivery task has not run
    notification = Notification.objects.get()

    outcome = notification_deliver(notification_id=notification.id)

    assert outcome.status == "pending" and outcome.retry_in_seconds is not None
    notification.refresh_from_db()
    assert notification.attempts == 1
    assert notification.last_error.startswith("SMTP error: ")
    email_channel.refresh_from_db()
    assert email_channel.last_error == notification.last_error
