"""What happened: one row per probe run, and the outbox of state flips."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from monitors.models import Monitor


class CheckResult(models.Model):
    """One probe run. On PostgreSQL the table is range-partitioned by day on due_at (checks/0008,
    checks.partitions) and has no primary key constraint (checks/0010): Django keeps `id` as the pk,
    unique because one identity sequence numbers every row; a BRIN index on id (PostgreSQL only,
    a few kB) finds a row by id."""

    # No index of its own: the slot constraint starts with monitor_id and serves every lookup by
    # monitor (the biggest table: each index costs 30-40 MB per million rows).
    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="results", db_index=False)
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
    # Up, but slow (degraded_latency_ms) or a TLS certificate inside its warning window.
    degraded = models.BooleanField(default=False)
    # Kind-specific facts: TLS expiry/issuer, ping loss/RTT, DNS answers, redirect hops, attempts.
    details = models.JSONField(default=dict, blank=True)
    # checks.shapes hash of a JSON body's shape (monitors that track their contract), else blank.
    shape_hash = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-due_at", "-id"]
        constraints = [
            # A redelivered task stores nothing twice (CEL-02): checks.services.check_execute looks the
            # slot up by all three columns (one partition: due_at is the partition key). It contains
            # due_at, as a unique constraint on a partitioned table must. Its index is the table's only
            # b-tree: one monitor's results by time (the results list and the latest result in due_at
            # order, the monitor page's chart, the metrics and dashboard raw tails, rollup builds,
            # alert windows, retention), read with a due_at bound (checks.result_window) that also
            # prunes day partitions.
            models.UniqueConstraint(fields=["monitor", "due_at", "region"], name="checkresult_unique_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.monitor_id} @ {self.due_at:%Y-%m-%d %H:%M:%S} {'ok' if self.ok else 'fail'}"


class StatusChange(models.Model):
    """Outbox row written in the same transaction as the result that flipped the state.

    alerts claims rows with processed_at empty (a conditional UPDATE), so two workers never
    both notify, and a periodic sweep picks up rows whose task was lost.
    """

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="status_changes")
    # No database constraint: on PostgreSQL results live in day partitions (checks.partitions) and a
    # foreign key to a partitioned table would need the partition key (due_at) too. Django's collector
    # still sets it to NULL when a result is deleted through the ORM; a dropped partition can leave it
    # dangling: look the result up by result_id (None when gone) rather than through `change.result`.
    result = models.ForeignKey(
        CheckResult, null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False, related_name="+"
    )
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


class HeartbeatPing(models.Model):
    """One push to a heartbeat monitor's /ping/<token> URL."""

    class Kind(models.TextChoices):
        SUCCESS = "success"
        START = "start"
        FAIL = "fail"

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="heartbeat_pings")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.SUCCESS)
    received_at = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=8, default="GET")
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True, default="")
    body = models.TextField(blank=True, default="")  # the first CHECKS_PING_BODY_BYTES
    duration_ms = models.PositiveIntegerField(null=True, blank=True)  # since the matching /start

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            # Used by checks.selectors.heartbeat_ping_list_for_monitor (the monitor page and API).
            models.Index(fields=["monitor", "-received_at"], name="heartbeatping_monitor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.monitor_id} {self.kind} @ {self.received_at:%Y-%m-%d %H:%M:%S}"


class RegionStatus(models.Model):
    """How promptly each region's workers consume their queue (a beat probe, see checks.tasks)."""

    region = models.CharField(max_length=32, unique=True)
    probe_sent_at = models.DateTimeField(null=True, blank=True)  # the last probe task enqueued
    consumed_at = models.DateTimeField(null=True, blank=True)  # when a worker last ran one
    lag_ms = models.PositiveIntegerField(null=True, blank=True)  # enqueue-to-run delay of that probe

    class Meta:
        ordering = ["region"]
        verbose_name_plural = "region statuses"

    def __str__(self) -> str:
        return self.region


class MonitorRegionState(models.Model):
    """One monitor's confirmation counts in one region (checks.state); written under the monitor's row lock.

    The monitor's own state aggregates these rows: DOWN when at least M of its regions are failing.
    """

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="region_states")
    region = models.CharField(max_length=32)
    state = models.CharField(max_length=16, default="pending")  # pending | up | degraded | down
    consecutive_failures = models.PositiveIntegerField(default=0)
    consecutive_successes = models.PositiveIntegerField(default=0)
    last_result_at = models.DateTimeField(null=True, blank=True)  # started_at of the result that moved it
    # The slot of that result: a late result of an older slot is stored but moves no count.
    last_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["monitor_id", "region"]
        constraints = [
            models.UniqueConstraint(fields=["monitor", "region"], name="monitorregionstate_unique_region"),
        ]

    def __str__(self) -> str:
        return f"{self.monitor_id} in {self.region}: {self.state}"


class Rollup(models.Model):
    """Checks, successes and latency of one monitor in one region over one hour or one day.

    Written only by checks.rollups.rollups_build (an upsert per bucket, so a rebuild is harmless);
    metrics and the dashboard read these instead of raw results older than the current hour.
    `histogram` is sparse {bucket index: count} over checks.rollups.EDGES_MS (log scale, 2 %).
    """

    class Period(models.TextChoices):
        HOUR = "hour"
        DAY = "day"

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="rollups")
    region = models.CharField(max_length=32)
    period = models.CharField(max_length=4, choices=Period.choices)
    bucket_start = models.DateTimeField()  # UTC, aligned to the period
    checks = models.PositiveIntegerField(default=0)
    ups = models.PositiveIntegerField(default=0)  # successful checks
    latency_count = models.PositiveIntegerField(default=0)  # checks with a latency (a timeout has none)
    latency_sum_ms = models.BigIntegerField(default=0)
    latency_min_ms = models.PositiveIntegerField(null=True, blank=True)
    latency_max_ms = models.PositiveIntegerField(null=True, blank=True)
    histogram = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["monitor_id", "period", "-bucket_start"]
        constraints = [
            # One row per bucket, the key of the upsert. The column order makes its index serve
            # checks.selectors.metrics_for_monitor (monitor = ?, period, bucket_start range) and
            # uptime_by_monitor (monitor IN (...), period = 'hour', bucket_start range) as well.
            models.UniqueConstraint(
                fields=["monitor", "period", "bucket_start", "region"], name="rollup_monitor_period_time_uniq"
            ),
        ]
        indexes = [
            # Used by checks.rollups (daily rollups from one day's hourly rows, the build's progress)
            # and by retention, which deletes by age across monitors.
            models.Index(fields=["period", "bucket_start"], name="rollup_period_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.monitor_id} {self.region} {self.period} @ {self.bucket_start:%Y-%m-%d %H:%M}"


class RollupProgress(models.Model):
    """How far hourly rollups are built: the beat task resumes here, also across hours without any result."""

    period = models.CharField(max_length=4, unique=True, default="hour")
    built_until = models.DateTimeField()  # every closed hour before it has been rolled up once

    class Meta:
        verbose_name_plural = "rollup progress"

    def __str__(self) -> str:
        return f"{self.period} rollups built until {self.built_until:%Y-%m-%d %H:%M}"


# Drift models live in their own module; importing them here registers them with the app.
from checks.models_drift import ContractBaseline, DriftEvent, ShapeSample  # noqa: E402

__all__ = [
    "CheckResult",
    "ContractBaseline",
    "DriftEvent",
    "HeartbeatPing",
    "MonitorRegionState",
    "RegionStatus",
    "Rollup",
    "RollupProgress",
    "ShapeSample",
    "StatusChange",
]
