"""Read side of the delivery log and of people's email preferences, scoped to an organisation."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Organization
from alerts.models import EmailOptOut, Notification
from monitors.models import Monitor


def notification_list_for_organization(
    *, organization: Organization, status: str | None = None, channel_id: int | None = None
) -> QuerySet[Notification]:
    """The delivery log, newest first (notification_channel_idx per channel); filters match nothing when unknown."""
    rows = Notification.objects.filter(channel__organization=organization).select_related(
        "channel", "monitor", "incident"
    )
    if status:
        rows = rows.filter(status=status)
    if channel_id is not None:
        rows = rows.filter(channel_id=channel_id)
    return rows.order_by("-created_at", "-id")


def notification_get(*, organization: Organization, notification_id: int) -> Notification | None:
    return notification_list_for_organization(organization=organization).filter(id=notification_id).first()


def email_opt_out_list(*, organization: Organization, email: str) -> QuerySet[EmailOptOut]:
    return EmailOptOut.objects.filter(organization=organization, email=email.lower())


def monitor_list_for_preferences(*, organization: Organization) -> QuerySet[Monitor]:
    return (
        Monitor.objects.filter(organization=organization).order_by("name", "id").only("id", "name", "organization_id")
    )
