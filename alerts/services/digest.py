"""Digests: when many monitors of one organisation go DOWN (or come back UP) at once, one message per
channel names them.

A DOWN or UP notification is created PENDING but due ALERTS_DIGEST_HOLD_SECONDS later (notify.py).
Before one is sent, and every few seconds from beat, digests_fold looks at the held ones per channel
and event: at least ALERTS_DIGEST_THRESHOLD of them (never attempted yet) fold into one "digest"
notification (its data.state says down or up), each becoming DIGESTED with `digest` pointing at it.
Fewer go out one by one when their hold ends.
The trade-off of the hold: every DOWN alert is that much later, in exchange for one message instead
of fifty when a shared dependency (DNS, a network, a cloud region) takes many monitors down at once.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from alerts.channels import EVENT_DIGEST, EVENT_DOWN, EVENT_UP, isoformat
from alerts.models import Channel, IncidentEvent, Notification
from alerts.tasks import deliver_notification_enqueue

logger = logging.getLogger(__name__)

MAX_PER_DIGEST = 500
DIGESTIBLE = (EVENT_DOWN, EVENT_UP)
STATES = {EVENT_DOWN: "down", EVENT_UP: "up"}


def _held(*, organization_id: int | None = None) -> QuerySet[Notification]:
    rows = Notification.objects.filter(
        status=Notification.Status.PENDING, event__in=DIGESTIBLE, attempts=0, digest__isnull=True
    )
    if organization_id is not None:
        rows = rows.filter(channel__organization_id=organization_id)
    return rows


def digests_fold(*, now: datetime | None = None, organization_id: int | None = None) -> int:
    """Fold every channel's held DOWNs that reach the threshold; returns how many digests were made.

    Safe to run concurrently: the channel row lock orders two folds of one channel, and a row is
    folded only while it is still PENDING and unattempted (the conditional UPDATE), so a DOWN that
    a worker already took is sent alone and never also named in a digest.
    """
    now = now or timezone.now()
    threshold = max(settings.ALERTS_DIGEST_THRESHOLD, 2)
    if settings.ALERTS_DIGEST_HOLD_SECONDS <= 0:
        return 0
    groups = (
        _held(organization_id=organization_id)
        .values("channel_id", "event")
        .annotate(held=Count("id"))
        .filter(held__gte=threshold)
        .values_list("channel_id", "event")
    )
    return sum(
        _fold_channel(channel_id=channel_id, event=event, threshold=threshold, now=now)
        for channel_id, event in list(groups)
    )


def _fold_channel(*, channel_id: int, event: str, threshold: int, now: datetime) -> int:
    with transaction.atomic():
        channel = Channel.objects.select_for_update().filter(id=channel_id).first()
        if channel is None:
            return 0
        ids = list(
            _held()
            .filter(channel_id=channel_id, event=event)
            .order_by("created_at", "id")
            .values_list("id", flat=True)[:MAX_PER_DIGEST]
        )
        if len(ids) < threshold:
            return 0
        digest = Notification.objects.create(
            channel=channel,
            event=EVENT_DIGEST,
            dedup_key=f"digest:{channel_id}:{event}:{ids[0]}",
            created_at=now,
            next_attempt_at=now,
        )
        folded = Notification.objects.filter(
            id__in=ids, status=Notification.Status.PENDING, attempts=0, digest__isnull=True
        ).update(status=Notification.Status.DIGESTED, digest=digest)
        if folded == 0:
            digest.delete()
            return 0
        members = list(Notification.objects.filter(digest=digest).order_by("created_at", "id"))
        digest.payload = _payload(members=members, state=STATES[event], now=now)
        digest.save(update_fields=["payload"])
        IncidentEvent.objects.bulk_create(
            [
                IncidentEvent(
                    incident_id=member.incident_id,
                    at=now,
                    kind=IncidentEvent.Kind.SUPPRESSED,
                    message=f"{event} to {channel.name}: folded into a digest of {folded} monitors.",
                    data={"notification": member.id, "digest": digest.id},
                )
                for member in members
                if member.incident_id is not None
            ]
        )
        transaction.on_commit(lambda: deliver_notification_enqueue(digest.id))
    logger.info("digest created notification=%s channel=%s monitors=%s", digest.id, channel_id, folded)
    return 1


def _payload(*, members: list[Notification], state: str, now: datetime) -> dict[str, Any]:
    monitors = []
    for member in members:
        data = member.payload.get("data") or {}
        monitor = data.get("monitor") or {"id": member.monitor_id, "name": "", "url": ""}
        incident = data.get("incident") or {}
        monitors.append({**monitor, "state": state, "cause": incident.get("cause", ""), "incident": incident or None})
    return {
        "type": EVENT_DIGEST,
        "timestamp": isoformat(now),
        "data": {"monitor": None, "incident": None, "state": state, "count": len(monitors), "monitors": monitors},
    }
