"""Admin for operators: monitors, their settings and their schedule/state (STYLE R33)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from monitors import validators
from monitors.models import MaintenanceWindow, Monitor
from monitors.services import EDITABLE_FIELDS, monitor_update


class MonitorAdminForm(forms.ModelForm):
    """The same field rules as the web form and the API (monitors.validators)."""

    url = forms.URLField(max_length=2048, assume_scheme="https")

    class Meta:
        model = Monitor
        fields = EDITABLE_FIELDS

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        validators.validate_monitor_url(url)
        return url

    def clean_headers(self) -> dict:
        headers = self.cleaned_data["headers"]
        validators.validate_headers(headers)
        return headers

    def clean_expected_status(self) -> list:
        codes = self.cleaned_data["expected_status"]
        validators.validate_expected_status(codes)
        return codes

    def clean_regions(self) -> list:
        regions = self.cleaned_data["regions"]
        validators.validate_regions(regions)
        return regions

    def clean_interval_seconds(self) -> int:
        seconds = self.cleaned_data["interval_seconds"]
        validators.validate_interval(seconds)
        return seconds

    def clean_timeout_seconds(self) -> int:
        seconds = self.cleaned_data["timeout_seconds"]
        validators.validate_timeout(seconds)
        return seconds

    def clean(self) -> dict:
        cleaned = super().clean()
        timeout, interval = cleaned.get("timeout_seconds"), cleaned.get("interval_seconds")
        if timeout is not None and interval is not None:
            try:
                validators.validate_timeout_within_interval(timeout_seconds=timeout, interval_seconds=interval)
            except ValidationError as exc:
                self.add_error(None, exc)
        return cleaned


@admin.register(Monitor)
class MonitorAdmin(admin.ModelAdmin):
    form = MonitorAdminForm
    list_display = (
        "name",
        "organization",
        "url",
        "state",
        "paused",
        "interval_seconds",
        "last_checked_at",
        "last_latency_ms",
    )
    list_filter = ("state", "paused", "kind")
    search_fields = ("name", "url", "organization__name")
    list_select_related = ("organization",)
    raw_id_fields = ("organization",)
    date_hierarchy = "created_at"
    # Written by the checks app as results come in, never by hand.
    readonly_fields = (
        "organization",
        "kind",
        "next_check_at",
        "state",
        "consecutive_failures",
        "consecutive_successes",
        "state_changed_at",
        "last_checked_at",
        "last_latency_ms",
        "last_status_code",
        "last_error",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("organization", "name", "kind", "paused")}),
        ("Request", {"fields": ("method", "url", "headers", "body", "timeout_seconds")}),
        (
            "Rules",
            {
                "fields": (
                    "expected_status",
                    "keyword",
                    "interval_seconds",
                    "regions",
                    "track_contract",
                    "failure_threshold",
                    "recovery_threshold",
                )
            },
        ),
        (
            "Schedule and state",
            {
                "fields": (
                    "next_check_at",
                    "state",
                    "state_changed_at",
                    "consecutive_failures",
                    "consecutive_successes",
                    "last_checked_at",
                    "last_latency_ms",
                    "last_status_code",
                    "last_error",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )
    actions = ("pause", "resume")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Monitors belong to a customer's organisation and are created by its members.
        return False

    def save_model(self, request: HttpRequest, obj: Monitor, form: forms.ModelForm, change: bool) -> None:
        # Through the service, so pausing and resuming update the state and schedule as elsewhere.
        changed = {name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE_FIELDS}
        monitor_update(monitor=obj, **changed)

    @admin.action(description="Pause selected monitors", permissions=["change"])
    def pause(self, request: HttpRequest, queryset: QuerySet[Monitor]) -> None:
        monitors = list(queryset.filter(paused=False))
        for monitor in monitors:
            monitor_update(monitor=monitor, paused=True)
        self.message_user(request, f"Paused {len(monitors)} monitor(s).", messages.SUCCESS)

    @admin.action(description="Resume selected monitors", permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet[Monitor]) -> None:
        monitors = list(queryset.filter(paused=True))
        for monitor in monitors:
            monitor_update(monitor=monitor, paused=False)
        self.message_user(request, f"Resumed {len(monitors)} monitor(s).", messages.SUCCESS)


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "monitor", "recurrence", "starts_at", "ends_at", "duration_minutes")
    list_filter = ("recurrence",)
    search_fields = ("name", "organization__name", "monitor__name")
    list_select_related = ("organization", "monitor")
    raw_id_fields = ("organization", "monitor")
