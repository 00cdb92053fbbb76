from __future__ import annotations

import pytest

from conftest import organization_of
from monitors.services import monitor_create

pytestmark = pytest.mark.django_db


def test_monitor_create_defaults_to_this_installation_region(settings, alice) -> None:
    settings.CHECK_REGION = "eu-west"
    monitor = monitor_create(organization=organization_of(alice), name="x", url="https://example.com/")
    monitor.refresh_from_db()
    assert monitor.regions == ["eu-west"]
