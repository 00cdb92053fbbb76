"""Who to tell and what happened: channels, incidents and one notification per channel per flip."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organization
from checks.models import DriftEvent, StatusChange
from monitors.models import Monitor


def new_message_id() -> str:
    """The webhook-id of a delivery: unique per (status change, channel), stable across retries."""
    return f"msg_{uuid.uuid4().hex}"


class Channel(models.Model):
    class Kind(models.TextChoices):
        EMAIL = "email"
        WEBHOOK = "webhook"
        SLACK = "slack"
        DISCORD = "discord"
        TEAMS = "teams"
        TELEGRAM = "telegram"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="channels")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=100)
    target = models.CharField(max_length=2048)  # an email address or a URL
    # Webhooks only: "whsec_<base64>", signs every delivery (Standard Webhooks).
    secret = models.CharField(max_length=128, blank=True, default="")
    # Kind-specific options that are not the target (a Telegram chat id, …); see alerts.channels.<kind>.
    config = models.JSONField(default=dict, blank=True)
    disabled = models.BooleanField(default=False)
    last_error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class Incident(models.Model):
    """Something wrong with one monitor, from the moment it was noticed until it was resolved.

    `kind` says which condition opened it: a DOWN state change, or an alert rule that fired
    (latency, uptime SLO, drift, TLS expiry, heartbeat missed). At most one open per monitor and kind.
    """

    class Kind(models.TextChoices):
        DOWN = "down"
        DEGRADED = "degraded"
        LATENCY = "latency"
        UPTIME = "uptime"
        DRIFT = "drift"
        TLS_EXPIRY = "tls_expiry"
        HEARTBEAT_MISSED = "heartbeat_missed"

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="incidents")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.DOWN)
    rule = models.ForeignKey(
        "alerts.AlertRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents"
    )
    opened_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    cause = models.CharField(max_length=500, blank=True, default="")
    opened_by = models.OneToOneField(StatusChange, null=True, on_delete=models.SET_NULL, related_name="+")
    resolved_by = models.OneToOneField(StatusChange, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # A person who resolved it by hand (resolved_by stays empty then).
    resolved_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)  # stops reminders
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_reminder_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            # At most one open incident per monitor and kind.
            models.UniqueConstraint(
                fields=["monitor", "kind"], condition=models.Q(resolved_at=None), name="incident_one_open_per_kind"
            ),
        ]
        indexes = [models.Index(fields=["monitor", "-opened_at"], name="incident_monitor_idx")]

    def __str__(self) -> str:
        return f"{self.monitor_id} {self.kind} since {self.opened_at:%Y-%m-%d %H:%M}"


class IncidentEvent(models.Model):
    """One line of an incident's timeline: what happened, when, and who did it (if a person)."""

    class Kind(models.TextChoices):
        OPENED = "opened"
        CHECK_FAILED = "check_failed"  # a failing result while open (data: region, error, status)
        REGION = "region"  # a region went down or came back
        NOTIFIED = "notified"  # a notification was sent (data: channel, notification id)
        NOTIFICATION_FAILED = "notification_failed"  # failed for good or dead (data: error)
        SUPPRESSED = "suppressed"  # not sent: maintenance, suppression window, flapping, digest
        REMINDER = "reminder"
        FLAPPING = "flapping"
        ACKNOWLEDGED = "acknowledged"
        COMMENT = "comment"
        RESOLVED = "resolved"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.TextField(blank=True, default="")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["incident_id", "at", "id"]
        indexes = [models.Index(fields=["incident", "at"], name="incidentevent_incident_idx")]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.kind} @ {self.at:%Y-%m-%d %H:%M:%S}"


class Notification(models.Model):
    """One delivery of one event to one channel; its message_id is the webhook-id, the same on every retry.

    The event is a state change (status_change), a drift event, a rule that fired, a reminder, a
    flapping notice or a digest; `dedup_key` names it ("sc:12", "drift:7", "rule:3:monitor:9:…"),
    and (channel, dedup_key) is unique, so one event reaches one channel once. `payload` is the
    rendered event, frozen when the row is created, so every retry sends the same body.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"  # permanent failure, no more attempts
        DEAD = "dead"  # attempts exhausted
        SUPPRESSED = "suppressed"  # never sent: maintenance, suppression window, flapping, opt-out
        DIGESTED = "digested"  # folded into the digest notification `digest`

    status_change = models.ForeignKey(
        StatusChange, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    drift_event = models.ForeignKey(
        DriftEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    rule = models.ForeignKey(
        "alerts.AlertRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    monitor = models.ForeignKey(Monitor, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="notifications")
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    digest = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="digested"
    )  # the digest this one was folded into
    event = models.CharField(max_length=32)  # "monitor.down", "monitor.up", "contract.drift", "digest", …
    dedup_key = models.CharField(max_length=200, blank=True, default="")
    payload = models.JSONField(default=dict, blank=True)
    message_id = models.CharField(max_length=64, unique=True, default=new_message_id)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=500, blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["status_change", "channel"], name="notification_unique_change_channel"),
            models.UniqueConstraint(
                fields=["channel", "dedup_key"], condition=~models.Q(dedup_key=""), name="notification_unique_dedup"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="notification_pending_idx", condition=models.Q(status="pending")
            ),
            models.Index(fields=["channel", "-created_at"], name="notification_channel_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} -> {self.channel_id} ({self.status})"


# Rules, flapping state and opt-outs live in their own module; importing them registers them.
from alerts.models_rules import AlertRule, EmailOptOut, MonitorAlertState, RuleFiring  # noqa: E402

__all__ = [
    "AlertRule",
    "Channel",
    "EmailOptOut",
    "Incident",
    "IncidentEvent",
    "MonitorAlertState",
    "Notification",
    "RuleFiring",
]
