"""Read-side queries of the alerts app, scoped to an organisation (another tenant's id is None)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from accounts.models import Organization, User
from alerts.models import Channel, Incident, Notification
from monitors.models import Monitor


def channel_list_for_organization(*, organization: Organization) -> QuerySet[Channel]:
    return Channel.objects.filter(organization=organization).order_by("id")


def channel_get(*, organization: Organization, channel_id: int) -> Channel | None:
    return channel_list_for_organization(organization=organization).filter(id=channel_id).first()


def channel_list_enabled(*, organization: Organization) -> QuerySet[Channel]:
    """The channels a new notification goes to."""
    return channel_list_for_organization(organization=organization).filter(disabled=False)


def incident_list_for_organization(*, organization: Organization, monitor: Monitor | None = None) -> QuerySet[Incident]:
    """Incidents newest first, optionally of one monitor (which the caller has already scoped)."""
    incidents = Incident.objects.filter(monitor__organization=organization)
    if monitor is not None:
        incidents = incidents.filter(monitor=monitor)
    return incidents.order_by("-opened_at", "-id")


def incident_get(*, organization: Organization, incident_id: int) -> Incident | None:
    return incident_list_for_organization(organization=organization).filter(id=incident_id).first()


def incident_get_open(*, monitor_id: int, kind: str = Incident.Kind.DOWN) -> Incident | None:
    """The monitor's open incident of `kind` (at most one: incident_one_open_per_kind)."""
    return (
        Incident.objects.select_related("monitor__organization")
        .filter(monitor_id=monitor_id, kind=kind, resolved_at=None)
        .first()
    )


def notification_ids_due(*, now: datetime, limit: int = 500) -> list[int]:
    """Pending notifications whose next attempt is due, oldest first (notification_pending_idx)."""
    rows = (
        Notification.objects.filter(status=Notification.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )
    return list(rows)


def notification_list_for_channel(*, channel: Channel) -> QuerySet[Notification]:
    return Notification.objects.filter(channel=channel).order_by("-created_at", "-id")


def email_address_is_unverified(*, email: str) -> bool:
    """True when `email` belongs to a user who has not verified it (yet).

    Alerts are not sent to such an address: whoever signed up with it has not shown they own
    it. An address that belongs to no user (a team list typed into a channel) is not ours to
    verify and is not held back here.
    """
    from allauth.account.models import EmailAddress  # noqa: PLC0415 - allauth models load after apps

    addresses = EmailAddress.objects.filter(email__iexact=email)
    if addresses.filter(verified=True).exists():
        return False
    return addresses.exists() or User.objects.filter(email__iexact=email).exists()
