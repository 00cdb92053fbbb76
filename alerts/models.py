"""Who to tell and what happened: channels, incidents and one notification per channel per flip."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from accounts.models import Organization
from checks.models import StatusChange
from monitors.models import Monitor


def new_message_id() -> str:
    """The webhook-id of a delivery: unique per (status change, channel), stable across retries."""
    return f"msg_{uuid.uuid4().hex}"


class Channel(models.Model):
    class Kind(models.TextChoices):
        EMAIL = "email"
        WEBHOOK = "webhook"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="channels")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=100)
    target = models.CharField(max_length=2048)  # an email address or a URL
    # Webhooks only: "whsec_<base64>", signs every delivery (Standard Webhooks).
    secret = models.CharField(max_length=128, blank=True, default="")
    disabled = models.BooleanField(default=False)
    last_error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class Incident(models.Model):
    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="incidents")
    opened_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    cause = models.CharField(max_length=500, blank=True, default="")
    opened_by = models.OneToOneField(StatusChange, null=True, on_delete=models.SET_NULL, related_name="+")
    resolved_by = models.OneToOneField(StatusChange, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            # At most one open incident per monitor.
            models.UniqueConstraint(
                fields=["monitor"], condition=models.Q(resolved_at=None), name="incident_one_open_per_monitor"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.monitor_id} since {self.opened_at:%Y-%m-%d %H:%M}"


class Notification(models.Model):
    """One delivery of one status change to one channel; its message_id is the webhook-id."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"  # permanent failure, no more attempts
        DEAD = "dead"  # attempts exhausted

    status_change = models.ForeignKey(StatusChange, on_delete=models.CASCADE, related_name="notifications")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="notifications")
    incident = models.ForeignKey(Incident, null=True, on_delete=models.SET_NULL, related_name="notifications")
    event = models.CharField(max_length=32)  # "monitor.down" / "monitor.up"
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
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="notification_pending_idx", condition=models.Q(status="pending")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} -> {self.channel_id} ({self.status})"
