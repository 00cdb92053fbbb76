"""When to alert and whom not to: alert rules, the state of windowed rules, flapping, email opt-outs."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models import Organization
from monitors.models import Monitor


class AlertRule(models.Model):
    """A condition that notifies channels: per monitor, or an organisation-wide default (monitor empty).

    A monitor's own rule for a condition replaces the organisation default for that condition.
    Event rules (down, recovered, degraded, drift, heartbeat_missed) act on outbox rows; windowed
    rules (latency, uptime, tls_expiry) are evaluated every minute by alerts.rules_evaluate.
    """

    class Condition(models.TextChoices):
        DOWN = "down"  # the monitor turned DOWN (after its confirmations)
        RECOVERED = "recovered"  # back from DOWN
        DEGRADED = "degraded"
        LATENCY = "latency"  # p95 over window_minutes above threshold_ms
        UPTIME = "uptime"  # uptime over window_minutes below slo_percent
        DRIFT = "drift"  # a contract drift event of at least min_severity
        TLS_EXPIRY = "tls_expiry"  # certificate expires within days_before_expiry
        HEARTBEAT_MISSED = "heartbeat_missed"

    class Severity(models.TextChoices):
        BREAKING = "breaking"
        ADDITIVE = "additive"  # additive or breaking: every drift

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="alert_rules")
    monitor = models.ForeignKey(Monitor, null=True, blank=True, on_delete=models.CASCADE, related_name="alert_rules")
    name = models.CharField(max_length=100, blank=True, default="")
    condition = models.CharField(max_length=20, choices=Condition.choices)
    threshold_ms = models.PositiveIntegerField(null=True, blank=True)  # latency
    window_minutes = models.PositiveIntegerField(default=15)  # latency, uptime
    slo_percent = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)  # uptime
    min_severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.BREAKING)  # drift
    days_before_expiry = models.PositiveSmallIntegerField(null=True, blank=True)  # tls_expiry
    # Empty: every enabled channel of the organisation.
    channels = models.ManyToManyField("alerts.Channel", blank=True, related_name="rules")
    # After a notification, the same rule and monitor stay quiet this long (0: no window).
    suppression_minutes = models.PositiveIntegerField(default=0)
    # Remind every N hours while the incident is open and unacknowledged (empty: never).
    reminder_hours = models.PositiveIntegerField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization_id", "monitor_id", "condition", "id"]
        indexes = [models.Index(fields=["organization", "condition"], name="alertrule_org_condition_idx")]

    def __str__(self) -> str:
        scope = f"monitor {self.monitor_id}" if self.monitor_id else "organisation default"
        return self.name or f"{self.condition} ({scope})"


class RuleFiring(models.Model):
    """A windowed rule firing for one monitor, from the evaluation that fired it to the one that cleared it.

    At most one open firing per (rule, monitor): evaluating twice in the same minute creates nothing twice.
    """

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="firings")
    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="+")
    fired_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)
    value = models.FloatField(null=True, blank=True)  # the p95 ms, uptime % or days left that fired it
    incident = models.ForeignKey("alerts.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-fired_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "monitor"], condition=models.Q(cleared_at=None), name="rulefiring_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"rule {self.rule_id} monitor {self.monitor_id} @ {self.fired_at:%Y-%m-%d %H:%M}"


class MonitorAlertState(models.Model):
    """Per-monitor alerting memory: flapping (more than X flips in Y minutes) and when it was announced."""

    monitor = models.OneToOneField(Monitor, on_delete=models.CASCADE, related_name="alert_state")
    flapping_since = models.DateTimeField(null=True, blank=True)  # empty: not flapping
    flap_notice_at = models.DateTimeField(null=True, blank=True)  # the one "flapping" notice of this spell
    stable_since = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.monitor_id} {'flapping' if self.flapping_since else 'stable'}"


class EmailOptOut(models.Model):
    """An address that asked not to get one kind of mail from one organisation (or about one monitor).

    Written by the one-click unsubscribe link (RFC 8058) and by a member's notification preferences.
    `event` is a Notification.event value, or "all".
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="email_opt_outs")
    email = models.EmailField()
    event = models.CharField(max_length=32, default="all")
    monitor = models.ForeignKey(Monitor, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organization_id", "email", "event"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "email", "event", "monitor"], name="emailoptout_unique"),
            # NULLs are distinct in a unique index (SQLite and PostgreSQL alike): org-wide opt-outs need their own.
            models.UniqueConstraint(
                fields=["organization", "email", "event"],
                condition=models.Q(monitor=None),
                name="emailoptout_unique_org_wide",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} opted out of {self.event}"
