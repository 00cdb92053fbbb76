"""Operators' view of channels, incidents and notifications. Secrets are never displayed."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from alerts.channels import kind_get, public_config
from alerts.models import (
    AlertRule,
    Channel,
    EmailOptOut,
    Incident,
    IncidentEvent,
    MonitorAlertState,
    Notification,
    RuleFiring,
)
from alerts.services.rules import UPDATABLE_FIELDS, alert_rule_validate


class ChannelAdminForm(forms.ModelForm):
    """A changed target passes the same rules as in channel_create, for the channel's kind."""

    class Meta:
        model = Channel
        fields = ("organization", "name", "target", "disabled")  # never kind, secret or config (rotation secrets)

    def clean(self) -> dict[str, object]:
        """The kind's own rules (alerts.channels.<kind>.clean), as channel_create applies them."""
        cleaned = super().clean()
        kind = kind_get(self.instance.kind)
        if kind is None or "target" not in cleaned:
            return cleaned
        try:
            cleaned["target"], self.instance.config = kind.clean(cleaned["target"], self.instance.config or {})
        except forms.ValidationError as exc:
            for field, errors in exc.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return cleaned


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    """No add page, and kind is read-only: only channel_create makes channels.

    It validates the target for the kind and gives a webhook its signing secret; a channel added
    or switched to a webhook here would have neither. The secret is never shown nor editable.
    """

    form = ChannelAdminForm
    list_display = ("id", "name", "kind", "organization", "disabled", "last_error", "created_at")
    list_filter = ("kind", "disabled")
    search_fields = ("name", "target", "organization__name")
    list_select_related = ("organization",)
    raw_id_fields = ("organization",)
    # The secret is left out of every form and list: it signs webhooks and is shown once, at creation.
    exclude = ("secret",)
    readonly_fields = ("id", "kind", "has_secret", "options", "created_at", "last_error")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="options")
    def options(self, channel: Channel) -> str:
        return ", ".join(f"{key}={value}" for key, value in public_config(channel.config).items()) or "-"

    @admin.display(boolean=True, description="signing secret set")
    def has_secret(self, channel: Channel) -> bool:
        return bool(channel.secret)


class IncidentEventInline(admin.TabularInline):
    """The incident's timeline, read-only: it is a record of what happened."""

    model = IncidentEvent
    extra = 0
    can_delete = False
    fields = ("at", "kind", "actor", "message", "data")
    readonly_fields = fields
    raw_id_fields = ("actor",)
    ordering = ("at", "id")

    def has_add_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("id", "monitor", "kind", "opened_at", "acknowledged_at", "resolved_at", "cause")
    list_filter = ("kind", ("resolved_at", admin.EmptyFieldListFilter), ("acknowledged_at", admin.EmptyFieldListFilter))
    search_fields = ("monitor__name", "monitor__url", "cause")
    list_select_related = ("monitor",)
    raw_id_fields = ("monitor", "rule", "opened_by", "resolved_by", "resolved_by_user", "acknowledged_by")
    readonly_fields = (
        "id",
        "kind",
        "opened_at",
        "resolved_at",
        "opened_by",
        "resolved_by",
        "resolved_by_user",
        "acknowledged_at",
        "acknowledged_by",
        "last_reminder_at",
        "reminders_sent",
    )
    date_hierarchy = "opened_at"
    inlines = (IncidentEventInline,)


@admin.register(IncidentEvent)
class IncidentEventAdmin(admin.ModelAdmin):
    """Timelines across incidents, read-only (each incident's page shows its own inline)."""

    list_display = ("id", "incident", "at", "kind", "actor", "message")
    list_filter = ("kind",)
    search_fields = ("message", "incident__monitor__name")
    list_select_related = ("incident", "actor")
    raw_id_fields = ("incident", "actor")
    readonly_fields = ("id", "incident", "at", "kind", "actor", "message", "data")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class AlertRuleAdminForm(forms.ModelForm):
    """The same rules as alert_rule_create: a latency rule needs a threshold, the SLO is 0..100, …"""

    class Meta:
        model = AlertRule
        fields = ("organization", "monitor", *UPDATABLE_FIELDS, "channels")

    def _post_clean(self) -> None:
        super()._post_clean()
        try:
            alert_rule_validate(self.instance, list(self.cleaned_data.get("channels") or []))
        except ValidationError as exc:
            self._update_errors(exc)


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    form = AlertRuleAdminForm
    list_display = (
        "id",
        "organization",
        "monitor",
        "condition",
        "name",
        "enabled",
        "suppression_minutes",
        "reminder_hours",
    )
    list_filter = ("condition", "enabled")
    search_fields = ("name", "organization__name", "monitor__name")
    list_select_related = ("organization", "monitor")
    raw_id_fields = ("organization", "monitor")
    filter_horizontal = ("channels",)
    readonly_fields = ("id", "created_at", "updated_at")


@admin.register(RuleFiring)
class RuleFiringAdmin(admin.ModelAdmin):
    """Read-only: firings are written by alerts.evaluate_rules."""

    list_display = ("id", "rule", "monitor", "fired_at", "cleared_at", "value", "incident")
    list_filter = (("cleared_at", admin.EmptyFieldListFilter),)
    search_fields = ("monitor__name", "rule__name")
    list_select_related = ("rule", "monitor", "incident")
    raw_id_fields = ("rule", "monitor", "incident")
    readonly_fields = ("id", "rule", "monitor", "fired_at", "cleared_at", "value", "incident")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "event", "channel", "status", "attempts", "next_attempt_at", "sent_at", "last_error")
    list_filter = ("status", "event", "channel__kind", "created_at")
    search_fields = ("message_id", "dedup_key", "channel__name", "channel__target")
    list_select_related = ("channel",)
    raw_id_fields = ("status_change", "drift_event", "rule", "monitor", "channel", "incident", "digest")
    # The delivery log for operators: the frozen payload is what every attempt sends.
    readonly_fields = ("id", "message_id", "dedup_key", "payload", "created_at", "sent_at", "attempts")
    date_hierarchy = "created_at"
    actions = ("resend",)

    @admin.action(description="Resend (one more attempt, same webhook-id)")
    def resend(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        from alerts.services import notification_resend  # noqa: PLC0415

        eligible = queryset.filter(status__in=[Notification.Status.FAILED, Notification.Status.DEAD])
        count = 0
        for notification in eligible:
            notification_resend(notification=notification)
            count += 1
        self.message_user(request, f"{count} notification(s) queued again.", messages.SUCCESS)


@admin.register(MonitorAlertState)
class MonitorAlertStateAdmin(admin.ModelAdmin):
    """Flapping state per monitor (alerts.services.flapping); clearing flapping_since ends a spell by hand."""

    list_display = ("monitor", "flapping_since", "flap_notice_at", "stable_since")
    list_filter = (("flapping_since", admin.EmptyFieldListFilter),)
    list_select_related = ("monitor",)
    raw_id_fields = ("monitor",)


@admin.register(EmailOptOut)
class EmailOptOutAdmin(admin.ModelAdmin):
    """Addresses that unsubscribed (one-click links, members' preferences); deleting a row sends mail again."""

    list_display = ("email", "organization", "event", "monitor", "created_at")
    list_filter = ("event",)
    search_fields = ("email", "organization__name")
    list_select_related = ("organization", "monitor")
    raw_id_fields = ("organization", "monitor")
    readonly_fields = ("created_at",)
