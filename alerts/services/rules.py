"""Which alert rules apply to a monitor, and the rule use cases (create, change, delete).

Resolution: a monitor's own enabled rules for a condition replace the organisation's defaults
for that condition. With no rule at all, down and recovered behave as they always did (every
enabled channel); that is an implicit default (`IMPLICIT`), never a row.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from accounts.services import Actor, audit_record
from alerts.models import AlertRule, Channel, Incident, Notification
from alerts.services.incidents import rule_firings_retire
from alerts.services.notify import notifications_enqueue
from alerts.services.timeline import incident_event_add
from monitors.models import Monitor

logger = logging.getLogger(__name__)

Condition = AlertRule.Condition
# Conditions that notify every enabled channel when no rule names them (the product before rules).
IMPLICIT_CONDITIONS = frozenset({Condition.DOWN, Condition.RECOVERED})
WINDOWED_CONDITIONS = (Condition.LATENCY, Condition.UPTIME, Condition.TLS_EXPIRY)
UPDATABLE_FIELDS = (
    "name",
    "condition",
    "threshold_ms",
    "window_minutes",
    "slo_percent",
    "min_severity",
    "days_before_expiry",
    "suppression_minutes",
    "reminder_hours",
    "enabled",
)
MAX_WINDOW_MINUTES = 24 * 60  # windows are read from raw results, which retention keeps for days


@dataclass(frozen=True)
class Target:
    """Who hears about one event: a rule (its channels; none = every enabled channel) or the implicit default."""

    rule: AlertRule | None
    channels: list[Channel] | None  # None: every enabled channel of the organisation


IMPLICIT = Target(rule=None, channels=None)


def target_of(rule: AlertRule) -> Target:
    """The target of one rule: its channels, or every enabled channel when it names none."""
    channels = list(rule.channels.all())
    return Target(rule=rule, channels=channels or None)


def rules_for(*, monitor: Monitor, condition: str) -> list[AlertRule]:
    """The enabled rules that apply to `monitor` for `condition`: its own, else the organisation's defaults."""
    rules = AlertRule.objects.filter(
        organization_id=monitor.organization_id, condition=condition, enabled=True
    ).prefetch_related("channels")
    own = [r for r in rules if r.monitor_id == monitor.id]
    return own or [r for r in rules if r.monitor_id is None]


def targets_for(*, monitor: Monitor, condition: str) -> list[Target]:
    """The targets of an event: one per applicable rule, or the implicit default for down/recovered."""
    rules = rules_for(monitor=monitor, condition=condition)
    if rules:
        return [target_of(rule) for rule in rules]
    if condition == Condition.RECOVERED:
        # A recovery goes where the outage went: the down rules' channels, or everyone.
        return targets_for(monitor=monitor, condition=Condition.DOWN)
    return [IMPLICIT] if condition in IMPLICIT_CONDITIONS else []


def monitors_for_rule(*, rule: AlertRule) -> list[Monitor]:
    """The monitors a rule covers: its own monitor, or every unpaused monitor of the organisation
    that has no enabled rule of its own for the condition (an override replaces the default)."""
    if rule.monitor_id is not None:
        monitor = Monitor.objects.select_related("organization").filter(id=rule.monitor_id, paused=False).first()
        return [monitor] if monitor is not None else []
    overridden = AlertRule.objects.filter(
        organization_id=rule.organization_id, condition=rule.condition, enabled=True, monitor__isnull=False
    ).values("monitor_id")
    return list(
        Monitor.objects.select_related("organization")
        .filter(organization_id=rule.organization_id, paused=False)
        .exclude(id__in=overridden)
        .order_by("id")
    )


def suppressed_by_window(*, rule: AlertRule | None, monitor: Monitor, now: datetime) -> bool:
    """True when `rule` notified about `monitor` less than rule.suppression_minutes ago."""
    if rule is None or not rule.suppression_minutes:
        return False
    since = now - timedelta(minutes=rule.suppression_minutes)
    return (
        Notification.objects.filter(rule=rule, monitor=monitor, created_at__gte=since, created_at__lte=now)
        .exclude(status__in=[Notification.Status.SUPPRESSED, Notification.Status.DIGESTED])
        .exists()
    )


def notify_targets(
    *,
    targets: Iterable[Target],
    monitor: Monitor,
    incident: Incident,
    event: str,
    dedup_key: str,
    now: datetime,
    suppress: bool = True,
    **links: object,
) -> list[int]:
    """Enqueue `event` for each target, or record "suppressed" on the incident inside a rule's window.

    `suppress` False (a recovery, a cleared rule) sends whatever the window says, unless nothing
    was sent about the incident at all: then the follow-up is kept quiet too.
    """
    created: list[int] = []
    targets = list(targets)
    if not suppress and _opening_was_suppressed(incident):
        incident_event_add(
            incident=incident,
            kind="suppressed",
            message=f"Not sent: nothing was sent when this incident opened ({event}).",
            data={"event": event, "reason": "suppression_window"},
            at=now,
        )
        return created
    for target in targets:
        if suppress and suppressed_by_window(rule=target.rule, monitor=monitor, now=now):
            assert target.rule is not None  # noqa: S101 - suppressed_by_window needs a rule
            incident_event_add(
                incident=incident,
                kind="suppressed",
                message=f"Not sent: rule “{target.rule}” notified less than "
                f"{target.rule.suppression_minutes} min ago ({event}).",
                data={"rule": target.rule.id, "event": event, "reason": "suppression_window"},
                at=now,
            )
            continue
        created += notifications_enqueue(
            monitor=monitor,
            event=event,
            dedup_key=dedup_key,
            incident=incident,
            rule=target.rule,
            channels=target.channels,
            now=now,
            **links,  # type: ignore[arg-type]
        )
    return created


