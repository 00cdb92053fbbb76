"""A delivery always ends: whatever goes wrong while sending, attempts count and the cap holds.

Every receiver is a real HTTP server on 127.0.0.1 (tests.servers.HttpTarget); nothing of ours is mocked.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from email.utils import format_datetime

import pytest
from django.core import mail
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from alerts.channels import webhook as webhook_notifier
from alerts.models import Channel, Incident, Notification
from alerts.services import (
    backoff_seconds,
    channel_send_test,
    notification_claim,
    notification_deliver,
    notification_resend,
    notifications_create,
)
from alerts.services.delivery import EXHAUSTED_ERROR
from alerts.tests.factories import record_change

pytestmark = pytest.mark.django_db

DELIVERY_LOGGER = "alerts.services.delivery"


def _notify(monitor, channel) -> Notification:
    change = record_change(monitor=monitor, old="up", new="down", cause="HTTP 503")
    incident = Incident.objects.create(monitor=monitor, opened_at=change.created_at, cause=change.cause)
    notifications_create(status_change=change, incident=incident, event="monitor.down")
    return Notification.objects.get(status_change=change, channel=channel)


def _deliver_until_done(notification: Notification, *, seed: int = 7, limit: int = 50) -> list:
    """Run the delivery service as the sweep would, each time at the row's next_attempt_at."""
    rng = random.Random(seed)
    outcomes = []
    for _ in range(limit):
        notification.refresh_from_db()
        if notification.status != Notification.Status.PENDING:
            return outcomes
        outcomes.append(
            notification_deliver(notification_id=notification.id, now=notification.next_attempt_at, rng=rng)
        )
    raise AssertionError(f"still {notification.status} after {limit} deliveries: {outcomes[-3:]}")


def _expected_backoff(count: int, *, seed: int = 7) -> list[float]:
    rng = random.Random(seed)
    return [backoff_seconds(attempts, rng=rng) for attempts in range(1, count + 1)]


# --- Retry-After that is not a number of seconds --------------------------------------------


def test_retry_after_superscript_two_is_ignored_and_the_delivery_ends_dead(
    settings, monitor, webhook, http_target
) -> None:
    """'²'.isdigit() is True but float('²') raises: the attempt used to crash and stay PENDING forever."""
    http_target.set_reply(status=503, body=b"busy", headers={"Retry-After": "²"})
    notification = _notify(monitor, webhook)

    outcomes = _deliver_until_done(notification)

    max_attempts = settings.ALERTS_MAX_ATTEMPTS
    assert [o.status for o in outcomes] == ["pending"] * (max_attempts - 1) + ["dead"]
    # The normal full-jitter backoff, exactly: the header played no part.
    assert [o.retry_in_seconds for o in outcomes[:-1]] == _expected_backoff(max_attempts - 1)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("dead", max_attempts)
    assert notification.last_error == "HTTP 503 from the receiver."
    assert len(http_target.requests) == max_attempts
    assert {r.headers["webhook-id"] for r in http_target.requests} == {notification.message_id}
    far = timezone.now() + timedelta(days=2)
    assert notification_deliver(notification_id=notification.id, now=far).status == "skipped"
    assert len(http_target.requests) == max_attempts


# Header values travel as latin-1: "²", "³" and "1²" are the ones str.isdigit() accepts and float() rejects.
@pytest.mark.parametrize("header", ["²", "³", "1²", "12.5", "-5", "+5", "1e3", "soon", "", "Mon, 99 Foo 2024"])
def test_retry_after_that_is_neither_ascii_digits_nor_a_date_falls_back_to_backoff(
    monitor, webhook, http_target, header
) -> None:
    http_target.set_reply(status=429, headers={"Retry-After": header})
    notification = _notify(monitor, webhook)
    now = timezone.now()

    outcome = notification_deliver(notification_id=notification.id, now=now, rng=random.Random(3))

    assert outcome.status == "pending"
    assert outcome.retry_in_seconds == backoff_seconds(1, rng=random.Random(3))
    notification.refresh_from_db()
    assert notification.next_attempt_at == now + timedelta(seconds=outcome.retry_in_seconds)
    assert notification.last_error == "HTTP 429 from the receiver."


