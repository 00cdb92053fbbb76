"""What to watch and when: the monitor and its schedule and state."""

from __future__ import annotations

import uuid

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
        TCP = "tcp"
        PING = "ping"
        DNS = "dns"
        TLS = "tls"
        HEARTBEAT = "heartbeat"

    class AuthKind(models.TextChoices):
        NONE = "none"
        BASIC = "basic"
        BEARER = "bearer"

    class RecordType(models.TextChoices):
        A = "A"
        AAAA = "AAAA"
        CNAME = "CNAME"
        MX = "MX"
        TXT = "TXT"
        NS = "NS"

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
        DEGRADED = "degraded"
        PAUSED = "paused"
        MAINTENANCE = "maintenance"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="monitors")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.HTTP)
    url = models.URLField(max_length=2048, blank=True)  # http only
    method = models.CharField(max_length=8, choices=Method.choices, default=Method.GET)
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True, default="")
    expected_status = models.JSONField(default=default_expected_status)
    keyword = models.CharField(max_length=200, blank=True, default="")  # must appear in the body
    keyword_absent = models.CharField(max_length=200, blank=True, default="")  # must not appear
    # [{"path": "$.status", "op": "equals"|"not_equals"|"lt"|"gt"|"contains"|"exists", "value": …}]
    json_assertions = models.JSONField(default=list, blank=True)
    auth_kind = models.CharField(max_length=8, choices=AuthKind.choices, default=AuthKind.NONE)
    auth_username = models.CharField(max_length=200, blank=True, default="")
    # The basic-auth password or bearer token: write-only, never shown back in full.
    auth_secret = models.CharField(max_length=2000, blank=True, default="")
    follow_redirects = models.BooleanField(default=True)
    max_redirects = models.PositiveSmallIntegerField(default=5)
    verify_tls = models.BooleanField(default=True)
    connect_timeout_seconds = models.PositiveSmallIntegerField(default=5)
    read_timeout_seconds = models.PositiveSmallIntegerField(default=10)

    # tcp, ping, dns, tls: the host (and port for tcp and tls).
    host = models.CharField(max_length=253, blank=True, default="")
    port = models.PositiveIntegerField(null=True, blank=True)
    ping_count = models.PositiveSmallIntegerField(default=3)
    record_type = models.CharField(max_length=8, choices=RecordType.choices, default=RecordType.A)
    expected = models.JSONField(default=list, blank=True)  # dns: values the answer must contain
    dns_resolver = models.CharField(max_length=64, blank=True, default="")  # an IP; blank: the system's
    days_before_expiry = models.PositiveSmallIntegerField(default=14)  # tls: DEGRADED inside this window

    # heartbeat: pinged at /ping/<ping_token>; DOWN when no ping for period + grace.
    ping_token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    period_seconds = models.PositiveIntegerField(default=3600)
    grace_seconds = models.PositiveIntegerField(default=300)
    last_ping_at = models.DateTimeField(null=True, blank=True)
    last_start_at = models.DateTimeField(null=True, blank=True)  # a /start not yet finished
    interval_seconds = models.PositiveIntegerField(default=60)
    timeout_seconds = models.PositiveIntegerField(default=10)
    regions = models.JSONField(default=default_regions)
    paused = models.BooleanField(default=False)
    track_contract = models.BooleanField(default=False)
    # Contract drift (checks.drift): the baseline is learned from this many successful JSON responses;
    # a new shape must be seen this many times in a row before it is a DriftEvent.
    contract_baseline_samples = models.PositiveSmallIntegerField(default=5)
    contract_confirmations = models.PositiveSmallIntegerField(default=2)
    # JSONPath-style paths ("$.meta", "$.items[*].debug") whose changes are never drift.
    contract_ignore_paths = models.JSONField(default=list, blank=True)
    # Additive-only changes (new fields) are recorded; they alert only when this is on.
    contract_alert_additive = models.BooleanField(default=False)
    # Failed checks in a row before the monitor turns DOWN, successes before it is UP again.
    failure_threshold = models.PositiveSmallIntegerField(default=2)
    recovery_threshold = models.PositiveSmallIntegerField(default=1)
    # Probe attempts inside one run after the first fails (exponential backoff with jitter).
    retries = models.PositiveSmallIntegerField(default=1)
    # UP but slower than this: DEGRADED. Empty: latency never degrades the monitor.
    degraded_latency_ms = models.PositiveIntegerField(null=True, blank=True)
    # Regions that must fail before the monitor is DOWN. Empty: more than half of its regions.
    regions_down_threshold = models.PositiveSmallIntegerField(null=True, blank=True)

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


class MaintenanceWindow(models.Model):
    """A time when a monitor (or every monitor of an organisation) is under maintenance.

    Checks still run and are stored; the state shows `maintenance`; no incident, no notification.
    """

    class Recurrence(models.TextChoices):
        ONCE = "once"  # starts_at .. ends_at
        WEEKLY = "weekly"  # on `weekdays` at `start_time` for `duration_minutes`
        CRON = "cron"  # at every `cron` match for `duration_minutes`

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="maintenance_windows")
    monitor = models.ForeignKey(
        Monitor, null=True, blank=True, on_delete=models.CASCADE, related_name="maintenance_windows"
    )  # empty: every monitor of the organisation
    name = models.CharField(max_length=100)
    recurrence = models.CharField(max_length=8, choices=Recurrence.choices, default=Recurrence.ONCE)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    weekdays = models.JSONField(default=list, blank=True)  # 0 = Monday … 6 = Sunday
    start_time = models.TimeField(null=True, blank=True)
    cron = models.CharField(max_length=100, blank=True, default="")
    duration_minutes = models.PositiveIntegerField(default=60)
    time_zone = models.CharField(max_length=64, default="UTC")  # for weekly and cron windows
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name
