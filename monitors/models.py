"""What to watch and when: the monitor and its schedule and state."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organization


def default_expected_status() -> list[int]:
    return [200]


def default_regions() -> list[str]:
    """The region of this installation's workers, read when a monitor is created."""
    return [settings.CHECK_REGION]


class Monitor(models.Model):
    class Kind(models.TextChoices):
        HTTP = "http"

    class Method(models.TextChoices):
        GET = "GET"
        HEAD = "HEAD"
        POST = "POST"
        PUT = "PUT"
        PATCH = "PATCH"
        DELETE = "DELETE"
        OPTIONS = "OPTIONS"

    class State(models.TextChoices):
        PENDING = "pending"
        UP = "up"
        DOWN = "down"
        PAUSED = "paused"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="monitors")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.HTTP)
    url = models.URLField(max_length=2048)
    method = models.CharField(max_length=8, choices=Method.choices, default=Method.GET)
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True, default="")
    expected_status = models.JSONField(default=default_expected_status)
    keyword = models.CharField(max_length=200, blank=True, default="")
    interval_seconds = models.PositiveIntegerField(default=60)
    timeout_seconds = models.PositiveIntegerField(default=10)
    regions = models.JSONField(default=default_regions)
    paused = models.BooleanField(default=False)
    track_contract = models.BooleanField(default=False)
    # Failed checks in a row before the monitor turns DOWN, successes before it is UP again.
    failure_threshold = models.PositiveSmallIntegerField(default=2)
    recovery_threshold = models.PositiveSmallIntegerField(default=1)

    # Schedule and state, written by the checks app.
    next_check_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    consecutive_failures = models.PositiveIntegerField(default=0)
    consecutive_successes = models.PositiveIntegerField(default=0)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_latency_ms = models.PositiveIntegerField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            # Used by the dispatcher every second: due, unpaused monitors only.
            models.Index(fields=["next_check_at"], name="monitor_due_idx", condition=models.Q(paused=False)),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_state(self) -> str:
        return self.State.PAUSED if self.paused else self.state
