"""Contract drift: the accepted shape of a monitor's JSON response, and the changes seen against it.

The shapes themselves are plain JSON built by checks.shapes (a pure module); these rows store them.
A DriftEvent is an outbox row like StatusChange: alerts claims it (processed_at empty) and notifies.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from monitors.models import Monitor


class ContractBaseline(models.Model):
    """One version of a monitor's expected response shape.

    Versions count up per monitor. At most one is `learning` or `active` at a time: a learning
    baseline merges the shapes of the first monitor.contract_baseline_samples successful responses,
    then becomes active; accepting a DriftEvent or pinning a schema supersedes the active one.
    """

    class Source(models.TextChoices):
        LEARNED = "learned"  # merged from the first successful responses
        ACCEPTED = "accepted"  # a drift event accepted as the new shape
        JSON_SCHEMA = "json_schema"  # pinned from an uploaded JSON Schema
        OPENAPI = "openapi"  # pinned from an OpenAPI 3 document + operation

    class Status(models.TextChoices):
        LEARNING = "learning"
        ACTIVE = "active"
        SUPERSEDED = "superseded"

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="contract_baselines")
    version = models.PositiveIntegerField()
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.LEARNED)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.LEARNING)
    shape = models.JSONField(default=dict, blank=True)  # checks.shapes canonical form
    shape_hash = models.CharField(max_length=64, blank=True, default="")
    samples_seen = models.PositiveIntegerField(default=0)  # responses merged while learning
    # Pinned baselines: the uploaded document and, for OpenAPI, "GET /orders 200".
    schema_document = models.JSONField(null=True, blank=True)
    operation = models.CharField(max_length=300, blank=True, default="")
    # The media type the baseline's responses carried (learned: the first sample's; pinned: application/json).
    content_type = models.CharField(max_length=100, blank=True, default="")
    # Confirmation of a candidate drift: the shape hash last seen off-baseline and how many times in a row.
    pending_shape_hash = models.CharField(max_length=64, blank=True, default="")
    pending_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["monitor_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["monitor", "version"], name="contractbaseline_unique_version"),
            models.UniqueConstraint(
                fields=["monitor"],
                condition=models.Q(status__in=["learning", "active"]),
                name="contractbaseline_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.monitor_id} v{self.version} ({self.status})"


class ShapeSample(models.Model):
    """A capped, redacted example body for one distinct shape of one monitor's responses."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="shape_samples")
    shape_hash = models.CharField(max_length=64)
    content_type = models.CharField(max_length=200, blank=True, default="")
    body = models.TextField(blank=True, default="")  # redacted, at most CHECKS_DRIFT_SAMPLE_BYTES
    truncated = models.BooleanField(default=False)
    captured_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["monitor_id", "-captured_at"]
        constraints = [
            models.UniqueConstraint(fields=["monitor", "shape_hash"], name="shapesample_unique_shape"),
        ]

    def __str__(self) -> str:
        return f"{self.monitor_id} {self.shape_hash[:12]}"


class DriftEvent(models.Model):
    """One confirmed change set of a monitor's response shape against its current baseline (an outbox row)."""

    class Severity(models.TextChoices):
        BREAKING = "breaking"  # something removed, retyped, made nullable, or no longer JSON
        ADDITIVE = "additive"  # only additions

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="drift_events")
    baseline = models.ForeignKey(ContractBaseline, on_delete=models.CASCADE, related_name="events")
    detected_at = models.DateTimeField(default=timezone.now)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    # [{"path": "$.owner.email", "change": "removed", "before": "string", "after": null, "severity": "breaking"}]
    changes = models.JSONField(default=list)
    shape = models.JSONField(default=dict, blank=True)  # the observed shape
    shape_hash = models.CharField(max_length=64)
    # The result that confirmed it. No database constraint: results live in day partitions that
    # retention drops (checks.partitions), and the event outlives them.
    result = models.ForeignKey(
        "checks.CheckResult",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    sample = models.ForeignKey(ShapeSample, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    processed_at = models.DateTimeField(null=True, blank=True)  # claimed by the alerts app

    class Meta:
        ordering = ["-detected_at", "-id"]
        constraints = [
            # The same change is not reported twice against one baseline.
            models.UniqueConstraint(fields=["baseline", "shape_hash"], name="driftevent_unique_shape"),
        ]
        indexes = [
            models.Index(fields=["monitor", "-detected_at"], name="driftevent_monitor_idx"),
            models.Index(
                fields=["detected_at"], name="driftevent_unprocessed_idx", condition=models.Q(processed_at=None)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.monitor_id} {self.severity} @ {self.detected_at:%Y-%m-%d %H:%M}"
