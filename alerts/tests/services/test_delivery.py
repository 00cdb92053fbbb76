from __future__ import annotations

import json
import random
import socket
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from alerts.models import Incident, Notification
from alerts.services import (
    backoff_seconds,
    notification_claim,
    notification_deliver,
    notification_resend,
    notifications_create,
)
from alerts.services.delivery import BACKOFF_BASE_SECONDS, BACKOFF_CAP_SECONDS
from alerts.tests.factories import make_webhook, record_change
from tests.servers import HttpTarget

pytestmark = pytest.mark.django_db


def _notify(monitor, channel, *, event: str = "monitor.down") -> Notification:
    """A pending notification of a fresh DOWN for `channel`, not yet delivered."""
    change = record_change(monitor=monitor, old="up", new="down", cause="HTTP 503")
    incident = Incident.objects.create(monitor=monitor, opened_at=change.created_at, cause=change.cause)
    notifications_create(status_change=change, incident=incident, event=event)  # not committed: nothing sent
    return Notification.objects.get(status_change=change, channel=channel)


@pytest.fixture
def notification(monitor, webhook) -> Notification:
    return _notify(monitor, webhook)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- WH-01: signatures -----------------------------------------------------------------


def test_wh_01_delivery_verifies_with_the_reference_library(notification, webhook, monitor, http_target) -> None:
    outcome = notification_deliver(notification_id=notification.id)

    assert outcome.status == "sent"
    request = http_target.requests[0]
    assert (request.method, request.path) == ("POST", "/hook")
    assert request.headers["Content-Type"] == "application/json"
    payload = Webhook(webhook.secret).verify(request.body, request.headers)
    incident = notification.incident
    assert payload == {
        "type": "monitor.down",
        "timestamp": notification.status_change.created_at.isoformat().replace("+00:00", "Z"),
        "data": {
            "monitor": {"id": monitor.id, "name": "Orders API", "url": "https://api.example.com/orders"},
            "incident": {
                "id": incident.id,
                "opened_at": incident.opened_at.isoformat().replace("+00:00", "Z"),
                "resolved_at": None,
                "cause": "HTTP 503",
            },
            "state": "down",
        },
    }
    assert request.headers["webhook-id"] == notification.message_id
    assert abs(int(request.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 60
    assert request.headers["webhook-signature"].startswith("v1,")


def test_wh_01_a_flipped_body_byte_or_a_shifted_timestamp_fails(notification, webhook, http_target) -> None:
    notification_deliver(notification_id=notification.id)
    request = http_target.requests[0]
    verifier = Webhook(webhook.secret)
    tampered = bytearray(request.body)
    tampered[10] ^= 0x01
    with pytest.raises(WebhookVerificationError):
        verifier.verify(bytes(tampered), request.headers)
    shifted = request.headers | {"webhook-timestamp": str(int(request.headers["webhook-timestamp"]) + 1)}
    with pytest.raises(WebhookVerificationError):
        verifier.verify(request.body, shifted)


def test_wh_01_each_channel_signs_with_its_own_secret(organization, monitor, webhook, http_target) -> None:
    other = make_webhook(organization=organization, url=f"{http_target.url}/other", name="second")
    assert other.secret != webhook.secret
    change = record_change(monitor=monitor, old="up", new="down")
    incident = Incident.objects.create(monitor=monitor, opened_at=change.created_at)
    for notification_id in notifications_create(status_change=change, incident=incident, event="monitor.down"):
        notification_deliver(notification_id=notification_id)
    by_path = {r.path: r for r in http_target.requests}
    Webhook(webhook.secret).verify(by_path["/hook"].body, by_path["/hook"].headers)
    Webhook(other.secret).verify(by_path["/other"].body, by_path["/other"].headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(other.secret).verify(by_path["/hook"].body, by_path["/hook"].headers)


def test_wh_01_a_user_given_secret_signs(organization, monitor, http_target) -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    channel = make_webhook(organization=organization, url=f"{http_target.url}/mine", secret=secret)
    notification_deliver(notification_id=_notify(monitor, channel).id)
    Webhook(secret).verify(http_target.requests[0].body, http_target.requests[0].headers)


# --- WH-02: one webhook-id per notification, across retries ------------------------------


def test_wh_02_a_retry_carries_the_same_webhook_id(notification, webhook, http_target) -> None:
    http_target.set_reply(status=503)
    first = notification_deliver(notification_id=notification.id)
    assert first.status == "pending" and first.retry_in_seconds is not None
    notification.refresh_from_db()
    http_target.set_reply(status=200)
    assert notification_deliver(notification_id=notification.id, now=notification.next_attempt_at).status == "sent"

    ids = [r.headers["webhook-id"] for r in http_target.requests]
    assert ids == [notification.message_id] * 2
    bodies = {r.body for r in http_target.requests}
    assert len(bodies) == 1  # the same message, signed anew for each attempt
    for request in http_target.requests:
        Webhook(webhook.secret).verify(request.body, request.headers)


# --- WH-03: outcome classes -----------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_wh_03_server_errors_and_throttling_schedule_a_retry(notification, http_target, status) -> None:
    http_target.set_reply(status=status, body=b"nope")
    now = timezone.now()
    outcome = notification_deliver(notification_id=notification.id, now=now)

    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", 1)
    assert notification.last_error == f"HTTP {status} from the receiver."
    delay = (notification.next_attempt_at - now).total_seconds()
    assert 0 <= delay <= BACKOFF_BASE_SECONDS * 2
    assert outcome.retry_in_seconds == pytest.approx(delay, abs=0.001)
    notification.channel.refresh_from_db()
    assert notification.channel.last_error == notification.last_error
    assert not notification.channel.disabled


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_wh_03_client_errors_are_permanent(notification, http_target, status) -> None:
    http_target.set_reply(status=status)
    assert notification_deliver(notification_id=notification.id).status == "failed"
    notification.refresh_from_db()
    assert notification.status == "failed"
    assert notification.last_error == f"HTTP {status}: the receiver rejected the message."
    assert notification.sent_at is None
    # No retry: a later attempt does nothing.
    later = timezone.now() + timedelta(hours=2)
    assert notification_deliver(notification_id=notification.id, now=later).status == "skipped"
    assert len(http_target.requests) == 1
    notification.channel.refresh_from_db()
    assert not notification.channel.disabled


def test_wh_03_gone_disables_the_channel(notification, webhook, http_target) -> None:
    http_target.set_reply(status=410)
    assert notification_deliver(notification_id=notification.id).status == "failed"
    webhook.refresh_from_db()
    assert webhook.disabled is True
    assert "410" in webhook.last_error


def test_wh_03_a_redirect_fails_and_is_not_followed(notification, http_target) -> None:
    elsewhere = HttpTarget().start()
    try:
        http_target.set_reply(status=302, headers={"Location": f"{elsewhere.url}/steal"})
        outcome = notification_deliver(notification_id=notification.id)
        assert outcome.status == "pending"
        assert "302" in outcome.error
        assert elsewhere.requests == []
        assert len(http_target.requests) == 1
    finally:
        elsewhere.stop()


@pytest.mark.parametrize(("header", "least", "most"), [("120", 120, 121), ("7200", 3600, 3600)])
def test_wh_03_retry_after_is_honoured_up_to_an_hour(notification, http_target, header, least, most) -> None:
    http_target.set_reply(status=503, headers={"Retry-After": header})
    now = timezone.now()
    notification_deliver(notification_id=notification.id, now=now)
    notification.refresh_from_db()
    assert least <= (notification.next_attempt_at - now).total_seconds() <= most


def test_wh_03_a_timeout_schedules_a_retry(settings, notification, http_target) -> None:
    settings.ALERTS_WEBHOOK_TIMEOUT_MS = 300
    http_target.set_reply(status=200, delay_seconds=1.5)
    outcome = notification_deliver(notification_id=notification.id)
    assert outcome.status == "pending" and outcome.retry_in_seconds is not None
    notification.refresh_from_db()
    assert notification.attempts == 1 and notification.last_error


def test_wh_03_a_refused_connection_schedules_a_retry(organization, monitor) -> None:
    channel = make_webhook(organization=organization, url=f"http://127.0.0.1:{_closed_port()}/hook")
    notification = _notify(monitor, channel)
    outcome = notification_deliver(notification_id=notification.id)
    assert outcome.status == "pending"
    notification.refresh_from_db()
    assert notification.last_error


def test_wh_05_dead_after_the_last_attempt(settings, notification, http_target) -> None:
    settings.ALERTS_MAX_ATTEMPTS = 3
    http_target.set_reply(status=500)
    statuses = []
    for _ in range(3):
        notification.refresh_from_db()
        statuses.append(notification_deliver(notification_id=notification.id, now=notification.next_attempt_at).status)
    assert statuses == ["pending", "pending", "dead"]
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("dead", 3)
    assert notification.last_error == "HTTP 500 from the receiver."
    far = timezone.now() + timedelta(days=1)
    assert notification_deliver(notification_id=notification.id, now=far).status == "skipped"
    assert len(http_target.requests) == 3


def test_wh_05_a_manual_resend_delivers_once_more_with_the_same_id(
    settings, notification, http_target, django_capture_on_commit_callbacks
) -> None:
    http_target.set_reply(status=404)
    notification_deliver(notification_id=notification.id)
    http_target.set_reply(status=200)
    with django_capture_on_commit_callbacks(execute=True):
        notification_resend(notification=notification)
    notification.refresh_from_db()
    assert notification.status == "sent"
    assert [r.headers["webhook-id"] for r in http_target.requests] == [notification.message_id] * 2


def test_wh_05_a_resent_notification_that_fails_again_is_dead(notification, http_target) -> None:
    http_target.set_reply(status=404)
    notification_deliver(notification_id=notification.id)
    http_target.set_reply(status=500)
    notification_resend(notification=notification)
    assert notification_deliver(notification_id=notification.id).status == "dead"


def test_wh_04_backoff_stays_inside_its_window() -> None:
    rng = random.Random(1234)
    for attempts in range(1, 9):
        window = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempts)
        delays = [backoff_seconds(attempts, rng=rng) for _ in range(1000)]
        assert all(0 <= d <= window for d in delays)
        # Full jitter spreads retries over the window instead of stampeding at its end.
        assert min(delays) < window * 0.1 and max(delays) > window * 0.9


def test_wh_04_the_whole_schedule_of_attempts_fits_in_a_day(settings) -> None:
    # At most ALERTS_MAX_ATTEMPTS (8) attempts; even if every delay drew the top of its window,
    # the last attempt comes within 24 h of the first.
    assert settings.ALERTS_MAX_ATTEMPTS == 8
    worst = sum(min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**n) for n in range(1, settings.ALERTS_MAX_ATTEMPTS))
    assert worst <= 24 * 3600


def test_wh_04_a_thousand_failures_in_one_second_spread_their_retries_over_the_window() -> None:
    rng = random.Random(99)
    window = BACKOFF_BASE_SECONDS * 2
    second_attempts = sorted(backoff_seconds(1, rng=rng) for _ in range(1000))
    # No thundering herd: the retries cover at least 80 % of the first backoff window, and no
    # tenth of the window holds more than a fifth of them.
    assert second_attempts[-1] - second_attempts[0] >= 0.8 * window
    tenths = [sum(1 for d in second_attempts if k * window / 10 <= d < (k + 1) * window / 10) for k in range(10)]
    assert max(tenths) <= 200


# --- idempotency -------------------------------------------------------------------------


def test_a_sent_notification_is_not_sent_again(notification, http_target) -> None:
    assert notification_deliver(notification_id=notification.id).status == "sent"
    assert notification_deliver(notification_id=notification.id).status == "skipped"
    assert len(http_target.requests) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 1)
    assert notification.sent_at is not None


