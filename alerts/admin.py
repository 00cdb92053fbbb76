"""Operators' view of channels, incidents and notifications. Secrets are never displayed."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from alerts.models import Channel, Incident, Notification
from alerts.validators import validate_email_target, validate_webhook_url


class ChannelAdminForm(forms.ModelForm):
    """A changed target passes the same rules as in channel_create, for the channel's kind."""

    class Meta:
        model = Channel
        fields = ("organization", "name", "target", "disabled")  # never kind or secret

    def clean_target(self) -> str:
        target = self.cleaned_data["target"].strip()
        if self.instance.kind == Channel.Kind.EMAIL:
            validate_email_target(target)
        elif self.instance.kind == Channel.Kind.WEBHOOK:
            validate_webhook_url(target)
        return target


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
    readonly_fields = ("id", "kind", "has_secret", "created_at", "last_error")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(boolean=True, description="signing secret set")
    def has_secret(self, channel: Channel) -> bool:
        return bool(channel.secret)


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("id", "monitor", "opened_at", "resolved_at", "cause")
    list_filter = (("resolved_at", admin.EmptyFieldListFilter), "opened_at")
    search_fields = ("monitor__name", "monitor__url", "cause")
    list_select_related = ("monitor",)
    raw_id_fields = ("monitor", "opened_by", "resolved_by")
    readonly_fields = ("id", "opened_at", "resolved_at", "opened_by", "resolved_by")
    date_hierarchy = "opened_at"


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "event", "channel", "status", "attempts", "next_attempt_at", "sent_at", "last_error")
    list_filter = ("status", "event", "channel__kind")
    search_fields = ("message_id", "channel__name", "channel__target")
    list_select_related = ("channel",)
    raw_id_fields = ("status_change", "channel", "incident")
    readonly_fields = ("id", "message_id", "created_at", "sent_at", "attempts")
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
