"""Issue 3 part 1: no alert email goes to an address its user has not verified yet.

Signup goes through allauth's real pages, the alert through the real outbox and delivery
path and Django's SMTP backend to a local SMTP sink; the address is confirmed through the
link in the verification email.
"""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from accounts.models import User
from alerts.channels.email import UNVERIFIED_ERROR
from alerts.models import Channel, Notification
from alerts.services import channel_create, status_changes_process
from alerts.tests.factories import make_monitor, record_change
from conftest import organization_of

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase"


@pytest.fixture
def smtp(settings, smtp_sink):
    """Django's real SMTP backend pointed at the aiosmtpd sink on 127.0.0.1."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    return smtp_sink


def _alerts(smtp) -> list:
    return [message for message in smtp.messages if message["X-Driftwatch-Event"]]


def _signup(email: str) -> User:
    response = Client().post("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    return User.objects.get(email=email)


def _flip(monitor, old: str, new: str, capture) -> None:
    record_change(monitor=monitor, old=old, new=new)
    with capture(execute=True):
        status_changes_process()


def test_alert_email_waits_for_the_owners_address_to_be_verified(smtp, django_capture_on_commit_callbacks) -> None:
    carol = _signup("carol@example.com")
    organization = organization_of(carol)
    channel = Channel.objects.get(organization=organization, kind="email")
    assert channel.target == "carol@example.com"
    assert not EmailAddress.objects.get(user=carol).verified
    monitor = make_monitor(organization=organization)

    _flip(monitor, "up", "down", django_capture_on_commit_callbacks)

    assert _alerts(smtp) == []
    notification = Notification.objects.get(channel=channel)
    assert (notification.status, notification.last_error) == ("failed", UNVERIFIED_ERROR)
    channel.refresh_from_db()
    assert channel.last_error == UNVERIFIED_ERROR and not channel.disabled

    # carol confirms her address with the link allauth emailed her; the next alert goes out.
    [verification] = [message for message in smtp.messages if not message["X-Driftwatch-Event"]]
    link = re.search(r"/accounts/confirm-email/[^/\s]+/", verification.get_body(("plain",)).get_content())
    assert link is not None
    assert Client().post(link.group(0)).status_code == 302
    assert EmailAddress.objects.get(user=carol).verified

    _flip(monitor, "down", "up", django_capture_on_commit_callbacks)

    [alert] = _alerts(smtp)
    assert alert["To"] == "carol@example.com" and alert["X-Driftwatch-Event"] == "monitor.up"
    channel.refresh_from_db()
    assert channel.last_error == ""


def test_channel_test_to_an_unverified_address_is_not_sent(smtp, api_client_for, alice) -> None:
    dave = _signup("dave@example.com")
    channel = channel_create(organization=organization_of(alice), kind="email", name="dave", target="DAVE@example.com")
    response = api_client_for(alice).post(f"/api/v1/channels/{channel.id}/test/")
    assert response.status_code == 200
    assert response.json() == {"ok": False, "error": UNVERIFIED_ERROR}
    assert _alerts(smtp) == []
    assert not EmailAddress.objects.get(user=dave).verified


def test_an_address_of_no_user_and_a_verified_one_are_sent(smtp, api_client_for, alice) -> None:
    team = channel_create(organization=organization_of(alice), kind="email", name="team", target="team@example.com")
    own = Channel.objects.get(organization=organization_of(alice), target="alice@example.com")
    client = api_client_for(alice)
    for channel in (team, own):
        assert client.post(f"/api/v1/channels/{channel.id}/test/").json() == {"ok": True, "error": ""}
    assert sorted(message["To"] for message in _alerts(smtp)) == ["alice@example.com", "team@example.com"]
