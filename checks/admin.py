"""Admin for operators: check results, the status-change and drift outboxes, baselines, read-only (STYLE R33)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from checks.models import (
    CheckResult,
    ContractBaseline,
    DriftEvent,
    HeartbeatPing,
    MonitorRegionState,
    RegionStatus,
    Rollup,
    RollupProgress,
    ShapeSample,
    StatusChange,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the checks pipeline: operators look, they do not edit or invent them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]


@admin.register(CheckResult)
class CheckResultAdmin(ReadOnlyAdmin):
    list_display = ("monitor", "region", "due_at", "ok", "status_code", "latency_ms", "error_kind")
    # No filter on the monitor FK (it would list every monitor on each page load) and no
    # date_hierarchy (a DISTINCT over the whole table); narrow to one monitor with
    # ?monitor__id__exact=<id> in the URL instead.
    list_filter = ("ok", "region")
    search_fields = ("monitor__name",)
    list_select_related = ("monitor",)
    raw_id_fields = ("monitor",)
    # The biggest table: no COUNT(*) over all of it for the "N total" link.
    show_full_result_count = False


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdmin):
    list_display = ("monitor", "old_state", "new_state", "cause", "created_at", "processed_at")
    list_filter = ("new_state", "old_state", ("processed_at", admin.EmptyFieldListFilter))
    search_fields = ("monitor__name", "cause")
    list_select_related = ("monitor",)
    raw_id_fields = ("monitor", "result")
    date_hierarchy = "created_at"


@admin.register(HeartbeatPing)
class HeartbeatPingAdmin(ReadOnlyAdmin):
    list_display = ("monitor", "kind", "received_at", "method", "remote_addr", "duration_ms")
    list_filter = ("kind",)
    search_fields = ("monitor__name", "remote_addr")
    list_select_related = ("monitor",)
    raw_id_fields = ("monitor",)
    show_full_result_count = False


@admin.register(RegionStatus)
class RegionStatusAdmin(ReadOnlyAdmin):
    list_display = ("region", "probe_sent_at", "consumed_at", "lag_ms")


@admin.register(MonitorRegionState)
class MonitorRegionStateAdmin(ReadOnlyAdmin):
    list_display = ("monitor", "region", "state", "consecutive_failures", "consecutive_successes", "last_result_at")
    search_fields = ("monitor__name", "region")
    list_select_related = ("monitor",)
    raw_id_fields = ("monitor",)


@admin.register(Rollup)
class RollupAdmin(ReadOnlyAdmin):
    list_display = ("monitor", "region", "period", "bucket_start", "checks", "ups", "latency_min_ms", "latency_max_ms")
    # As for results: no filter on the monitor FK; narrow with ?monitor__id__exact=<id>.
    list_filter = ("period", "region")
    search_fields = ("monitor__name",)
    list_select_related = ("monitor",)
    raw_id_fields = ("monitor",)
    show_full_result_count = False


@admin.register(RollupProgress)
class RollupProgressAdmin(ReadOnlyAdmin):
    list_display = ("period", "built_until")


# Contract drift (checks.drift): baselines, redacted example bodies and the DriftEvent outbox.
# Written by the pipeline and by accept/pin (audited services), so read-only here as well.


@admin.register(ContractBaseline)
class ContractBaselineAdmin(ReadOnlyAdmin):
    list_display = ("monitor", "version", "source", "status", "samples_seen", "operation", "created_at")
    list_filter = ("status", "source")
    search_fields = ("monitor__name", "monitor__organization__name", "shape_hash")
    list_select_related = ("monitor",)
    raw_id_fields = ("monitor", "created_by")


@admin.register(ShapeSample)
class ShapeSampleAdmin(ReadOnlyAdmin):
    # The body was redacted (secret-looking keys masked) and capped before it was stored; no headers are kept.
    list_display = ("monitor", "shape_hash", "content_type", "truncated", "captured_at")
    search_fields = ("monitor__name", "monitor__organization__name", "shape_hash")
    list_select_related = ("monitor",)
    raw_id_fields = ("monitor",)
    show_full_result_count = False


@admin.register(DriftEvent)
class DriftEventAdmin(ReadOnlyAdmin):
    list_display = ("monitor", "severity", "detected_at", "accepted_at", "processed_at")
    list_filter = (
        "severity",
        ("accepted_at", admin.EmptyFieldListFilter),
        ("processed_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("monitor__name", "monitor__organization__name")
    list_select_related = ("monitor",)
    raw_id_fields = ("monitor", "baseline", "sample", "accepted_by")
    date_hierarchy = "detected_at"
