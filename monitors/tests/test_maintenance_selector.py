"""maintenance_window_active_for: the monitor's own windows and its organisation's, never another's."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from conftest import organization_of
from monitors.models import MaintenanceWindow, Monitor
from monitors.selectors import maintenance_window_active_for

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 1, 6, 10, 30, tzinfo=UTC)  # a Monday


def _monitor(organization, name: str = "Orders API") -> Monitor:  # noqa: ANN001
    return Monitor.objects.create(organization=organization, name=name, url="https://example.com/")


def _window(organization, monitor: Monitor | None = None, **fields) -> MaintenanceWindow:  # noqa: ANN001, ANN003
    base = {
        "name": "Deploy",
        "recurrence": "once",
        "starts_at": datetime(2025, 1, 6, 10, tzinfo=UTC),
        "ends_at": datetime(2025, 1, 6, 11, tzinfo=UTC),
    }
    return MaintenanceWindow.objects.create(organization=organization, monitor=monitor, **(base | fields))


def test_window_of_the_monitor_is_found(alice) -> None:  # noqa: ANN001
    org = organization_of(alice)
    monitor = _monitor(org)
    window = _window(org, monitor)
    assert maintenance_window_active_for(monitor=monitor, now=NOW) == window


def test_window_of_the_whole_organisation_covers_every_monitor(alice) -> None:  # noqa: ANN001
    org = organization_of(alice)
    monitor = _monitor(org)
    window = _window(org, None, recurrence="weekly", weekdays=[0], start_time=time(10), duration_minutes=60)
    assert maintenance_window_active_for(monitor=monitor, now=NOW) == window


def test_window_of_another_monitor_or_organisation_does_not_apply(alice, mallory) -> None:  # noqa: ANN001
    org = organization_of(alice)
    monitor = _monitor(org)
    _window(org, _monitor(org, "Other"))
    _window(organization_of(mallory), None)
    assert maintenance_window_active_for(monitor=monitor, now=NOW) is None


def test_inactive_window_is_not_returned(alice) -> None:  # noqa: ANN001
    org = organization_of(alice)
    monitor = _monitor(org)
    _window(org, monitor)
    assert maintenance_window_active_for(monitor=monitor, now=datetime(2025, 1, 6, 11, tzinfo=UTC)) is None
