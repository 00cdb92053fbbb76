"""Windowed alert rules (latency p95, uptime SLO, TLS expiry), evaluated every minute by alerts.evaluate_rules.

Idempotent: a rule that fires opens one RuleFiring per (rule, monitor) (rulefiring_one_open),
and its notifications carry the dedup key rule:<rule>:<monitor>:<firing>, so running the
evaluation twice, or two workers at once, creates nothing twice. A firing opens an incident
of the rule's kind; when the condition clears, the firing closes and the incident resolves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from alerts.models import AlertRule, Incident, RuleFiring
from alerts.services.incidents import incident_open, incident_resolve, rule_firings_retire
from alerts.services.rules import WINDOWED_CONDITIONS, monitors_for_rule, notify_targets, target_of
from checks.models import CheckResult
from checks.result_window import intervals_of, started_within
from checks.selectors import percentile, result_list_for_monitor
from monitors.models import Monitor

logger = logging.getLogger(__name__)

Condition = AlertRule.Condition
EVENT_FIRED = "rule.fired"
EVENT_CLEARED = "rule.cleared"
INCIDENT_KIND = {
    Condition.LATENCY: Incident.Kind.LATENCY,
    Condition.UPTIME: Incident.Kind.UPTIME,
    Condition.TLS_EXPIRY: Incident.Kind.TLS_EXPIRY,
}
TLS_RESULTS_LOOKED_AT = 20  # the newest results searched for a certificate's expiry


@dataclass(frozen=True)
class Verdict:
    """One rule on one monitor now: firing or not, the measured value, and what to say."""

    firing: bool
    value: float
    text: str


@dataclass(frozen=True)
class EvaluationReport:
    rules: int = 0
    fired: int = 0
    cleared: int = 0


# (ok, latency_ms) of each result in a rule's window, per monitor id.
WindowRows = dict[int, list[tuple[bool, int | None]]]
MONITORS_PER_QUERY = 500


def window_rows(
    *, monitor_ids: list[int], minutes: int, now: datetime, intervals: dict[int, int] | None = None
) -> WindowRows:
    """Every result of the monitors in [now - minutes, now), one query per 500 monitors
    (the slot index, bounded on due_at by checks.result_window); the window is at most a day."""
    since = now - timedelta(minutes=minutes)
    if intervals is None:  # {monitor id: interval_seconds}, for the due_at bound
        intervals = intervals_of(monitor_ids)
    found: WindowRows = {}
    for start in range(0, len(monitor_ids), MONITORS_PER_QUERY):
        chunk = monitor_ids[start : start + MONITORS_PER_QUERY]
        rows = (
            CheckResult.objects.filter(
                started_within(intervals={i: intervals[i] for i in chunk if i in intervals}, since=since, until=now)
            )
            .order_by()
            .values_list("monitor_id", "ok", "latency_ms")
        )
        for monitor_id, ok, latency_ms in rows.iterator(chunk_size=2000):
            found.setdefault(monitor_id, []).append((ok, latency_ms))
    return found


def _latency(rule: AlertRule, rows: list[tuple[bool, int | None]], now: datetime) -> Verdict | None:
    p95 = percentile(sorted(latency for _, latency in rows if latency is not None), 0.95)
    if p95 is None:
        return None  # no data in the window: nothing new is known
    threshold = rule.threshold_ms or 0
    return Verdict(
        firing=p95 > threshold,
        value=float(p95),
        text=f"p95 latency {p95} ms over the last {rule.window_minutes} min (threshold {threshold} ms).",
    )


def _uptime(rule: AlertRule, rows: list[tuple[bool, int | None]], now: datetime) -> Verdict | None:
    if not rows:
        return None
    uptime = 100.0 * sum(1 for ok, _ in rows if ok) / len(rows)
    slo = float(rule.slo_percent or 0)
    return Verdict(
        firing=uptime < slo,
        value=round(uptime, 3),
        text=f"Uptime {uptime:.2f} % over the last {rule.window_minutes} min (SLO {slo:g} %).",
    )


def certificate_not_after(*, monitor: Monitor) -> datetime | None:
    """The expiry of the certificate the newest TLS or HTTPS result saw (details not_after / tls_not_after)."""
    for details in result_list_for_monitor(monitor=monitor).values_list("details", flat=True)[:TLS_RESULTS_LOOKED_AT]:
        raw = (details or {}).get("not_after") or (details or {}).get("tls_not_after")
        if raw and (moment := parse_datetime(str(raw))) is not None:
            return moment
    return None


def _tls_expiry(rule: AlertRule, monitor: Monitor, now: datetime) -> Verdict | None:
    not_after = certificate_not_after(monitor=monitor)
    if not_after is None:
        return None
    days_left = (not_after - now).total_seconds() / 86400
    window = rule.days_before_expiry or 0
    return Verdict(
        firing=days_left < window,
        value=round(days_left, 2),
        text=f"TLS certificate expires on {not_after:%Y-%m-%d} ({days_left:.0f} days left; alert within {window}).",
    )


WINDOW_MEASURES = {Condition.LATENCY: _latency, Condition.UPTIME: _uptime}


def verdicts_for_rule(*, rule: AlertRule, monitors: list[Monitor], now: datetime) -> dict[int, Verdict | None]:
    """{monitor id: verdict} for one rule: latency and uptime from one batched read of the window."""
    if rule.condition == Condition.TLS_EXPIRY:
        return {m.id: _tls_expiry(rule, m, now) for m in monitors}
    rows = window_rows(
        monitor_ids=[m.id for m in monitors], minutes=rule.window_minutes, now=now, intervals=intervals_of(monitors)
    )
    measure = WINDOW_MEASURES[rule.condition]
    return {m.id: measure(rule, rows.get(m.id, []), now) for m in monitors}


def rules_evaluate(*, now: datetime | None = None) -> EvaluationReport:
    """Evaluate every enabled windowed rule on every monitor it covers; fire or clear firings. Idempotent.

    Reads per rule: the covered monitors, the window's results (batched) and the open firings;
    writes only where a firing opens or clears.
    """
    now = now or timezone.now()
    rules = list(
        AlertRule.objects.filter(condition__in=WINDOWED_CONDITIONS, enabled=True)
        .select_related("organization")
        .prefetch_related("channels")
        .order_by("id")
    )
    rule_firings_retire(
        firings=RuleFiring.objects.filter(cleared_at=None, rule__enabled=False).select_related("incident"),
        now=now,
        reason="The rule was disabled.",
    )
    fired = cleared = 0
    for rule in rules:
        try:
            outcomes = rule_evaluate(rule=rule, now=now)
        except Exception:
            # One broken rule must not stop the others; the next minute tries again.
            logger.exception("rule evaluation failed rule=%s", rule.id)
            continue
        fired += outcomes.count("fired")
        cleared += outcomes.count("cleared")
    return EvaluationReport(rules=len(rules), fired=fired, cleared=cleared)


def rule_evaluate(*, rule: AlertRule, now: datetime) -> list[str]:
    """Evaluate one rule on every monitor it covers; one "fired"/"cleared" per monitor whose firing changed."""
    monitors = monitors_for_rule(rule=rule)
    verdicts = verdicts_for_rule(rule=rule, monitors=monitors, now=now)
    open_firings = {
        firing.monitor_id: firing
        for firing in RuleFiring.objects.filter(rule=rule, cleared_at=None).select_related("incident", "monitor")
    }
    covered = {m.id for m in monitors}
    rule_firings_retire(
        firings=[f for monitor_id, f in open_firings.items() if monitor_id not in covered],
        now=now,
        reason="No longer watched by this rule (the monitor was paused or given its own rule).",
    )
    outcomes = []
    for monitor in monitors:
        verdict, open_firing = verdicts.get(monitor.id), open_firings.get(monitor.id)
        if verdict is None:
            continue
        if verdict.firing and open_firing is None and _fire(rule=rule, monitor=monitor, verdict=verdict, now=now):
            outcomes.append("fired")
        elif (
            not verdict.firing
            and open_firing is not None
            and _clear(rule=rule, firing=open_firing, verdict=verdict, now=now)
        ):
            outcomes.append("cleared")
    return outcomes


def _fire(*, rule: AlertRule, monitor: Monitor, verdict: Verdict, now: datetime) -> bool:
    try:
        with transaction.atomic():
            firing = RuleFiring.objects.create(rule=rule, monitor=monitor, fired_at=now, value=verdict.value)
            incident, _ = incident_open(
                monitor=monitor,
                kind=INCIDENT_KIND[rule.condition],
                cause=verdict.text,
                at=now,
                rule=rule,
                data={"rule": rule.id, "value": verdict.value},
            )
            firing.incident = incident
            firing.save(update_fields=["incident"])
            notify_targets(
                targets=[target_of(rule)],
                monitor=monitor,
                incident=incident,
                event=EVENT_FIRED,
                dedup_key=f"rule:{rule.id}:{monitor.id}:{firing.id}",
                now=now,
            )
    except IntegrityError:
        return False  # another evaluation opened this firing first (rulefiring_one_open)
    logger.info("rule fired rule=%s monitor=%s value=%s", rule.id, monitor.id, verdict.value)
    return True


def _clear(*, rule: AlertRule, firing: RuleFiring, verdict: Verdict, now: datetime) -> bool:
    with transaction.atomic():
        if not RuleFiring.objects.filter(id=firing.id, cleared_at=None).update(cleared_at=now):
            return False  # cleared by a concurrent evaluation
        incident = firing.incident
        others_open = RuleFiring.objects.filter(incident=incident, cleared_at=None).exists()
        if (
            incident is not None
            and not others_open
            and incident_resolve(incident=incident, at=now, message=f"Cleared: {verdict.text}")
        ):
            notify_targets(
                targets=[target_of(rule)],
                monitor=firing.monitor,
                incident=incident,
                event=EVENT_CLEARED,
                dedup_key=f"rule:{firing.rule_id}:{firing.monitor_id}:{firing.id}:cleared",
                now=now,
                suppress=False,
            )
    logger.info("rule cleared rule=%s monitor=%s value=%s", firing.rule_id, firing.monitor_id, verdict.value)
    return True
