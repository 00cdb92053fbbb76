"""What happened: one row per probe run, and the outbox of state flips."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from monitors.models import Monitor


class CheckResult(models.Model):
    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="results")
    region = models.CharField(max_length=32, default="local")
    # The slot this result fills: the monitor's next_check_at when the dispatcher claimed it.
    due_at = models.DateTimeField()
    started_at = models.DateTimeField()
    ok = models.BooleanField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    error_kind = models.CharField(max_length=32, blank=True, default="")
    error = models.CharField(max_length=500, blank=True, default="")
    response_bytes = models.PositiveIntegerField(null=True, blank=True)
    body_truncated = models.BooleanField(default=False)

    class Meta:
        ordering = ["-due_at", "-id"]
        constraints = [
            # A redelivered task stores nothing twice (CEL-02).
            models.UniqueConstraint(fields=["monitor", "region", "due_at"], name="checkresult_unique_slot"),
        ]
        indexes = [models.Index(fields=["monitor", "started_at"], name="checkresult_monitor_time_idx")]

    def __str__(self) -> str:
        return f"{self.monitor_id} @ {self.due_at:%Y-%m-%d %H:%M:%S} {'ok' if self.ok else 'fail'}"


class StatusChange(models.Model):
    """Outbox row written in the same transaction as the result that flipped the state.

    alerts claims rows with processed_at empty (a conditional UPDATE), so two workers never
    both notify, and a periodic sweep picks up rows whose task was lost.
    """

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="status_changes")
    result = models.ForeignKey(CheckResult, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    old_state = models.CharField(max_length=16)
    new_state = models.CharField(max_length=16)
    cause = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["created_at"], name="statuschange_unprocessed_idx", condition=models.Q(processed_at=None)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.monitor_id}: {self.old_state} -> {self.new_state}"
