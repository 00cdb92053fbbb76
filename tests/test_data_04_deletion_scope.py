"""DATA-04 deletion scope: deleting a monitor removes only its own rows (results, pings, status
changes, incidents, deliveries, rollups); deleting an organisation leaves every other
organisation's row counts unchanged. It lives in tests/ because it touches every app.

Account deletion (soft for ACCOUNTS_DELETION_GRACE_DAYS, then hard only with a signed confirmation)
is in tests/test_data_04_account_soft_deletion.py; organization_delete is hard and immediate (after
typing the name).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.db.models import Model, QuerySet
from django.utils import timezone

from accounts.models import ApiKey, AuditEvent, Membership, Organization
from accounts.services import organization_delete
from alerts.models import Channel, Incident, Notification
from checks.models import CheckResult, HeartbeatPing, MonitorRegionState, StatusChange
from conftest import organization_of
from monitors.models import Monitor
from monitors.services import monitor_delete

pytestmark = pytest.mark.django_db

PER_MONITOR: list[tuple[str, type[Model]]] = [
    ("results", CheckResult),
    ("pings", HeartbeatPing),
    ("status_changes", StatusChange),
    ("region_states", MonitorRegionState),
    ("incidents", Incident),
]
try:
    ROLLUP: type[Model] | None = apps.get_model("checks", "Rollup")
except LookupError:  # before rollups existed
    ROLLUP = None
if ROLLUP is not None:
    PER_MONITOR.append(("rollups", ROLLUP))


def populate(organization: Organization, monitors: int = 2) -> list[Monitor]:
    now = timezone.now()
    channel = Channel.objects.create(organization=organization, kind="email", name="ops", target="ops@example.com")
    made = []
    for n in range(monitors):
        m = Monitor.objects.create(organization=organization, name=f"m{n}", url=f"http://127.0.0.1:9/{n}")
        rows = CheckResult.objects.bulk_create(
            [CheckResult(monitor=m, due_at=now - timedelta(minutes=i), started_at=now, ok=i % 2 == 0) for i in range(5)]
        )
        HeartbeatPing.objects.bulk_create([HeartbeatPing(monitor=m) for _ in range(3)])
        MonitorRegionState.objects.create(monitor=m, region="local")
        change = StatusChange.objects.create(monitor=m, result=rows[0], old_state="up", new_state="down")
        incident = Incident.objects.create(monitor=m, opened_at=now, opened_by=change)
        Notification.objects.create(status_change=change, channel=channel, incident=incident, event="monitor.down")
        if ROLLUP is not None:
            ROLLUP.objects.create(monitor=m, region="local", period="hour", bucket_start=now, checks=5)
        made.append(m)
    return made


def counts_for_monitor(monitor_id: int) -> dict[str, int]:
    counts = {name: model.objects.filter(monitor_id=monitor_id).count() for name, model in PER_MONITOR}
    counts["deliveries"] = Notification.objects.filter(status_change__monitor_id=monitor_id).count()
    return counts


def counts_for_organization(organization_id: int) -> dict[str, int]:
    scoped: dict[str, QuerySet] = {
        "organization": Organization.objects.filter(id=organization_id),
        "monitors": Monitor.objects.filter(organization_id=organization_id),
        "channels": Channel.objects.filter(organization_id=organization_id),
        "memberships": Membership.objects.filter(organization_id=organization_id),
        "api_keys": ApiKey.objects.filter(organization_id=organization_id),
        "audit_events": AuditEvent.objects.filter(organization_id=organization_id),
        "deliveries": Notification.objects.filter(channel__organization_id=organization_id),
    }
    counts = {name: qs.count() for name, qs in scoped.items()}
    for name, model in PER_MONITOR:
        counts[name] = model.objects.filter(monitor__organization_id=organization_id).count()
    return counts


def test_data_04_deleting_a_monitor_removes_only_its_rows(alice, mallory) -> None:
    mine, sibling = populate(organization_of(alice))
    populate(organization_of(mallory))
    assert all(count > 0 for count in counts_for_monitor(mine.id).values())
    sibling_before = counts_for_monitor(sibling.id)
    mallory_before = counts_for_organization(organization_of(mallory).id)
    total_results = CheckResult.objects.count()

    monitor_delete(monitor=mine)

    assert all(count == 0 for count in counts_for_monitor(mine.id).values())
    assert counts_for_monitor(sibling.id) == sibling_before
    assert counts_for_organization(organization_of(mallory).id) == mallory_before
    assert CheckResult.objects.count() == total_results - 5


def test_data_04_deleting_an_organisation_leaves_every_other_organisation_unchanged(alice, mallory) -> None:
    doomed = organization_of(alice)
    populate(doomed)
    others = [organization_of(mallory), Organization.objects.create(name="Third")]
    for other in others:
        populate(other, monitors=3)
    before = {other.id: counts_for_organization(other.id) for other in others}

    organization_delete(organization=doomed, actor=None)

    assert {other.id: counts_for_organization(other.id) for other in others} == before
    assert all(count == 0 for count in counts_for_organization(doomed.id).values())