def test_a_claimed_notification_cannot_be_claimed_again(notification) -> None:
    now = timezone.now()
    assert notification_claim(notification_id=notification.id, now=now) is True
    assert notification_claim(notification_id=notification.id, now=now) is False


def test_a_notification_is_not_sent_before_it_is_due(notification, http_target) -> None:
    Notification.objects.filter(id=notification.id).update(next_attempt_at=timezone.now() + timedelta(minutes=5))
    assert notification_deliver(notification_id=notification.id).status == "skipped"
    assert http_target.requests == []


def test_a_disabled_channel_fails_its_pending_notifications(notification, webhook, http_target) -> None:
    type(webhook).objects.filter(id=webhook.id).update(disabled=True)
    assert notification_deliver(notification_id=notification.id).status == "failed"
    assert http_target.requests == []


def test_a_down_message_retried_after_recovery_still_says_open(notification, http_target) -> None:
    Incident.objects.filter(id=notification.incident_id).update(resolved_at=timezone.now())
    notification_deliver(notification_id=notification.id)
    assert json.loads(http_target.requests[0].body)["data"]["incident"]["resolved_at"] is None


# --- WH-01: secret rotation -----------------------------------------------------------------


def test_wh_01_during_a_rotation_both_signatures_are_sent_and_both_verify(
    settings, api_client_for, alice, monitor, webhook, http_target
) -> None:
    from datetime import timedelta  # noqa: PLC0415

    from alerts.channels.webhook import sign  # noqa: PLC0415
    from alerts.services import channel_update, webhook_secret_generate  # noqa: PLC0415

    old_secret, new_secret = webhook.secret, webhook_secret_generate()
    channel_update(channel=webhook, secret=new_secret)
    webhook.refresh_from_db()
    assert webhook.config["previous_secret"] == old_secret  # kept for the rotation...
    assert "previous_secret" not in str(api_client_for(alice).get(f"/api/v1/channels/{webhook.id}/").json())

    notification = _notify(monitor, webhook)
    notification_deliver(notification_id=notification.id)
    request = http_target.requests[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    Webhook(new_secret).verify(request.body, request.headers)
    Webhook(old_secret).verify(request.body, request.headers)  # a receiver not yet switched still verifies

    # ...and only for ALERTS_SECRET_ROTATION_HOURS; a rename later does not end it early.
    channel_update(channel=webhook, name="renamed")
    webhook.refresh_from_db()
    assert webhook.config["previous_secret"] == old_secret
    later = timezone.now() + timedelta(hours=settings.ALERTS_SECRET_ROTATION_HOURS, minutes=1)
    Incident.objects.filter(monitor=monitor).update(resolved_at=timezone.now())
    second = _notify(monitor, webhook)
    notification_deliver(notification_id=second.id, now=later)
    request = http_target.requests[-1]
    expected = sign(
        secret=new_secret,
        message_id=second.message_id,
        timestamp=int(request.headers["webhook-timestamp"]),
        body=request.body,
    )
    assert request.headers["webhook-signature"] == expected  # the new secret's signature only