def test_retry_after_parsing() -> None:
    now = timezone.now().replace(microsecond=0)

    def parse(value: str) -> float | None:
        return webhook_notifier.retry_after({"Retry-After": value}, now=now)

    assert parse("120") == 120
    assert parse(" 0 ") == 0
    assert parse("86400") == webhook_notifier.MAX_RETRY_AFTER_SECONDS
    assert parse("9" * 5000) == webhook_notifier.MAX_RETRY_AFTER_SECONDS
    assert parse(format_datetime(now + timedelta(seconds=90), usegmt=True)) == 90
    assert parse(format_datetime(now - timedelta(seconds=90), usegmt=True)) == 0
    assert parse(format_datetime(now + timedelta(days=3), usegmt=True)) == webhook_notifier.MAX_RETRY_AFTER_SECONDS
    for junk in ("²", "٣", "１２０", "12.5", "-1", "soon", "", "Mon, 99 Foo 2024 99:99:99 GMT"):
        assert parse(junk) is None, junk
    assert webhook_notifier.retry_after({}, now=now) is None


def test_an_http_date_retry_after_delays_the_retry(monitor, webhook, http_target) -> None:
    notification = _notify(monitor, webhook)
    now = timezone.now().replace(microsecond=0) + timedelta(seconds=1)  # the date has whole seconds
    http_target.set_reply(
        status=503, headers={"Retry-After": format_datetime(now + timedelta(minutes=10), usegmt=True)}
    )

    notification_deliver(notification_id=notification.id, now=now)

    notification.refresh_from_db()
    assert notification.next_attempt_at == now + timedelta(minutes=10)


# --- a webhook channel without a (valid) secret -------------------------------------------


@pytest.mark.parametrize("secret", ["", "whsec_", "not-a-secret"])
def test_a_webhook_without_a_valid_secret_ends_dead_and_sends_nothing(
    settings, monitor, webhook, http_target, secret
) -> None:
    Channel.objects.filter(id=webhook.id).update(secret=secret)  # as the admin could leave it
    notification = _notify(monitor, webhook)

    outcomes = _deliver_until_done(notification)

    max_attempts = settings.ALERTS_MAX_ATTEMPTS
    assert [o.status for o in outcomes] == ["pending"] * (max_attempts - 1) + ["dead"]
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("dead", max_attempts)
    assert notification.last_error == "The channel has no valid signing secret."
    assert http_target.requests == []  # an unsigned message is never sent
    webhook.refresh_from_db()
    assert webhook.last_error == "The channel has no valid signing secret."


def test_a_webhook_that_gets_its_secret_back_delivers_on_the_next_attempt(monitor, webhook, http_target) -> None:
    secret = webhook.secret
    Channel.objects.filter(id=webhook.id).update(secret="")
    notification = _notify(monitor, webhook)
    assert notification_deliver(notification_id=notification.id).status == "pending"

    Channel.objects.filter(id=webhook.id).update(secret=secret)
    notification.refresh_from_db()
    assert notification_deliver(notification_id=notification.id, now=notification.next_attempt_at).status == "sent"

    (request,) = http_target.requests
    Webhook(secret).verify(request.body, request.headers)


def test_a_test_send_to_a_webhook_without_a_secret_reports_the_error(webhook, http_target) -> None:
    Channel.objects.filter(id=webhook.id).update(secret="")
    webhook.refresh_from_db()

    result = channel_send_test(channel=webhook)

    assert (result.ok, result.error) == (False, "The channel has no valid signing secret.")
    assert http_target.requests == []


# --- any other exception while sending ------------------------------------------------------

BROKEN_PAYLOAD = {"type": "monitor.down", "data": "not an object"}


def test_an_unexpected_exception_is_a_transient_failure_logged_once(settings, caplog, monitor, email_channel) -> None:
    # A payload that is not the shape renderers expect: the renderer raises, not a DeliveryError.
    notification = _notify(monitor, email_channel)
    Notification.objects.filter(id=notification.id).update(payload=BROKEN_PAYLOAD)
    caplog.set_level(logging.INFO, logger=DELIVERY_LOGGER)
    now = timezone.now()

    outcome = notification_deliver(notification_id=notification.id, now=now, rng=random.Random(5))

    assert outcome.status == "pending"
    assert outcome.error == "internal error: AttributeError"
    assert outcome.retry_in_seconds == backoff_seconds(1, rng=random.Random(5))
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", 1)
    assert notification.last_error == "internal error: AttributeError"
    assert notification.next_attempt_at == now + timedelta(seconds=outcome.retry_in_seconds)
    email_channel.refresh_from_db()
    assert email_channel.last_error == "internal error: AttributeError"
    tracebacks = [r for r in caplog.records if r.name == DELIVERY_LOGGER and r.exc_info]
    assert len(tracebacks) == 1
    assert tracebacks[0].levelno == logging.ERROR
    assert tracebacks[0].exc_info[0] is AttributeError
    assert f"notification={notification.id}" in tracebacks[0].getMessage()
    assert mail.outbox == []


