"""Delivering notifications: claim, send outside any transaction, record the outcome, back off."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from alerts import channels
from alerts.channels import EVENT_DOWN, EVENT_UP
from alerts.exceptions import DeliveryError
from alerts.models import Channel, Notification
from alerts.services.digest import digests_fold
from alerts.services.outcomes import outcome_record_side_effects
from alerts.services.payloads import payload_build
from alerts.tasks import deliver_notification_task

logger = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 5.0
BACKOFF_CAP_SECONDS = 60.0 * 60
# A claimed notification is invisible to other workers (and the sweep) for ALERTS_CLAIM_LEASE_SECONDS
# (at least twice the send timeout): longer than any send may take, so a worker killed mid-send has
# its notification retried after it, with the same webhook-id.
SKIPPED = "skipped"
# last_error of a notification the claim gives up on: its attempts reached the cap while it was
# still PENDING, so the last attempt never stored an outcome (its worker died mid-send).
EXHAUSTED_ERROR = "Gave up: the attempts ran out and the last one recorded no outcome."
_CLAIMED, _EXHAUSTED, _NOT_CLAIMED = "claimed", "exhausted", "not claimed"


@dataclass(frozen=True)
class DeliveryOutcome:
    status: str  # the notification's status after this call, or SKIPPED (not ours to send)
    retry_in_seconds: float | None = None
    error: str = ""


def backoff_seconds(attempts: int, *, rng: random.Random | None = None) -> float:
    """Full-jitter exponential backoff after `attempts` failed attempts: uniform in [0, min(cap, base*2^n)]."""
    window = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempts)
    return (rng or random).uniform(0, window)  # noqa: S311 - jitter, not a secret


def notification_claim(*, notification_id: int, now: datetime) -> bool:
    """Take a due PENDING notification for one attempt; False if it is not due, not pending or taken.

    The conditional UPDATE moves next_attempt_at past the lease and counts the attempt, so
    a second worker (a redelivered task, the sweep) finds nothing to do. A notification whose
    attempts already reached ALERTS_MAX_ATTEMPTS is never handed out: it becomes DEAD instead.
    """
    return _claim(notification_id=notification_id, now=now) == _CLAIMED


def _claim(*, notification_id: int, now: datetime) -> str:
    due = Notification.objects.filter(id=notification_id, status=Notification.Status.PENDING, next_attempt_at__lte=now)
    max_attempts = settings.ALERTS_MAX_ATTEMPTS
    claimed = due.filter(attempts__lt=max_attempts).update(
        next_attempt_at=now + _claim_lease(), attempts=F("attempts") + 1
    )
    if claimed == 1:
        return _CLAIMED
    # Attempts used up while still PENDING: the last worker died (or failed) before it stored
    # an outcome. Retrying now would go past the cap, and forever if that attempt keeps failing.
    if due.filter(attempts__gte=max_attempts).update(status=Notification.Status.DEAD, last_error=EXHAUSTED_ERROR):
        logger.warning(
            "notification gave up notification=%s status=%s error=%s",
            notification_id,
            Notification.Status.DEAD,
            EXHAUSTED_ERROR,
        )
        return _EXHAUSTED
    return _NOT_CLAIMED


def _claim_lease() -> timedelta:
    return max(
        timedelta(seconds=settings.ALERTS_CLAIM_LEASE_SECONDS),
        2 * timedelta(milliseconds=settings.ALERTS_WEBHOOK_TIMEOUT_MS),
    )


def notification_deliver(
    *, notification_id: int, now: datetime | None = None, rng: random.Random | None = None
) -> DeliveryOutcome:
    """Make one delivery attempt of a notification and store its outcome.

    Idempotent: a notification that is sent, failed, dead, not yet due or being sent by
    another worker is left alone (SKIPPED); one whose attempts ran out without an outcome
    becomes DEAD. Any exception from the notifier is a transient failure, so the attempts
    always count. Network I/O happens outside any transaction.
    """
    fixed_now = now
    now = now or timezone.now()
    _fold_if_held(notification_id=notification_id, now=now)
    claim = _claim(notification_id=notification_id, now=now)
    if claim == _EXHAUSTED:
        outcome_record_side_effects(notification_id=notification_id, status=Notification.Status.DEAD, now=now)
        return DeliveryOutcome(status=Notification.Status.DEAD, error=EXHAUSTED_ERROR)
    if claim != _CLAIMED:
        return DeliveryOutcome(status=SKIPPED)
    notification = (
        Notification.objects.select_related("channel", "status_change__monitor", "incident__monitor", "monitor")
        .filter(id=notification_id)
        .first()
    )
    if notification is None:
        return DeliveryOutcome(status=SKIPPED)  # its channel was deleted a moment ago
    error: DeliveryError | None = None
    if notification.channel.disabled:
        error = DeliveryError("The channel is disabled.", permanent=True)
    else:
        try:
            channels.send(
                channel=notification.channel,
                payload=payload_for(notification),
                message_id=notification.message_id,
                now=now,
            )
        except DeliveryError as exc:
            error = exc
        except Exception as exc:
            # A bug (ours or a library's) must not leave the notification PENDING under its
            # lease: the sweep would retry it forever, past ALERTS_MAX_ATTEMPTS. It counts as a
            # transient failure; the traceback is logged here, once, and kept out of last_error.
            logger.exception(
                "notification send raised notification=%s channel=%s kind=%s attempts=%s",
                notification.id,
                notification.channel_id,
                notification.channel.kind,
                notification.attempts,
            )
            error = DeliveryError(f"internal error: {type(exc).__name__}", permanent=False)
    return _record(notification=notification, error=error, now=fixed_now or timezone.now(), rng=rng)


def _fold_if_held(*, notification_id: int, now: datetime) -> None:
    """A held DOWN/UP whose hold ended first gives a digest of its organisation a chance (services.digest)."""
    held = (
        Notification.objects.filter(
            id=notification_id, event__in=(EVENT_DOWN, EVENT_UP), status=Notification.Status.PENDING, attempts=0
        )
        .values_list("channel__organization_id", flat=True)
        .first()
    )
    if held is not None:
        digests_fold(organization_id=held, now=now)


def payload_for(notification: Notification) -> dict[str, object]:
    """The frozen payload; rows from before payloads were stored are rendered from their relations."""
    if notification.payload:
        return notification.payload
    change = notification.status_change
    incident = notification.incident
    monitor = incident.monitor if incident is not None else (change.monitor if change else notification.monitor)
    return payload_build(
        monitor=monitor,
        event=notification.event,
        now=notification.created_at,
        incident=incident,
        status_change=change,
    )


def _record(
    *, notification: Notification, error: DeliveryError | None, now: datetime, rng: random.Random | None
) -> DeliveryOutcome:
    attempts = notification.attempts
    retry_in: float | None = None
    fields: dict[str, object]
    if error is None:
        fields = {"status": Notification.Status.SENT, "sent_at": now, "last_error": ""}
    elif error.permanent:
        fields = {"status": Notification.Status.FAILED, "last_error": error.message[:500]}
    elif attempts >= settings.ALERTS_MAX_ATTEMPTS:
        fields = {"status": Notification.Status.DEAD, "last_error": error.message[:500]}
    else:
        retry_in = backoff_seconds(attempts, rng=rng)
        if error.retry_after_seconds is not None:
            retry_in = max(retry_in, error.retry_after_seconds)
        retry_in = min(retry_in, BACKOFF_CAP_SECONDS)
        fields = {"next_attempt_at": now + timedelta(seconds=retry_in), "last_error": error.message[:500]}
    with transaction.atomic():
        Notification.objects.filter(id=notification.id).update(**fields)
        channel_fields: dict[str, object] = {"last_error": error.message[:500] if error else ""}
        if error is not None and error.disable_channel:
            channel_fields["disabled"] = True
        Channel.objects.filter(id=notification.channel_id).update(**channel_fields)
    status = str(fields.get("status", Notification.Status.PENDING))
    _log(notification=notification, status=status, error=error, retry_in=retry_in)
    outcome_record_side_effects(notification_id=notification.id, status=status, now=now)
    return DeliveryOutcome(status=status, retry_in_seconds=retry_in, error=error.message if error else "")


def _log(*, notification: Notification, status: str, error: DeliveryError | None, retry_in: float | None) -> None:
    args = (notification.id, notification.channel_id, notification.channel.kind, notification.attempts, status)
    if error is None:
        logger.info("notification sent notification=%s channel=%s kind=%s attempts=%s status=%s", *args)
    elif retry_in is not None:
        logger.info(
            "notification retry notification=%s channel=%s kind=%s attempts=%s status=%s retry_in=%.1f error=%s",
            *args,
            retry_in,
            error.message,
        )
    else:
        logger.warning(
            "notification gave up notification=%s channel=%s kind=%s attempts=%s status=%s error=%s",
            *args,
            error.message,
        )


def notification_resend(*, notification: Notification, now: datetime | None = None) -> Notification:
    """Queue one more attempt of a FAILED or DEAD notification, with the same webhook-id.

    Only one: attempts is set to one below ALERTS_MAX_ATTEMPTS (the claim never hands out a
    notification at the cap), so if it fails again it is DEAD, with no automatic retries after it.
    """
    now = now or timezone.now()
    with transaction.atomic():
        updated = Notification.objects.filter(
            id=notification.id, status__in=[Notification.Status.FAILED, Notification.Status.DEAD]
        ).update(
            status=Notification.Status.PENDING,
            next_attempt_at=now,
            attempts=max(settings.ALERTS_MAX_ATTEMPTS - 1, 0),
        )
        if updated:
            deliver_notification_task.delay_on_commit(notification.id)
    notification.refresh_from_db()
    return notification
