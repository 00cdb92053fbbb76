from __future__ import annotations

import pytest

from accounts.models import Organization
from alerts.models import Channel
from alerts.tests.factories import make_monitor, make_webhook
from conftest import organization_of
from monitors.models import Monitor


@pytest.fixture
def organization(alice) -> Organization:
    return organization_of(alice)


@pytest.fixture
def monitor(organization) -> Monitor:
    return make_monitor(organization=organization)


@pytest.fixture
def webhook(organization, http_target) -> Channel:
    """A webhook channel whose receiver is the real HTTP server of the http_target fixture."""
    return make_webhook(organization=organization, url=f"{http_target.url}/hook")


@pytest.fixture
def email_channel(organization) -> Channel:
    """The email channel every organisation gets for its owner at creation."""
    return Channel.objects.get(organization=organization, kind="email")