def _opening_was_suppressed(incident: Incident) -> bool:
    return (
        not Notification.objects.filter(incident=incident).exists()
        and incident.events.filter(kind="suppressed", data__reason="suppression_window").exists()
    )


# --- use cases -----------------------------------------------------------------------------


def alert_rule_validate(rule: AlertRule, channels: list[Channel]) -> None:
    """Field errors for anything wrong with the rule (ValidationError keyed by field)."""
    errors: dict[str, list[str]] = {}
    try:
        rule.full_clean(exclude=["organization", "monitor"])
    except ValidationError as exc:
        errors.update({field: list(messages) for field, messages in exc.message_dict.items()})
    condition = rule.condition
    if condition == Condition.LATENCY and not rule.threshold_ms:
        errors.setdefault("threshold_ms", []).append("A latency rule needs a threshold in milliseconds.")
    if condition == Condition.UPTIME:
        slo = rule.slo_percent
        if slo is None or not (Decimal(0) < Decimal(slo) < Decimal(100)):
            errors.setdefault("slo_percent", []).append("The SLO is a percentage between 0 and 100 (exclusive).")
    if condition in (Condition.LATENCY, Condition.UPTIME) and not (1 <= rule.window_minutes <= MAX_WINDOW_MINUTES):
        errors.setdefault("window_minutes", []).append(f"The window is 1 to {MAX_WINDOW_MINUTES} minutes.")
    if condition == Condition.TLS_EXPIRY and not rule.days_before_expiry:
        errors.setdefault("days_before_expiry", []).append("Say how many days before expiry to alert.")
    if rule.reminder_hours is not None and rule.reminder_hours < 1:
        errors.setdefault("reminder_hours", []).append("Reminders are at least 1 hour apart (empty: none).")
    if rule.monitor_id is not None and rule.monitor.organization_id != rule.organization_id:
        errors.setdefault("monitor", []).append("No such monitor.")
    elif (
        condition == Condition.HEARTBEAT_MISSED
        and rule.monitor_id is not None
        and rule.monitor.kind != Monitor.Kind.HEARTBEAT
    ):
        errors.setdefault("condition", []).append("A missed heartbeat applies to heartbeat monitors only.")
    if any(c.organization_id != rule.organization_id for c in channels):
        errors.setdefault("channels", []).append("No such channel.")
    if errors:
        raise ValidationError(errors)


def alert_rule_create(
    *,
    organization: Organization,
    condition: str,
    monitor: Monitor | None = None,
    channels: Iterable[Channel] = (),
    actor: Actor | None = None,
    **fields: object,
) -> AlertRule:
    """Create a rule (organisation default when monitor is None). Raises ValidationError keyed by field."""
    channels = list(channels)
    rule = AlertRule(organization=organization, monitor=monitor, condition=condition)
    for name, value in fields.items():
        if name not in UPDATABLE_FIELDS:
            raise TypeError(f"alert_rule_create() got an unexpected field {name!r}")
        setattr(rule, name, value)
    rule.name = rule.name.strip()
    alert_rule_validate(rule, channels)
    with transaction.atomic():
        rule.save()
        rule.channels.set(channels)
        audit_record(
            organization=organization,
            actor=actor,
            action="alert_rule.created",
            target=rule,
            data={"condition": condition, "monitor": monitor.id if monitor else None},
        )
    logger.info("alert rule created rule=%s organization=%s condition=%s", rule.id, organization.id, condition)
    return rule


def alert_rule_update(
    *, rule: AlertRule, channels: Iterable[Channel] | None = None, actor: Actor | None = None, **fields: object
) -> AlertRule:
    """Change a rule's fields (and channels when given). Raises ValidationError keyed by field."""
    for name, value in fields.items():
        if name not in UPDATABLE_FIELDS:
            raise TypeError(f"alert_rule_update() got an unexpected field {name!r}")
        setattr(rule, name, value)
    rule.name = rule.name.strip()
    new_channels = list(channels) if channels is not None else list(rule.channels.all())
    alert_rule_validate(rule, new_channels)
    with transaction.atomic():
        rule.save()
        if channels is not None:
            rule.channels.set(new_channels)
        audit_record(
            organization=rule.organization,
            actor=actor,
            action="alert_rule.updated",
            target=rule,
            data={"fields": sorted(fields) + (["channels"] if channels is not None else [])},
        )
    return rule


def alert_rule_delete(*, rule: AlertRule, actor: Actor | None = None) -> None:
    """Delete a rule; the incidents its open firings held open resolve (quietly)."""
    with transaction.atomic():
        rule_firings_retire(
            firings=rule.firings.filter(cleared_at=None).select_related("incident"),
            now=timezone.now(),
            reason="The rule was deleted.",
        )
        audit_record(
            organization=rule.organization,
            actor=actor,
            action="alert_rule.deleted",
            target=rule,
            data={"condition": rule.condition},
        )
        rule.delete()