def test_an_unexpected_exception_on_every_attempt_ends_dead(settings, monitor, email_channel) -> None:
    settings.ALERTS_MAX_ATTEMPTS = 4
    notification = _notify(monitor, email_channel)
    Notification.objects.filter(id=notification.id).update(payload=BROKEN_PAYLOAD)

    outcomes = _deliver_until_done(notification)

    assert [o.status for o in outcomes] == ["pending", "pending", "pending", "dead"]
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == (
        "dead",
        4,
        "internal error: AttributeError",
    )


# --- the claim never goes past the cap ------------------------------------------------------


def test_a_notification_at_the_cap_is_never_claimed_and_becomes_dead(settings, monitor, webhook, http_target) -> None:
    notification = _notify(monitor, webhook)
    max_attempts = settings.ALERTS_MAX_ATTEMPTS
    Notification.objects.filter(id=notification.id).update(
        attempts=max_attempts, last_error="HTTP 503 from the receiver."
    )
    now = timezone.now()

    assert notification_claim(notification_id=notification.id, now=now) is False

    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("dead", max_attempts)
    assert notification.last_error == EXHAUSTED_ERROR
    assert notification_claim(notification_id=notification.id, now=now + timedelta(days=1)) is False
    assert notification_deliver(notification_id=notification.id, now=now + timedelta(days=1)).status == "skipped"
    assert http_target.requests == []


def test_deliver_of_a_notification_past_the_cap_reports_it_dead(settings, monitor, webhook, http_target) -> None:
    notification = _notify(monitor, webhook)
    Notification.objects.filter(id=notification.id).update(attempts=settings.ALERTS_MAX_ATTEMPTS + 3)

    outcome = notification_deliver(notification_id=notification.id)

    assert (outcome.status, outcome.error) == ("dead", EXHAUSTED_ERROR)
    notification.refresh_from_db()
    assert notification.status == "dead"
    assert http_target.requests == []


def test_a_last_attempt_that_never_recorded_an_outcome_ends_dead_after_its_lease(
    settings, monitor, webhook, http_target
) -> None:
    """The worker of the last attempt died mid-send: once the lease is over, the row is dead, not resent."""
    notification = _notify(monitor, webhook)
    max_attempts = settings.ALERTS_MAX_ATTEMPTS
    Notification.objects.filter(id=notification.id).update(attempts=max_attempts - 1)
    now = timezone.now()
    assert notification_claim(notification_id=notification.id, now=now) is True  # ...and the worker is killed

    # Under its lease the row is someone's attempt: neither claimed nor buried.
    assert notification_claim(notification_id=notification.id, now=now) is False
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", max_attempts)

    outcome = notification_deliver(notification_id=notification.id, now=notification.next_attempt_at)

    assert outcome.status == "dead"
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("dead", max_attempts)
    assert http_target.requests == []


def test_a_resent_dead_notification_gets_exactly_one_more_attempt(
    settings, monitor, webhook, http_target, django_capture_on_commit_callbacks
) -> None:
    max_attempts = settings.ALERTS_MAX_ATTEMPTS
    notification = _notify(monitor, webhook)
    Notification.objects.filter(id=notification.id).update(status="dead", attempts=max_attempts)
    notification.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        notification_resend(notification=notification)

    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", max_attempts)
    assert [r.headers["webhook-id"] for r in http_target.requests] == [notification.message_id]


def test_a_resent_notification_that_fails_again_is_dead_at_once(settings, monitor, webhook, http_target) -> None:
    notification = _notify(monitor, webhook)
    Notification.objects.filter(id=notification.id).update(status="dead", attempts=settings.ALERTS_MAX_ATTEMPTS)
    notification.refresh_from_db()
    http_target.set_reply(status=500)

    notification_resend(notification=notification)

    assert notification_deliver(notification_id=notification.id).status == "dead"
    assert len(http_target.requests) == 1


# --- a 2xx whose body does not decode -------------------------------------------------------


def test_a_200_with_a_broken_gzip_body_counts_as_delivered(monitor, webhook, http_target) -> None:
    """The receiver answered 2xx, so it accepted the message; a reply body that does not
    decode (core.http: invalid_response, with the status in extra) does not matter."""
    http_target.set_reply(
        status=200,
        body=b"this is not gzip at all",
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    notification = _notify(monitor, webhook)

    assert notification_deliver(notification_id=notification.id).status == "sent"
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 1)
    assert len(http_target.requests) == 1


def test_a_500_with_a_broken_gzip_body_is_retried(monitor, webhook, http_target) -> None:
    http_target.set_reply(
        status=500,
        body=b"this is not gzip at all",
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    notification = _notify(monitor, webhook)

    outcome = notification_deliver(notification_id=notification.id)

    assert outcome.status == "pending"
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", 1)
    assert notification.last_error.startswith("invalid_response: ")
