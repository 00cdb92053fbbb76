from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from accounts.models import Organization
from alerts.models import Channel
from alerts.tests.factories import make_monitor, make_webhook
from conftest import organization_of
from monitors.models import Monitor
from tests.servers import SmtpSink


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


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """The shared SmtpSink on a concrete free port.

    tests/servers.py asks aiosmtpd for port 0, but aiosmtpd 1.4's start() then connects to
    port 0 to check the server is up and fails; until that is fixed there, pick the port here.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = SmtpSink()
    sink.controller = Controller(sink._sink, hostname="127.0.0.1", port=port)
    sink.start()
    yield sink
    sink.stop()
