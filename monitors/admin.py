"""Admin for operators: monitors, their settings and their schedule/state (STYLE R33)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from monitors import kinds, validators, validators_contract
from monitors.models import MaintenanceWindow, Monitor
from monitors.services import EDITABLE_FIELDS, monitor_update

# Single-field rules per form field: the same ones the web form and the API use.
FIELD_RULES: dict[str, tuple[Callable[[Any], None], ...]] = {
    "url": (validators.validate_monitor_url,),
    "headers": (validators.validate_headers,),
    "expected_status": (validators.validate_expected_status,),
    "json_assertions": (validators.validate_json_assertions,),
    "regions": (validators.validate_regions,),
    "interval_seconds": (validators.validate_interval,),
    "timeout_seconds": (validators.validate_timeout,),
    "connect_timeout_seconds": (validators.validate_timeout,),
    "read_timeout_seconds": (validators.validate_timeout,),
    "max_redirects": (validators.validate_max_redirects,),
    "auth_username": (validators.validate_header_safe_text,),
    "port": (validators.validate_port,),
    "ping_count": (validators.validate_ping_count,),
    "expected": (validators.validate_dns_expected,),
    "dns_resolver": (validators.validate_dns_resolver,),
    "days_before_expiry": (validators.validate_days_before_expiry,),
    "period_seconds": (validators.validate_period,),
    "grace_seconds": (validators.validate_grace,),
    "retries": (validators.validate_retries,),
    "failure_threshold": (validators.validate_threshold,),
    "recovery_threshold": (validators.validate_threshold,),
    "degraded_latency_ms": (validators.validate_degraded_latency,),
    "regions_down_threshold": (validators.validate_regions_down_threshold,),
    "contract_baseline_samples": (validators_contract.validate_contract_baseline_samples,),
    "contract_confirmations": (validators_contract.validate_contract_confirmations,),
    "contract_ignore_paths": (validators_contract.validate_contract_ignore_paths,),
}


class MonitorAdminForm(forms.ModelForm):
    """The same field rules as the web form and the API (monitors.validators, monitors.kinds).

    The stored auth secret is never a field: `new_auth_secret` replaces it when filled in.
    """

    url = forms.URLField(max_length=2048, assume_scheme="https", required=False)
    new_auth_secret = forms.CharField(
        label="New password or token",
        required=False,
        strip=False,
        max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        validators=[validators.validate_header_safe_text],
        help_text="Write-only: the stored secret is never shown. Leave blank to keep it.",
    )

    class Meta:
        model = Monitor
        fields = tuple(name for name in EDITABLE_FIELDS if name != "auth_secret")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.kind != Monitor.Kind.HTTP:  # declared fields are there whatever the fieldsets say
            for name in ("url", "new_auth_secret"):
                self.fields.pop(name, None)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name, rules in FIELD_RULES.items():
            value = cleaned.get(name)
            if name not in self.fields or value in (None, ""):
                continue
            try:
                for rule in rules:
                    rule(value)
            except ValidationError as exc:
                self.add_error(name, exc)
        monitor = self.instance
        host = cleaned.get("host")
        if host and "host" in self.fields:
            try:
                normalize = (
                    validators.normalize_dns_name
                    if monitor.kind == Monitor.Kind.DNS
                    else validators.normalize_monitor_host
                )
                cleaned["host"] = normalize(host)
            except ValidationError as exc:
                self.add_error("host", exc)
        stored = Monitor.objects.get(pk=monitor.pk)
        merged = {name: getattr(stored, name) for name in kinds.ALL_FIELDS}
        merged |= {name: value for name, value in cleaned.items() if name in self.fields and name in merged}
        if cleaned.get("new_auth_secret"):
            merged["auth_secret"] = cleaned["new_auth_secret"]
        kinds.settle_timeouts(merged, given=set(self.changed_data))
        try:
            kinds.validate_monitor(merged, secret_stored=bool(stored.auth_secret))
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        return cleaned


@admin.register(Monitor)
class MonitorAdmin(admin.ModelAdmin):
    form = MonitorAdminForm
    list_display = (
        "name",
        "organization",
        "kind",
        "target",
        "state",
        "paused",
        "interval_seconds",
        "last_checked_at",
        "last_latency_ms",
    )
    list_filter = ("state", "paused", "kind")
    search_fields = ("name", "url", "host", "organization__name")
    list_select_related = ("organization",)
    raw_id_fields = ("organization",)
    date_hierarchy = "created_at"
    # Written by the checks app as results come in, never by hand. The kind is chosen when
    # the monitor is created (web form or API); ping_token is the heartbeat's address.
    readonly_fields = (
        "organization",
        "kind",
        "auth_secret_status",
        "ping_token",
        "last_ping_at",
        "last_start_at",
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
    KIND_FIELDSETS: ClassVar[dict[str, tuple[tuple[str, dict[str, Any]], ...]]] = {
        Monitor.Kind.HTTP: (
            ("HTTP request", {"fields": ("method", "url", "headers", "body", "follow_redirects", "max_redirects")}),
            (
                "HTTP authentication",
                {"fields": ("auth_kind", "auth_username", "auth_secret_status", "new_auth_secret")},
            ),
            (
                "HTTP rules",
                {
                    "fields": (
                        "expected_status",
                        "keyword",
                        "keyword_absent",
                        "json_assertions",
                        "verify_tls",
                        "connect_timeout_seconds",
                        "read_timeout_seconds",
                        "track_contract",
                        "contract_baseline_samples",
                        "contract_confirmations",
                        "contract_ignore_paths",
                        "contract_alert_additive",
                    )
                },
            ),
        ),
        Monitor.Kind.TCP: (("TCP", {"fields": ("host", "port", "connect_timeout_seconds")}),),
        Monitor.Kind.PING: (("Ping", {"fields": ("host", "ping_count")}),),
        Monitor.Kind.DNS: (("DNS", {"fields": ("host", "record_type", "expected", "dns_resolver")}),),
        Monitor.Kind.TLS: (
            (
                "TLS certificate",
                {"fields": ("host", "port", "days_before_expiry", "connect_timeout_seconds", "read_timeout_seconds")},
            ),
        ),
        Monitor.Kind.HEARTBEAT: (
            (
                "Heartbeat",
                {"fields": ("ping_token", "period_seconds", "grace_seconds", "last_ping_at", "last_start_at")},
            ),
        ),
    }
    SCHEDULE = (
        "Schedule",
        {
            "fields": (
                "interval_seconds",
                "timeout_seconds",
                "regions",
                "retries",
                "regions_down_threshold",
                "degraded_latency_ms",
            )
        },
    )
    STATE = (
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
    )
    actions = ("pause", "resume")

    def get_fieldsets(self, request: HttpRequest, obj: Monitor | None = None) -> Any:
        """The fields of the monitor's kind only, as in the web form."""
        kind = obj.kind if obj is not None else Monitor.Kind.HTTP
        decisions = ("failure_threshold", "recovery_threshold")
        fieldsets: list[tuple[str | None, dict[str, Any]]] = [
            (None, {"fields": ("organization", "name", "kind", "paused", *decisions)}),
            *self.KIND_FIELDSETS[kind],
        ]
        if kind != Monitor.Kind.HEARTBEAT:
            fields = tuple(
                f for f in self.SCHEDULE[1]["fields"] if f != "degraded_latency_ms" or f in kinds.fields_for(kind)
            )
            fieldsets.append((self.SCHEDULE[0], {"fields": fields}))
        fieldsets.append(self.STATE)
        return fieldsets

    @admin.display(description="Target")
    def target(self, obj: Monitor) -> str:
        return kinds.target_label(obj)

    @admin.display(description="Stored secret")
    def auth_secret_status(self, obj: Monitor) -> str:
        return "set (hidden)" if obj.auth_secret else "none"

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Monitors belong to a customer's organisation and are created by its members.
        return False

    def save_model(self, request: HttpRequest, obj: Monitor, form: forms.ModelForm, change: bool) -> None:
        # Through the service, so pausing and resuming update the state and schedule as elsewhere.
        changed = {name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE_FIELDS}
        if form.cleaned_data.get("new_auth_secret"):
            changed["auth_secret"] = form.cleaned_data["new_auth_secret"]
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
