"""The monitor page and the dashboard for every kind: target, state badges, why it is down."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.utils import timezone

from accounts.models import User
from conftest import organization_of
from monitors.models import Monitor
from monitors.services import monitor_create

pytestmark = pytest.mark.django_db

CheckResult = apps.get_model("checks", "CheckResult")

TARGETS: dict[str, tuple[dict[str, Any], str]] = {
    "http": ({"url": "https://api.example.com/orders", "method": "POST"}, "POST https://api.example.com/orders"),
    "tcp": ({"host": "db.example.com", "port": 5432}, "db.example.com:5432"),
    "ping": ({"host": "db.example.com"}, "db.example.com"),
    "dns": ({"host": "example.com", "record_type": "MX"}, "MX example.com"),
    "tls": ({"host": "2001:db8::1", "port": 8443}, "[2001:db8::1]:8443"),
}


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("kind", list(TARGETS))
def test_monitor_page_and_dashboard_show_the_kind_and_its_target(alice, kind):
    fields, target = TARGETS[kind]
    monitor = monitor_create(organization=organization_of(alice), name=f"{kind} m", kind=kind, **fields)
    client = client_for(alice)

    page = client.get(f"/monitors/{monitor.id}/").content.decode()
    assert f'data-kind="{kind}"' in page
    assert target in page
    dashboard = client.get("/").content.decode()
    assert target in dashboard
    assert f'<span class="chip chip-kind">{kind}</span>' in dashboard


def test_heartbeat_page_shows_its_ping_url(alice, settings):
    settings.SITE_URL = "https://dw.example.com"
    monitor = monitor_create(organization=organization_of(alice), name="nightly", kind="heartbeat")
    page = client_for(alice).get(f"/monitors/{monitor.id}/").content.decode()
    assert f'<dd class="mono" id="ping-url">https://dw.example.com/ping/{monitor.ping_token}</dd>' in page


def test_monitor_page_says_why_it_is_down_and_lists_the_results_errors(alice):
    monitor = monitor_create(organization=organization_of(alice), name="api", url="https://api.example.com/")
    Monitor.objects.filter(id=monitor.id).update(state="down", last_error="expected 200, got 503")
    now = timezone.now()
    for minutes, error in ((2, "expected 200, got 503"), (1, "keyword 'ok' not found")):
        at = now - timedelta(minutes=minutes)
        CheckResult.objects.create(
            monitor=monitor, due_at=at, started_at=at, ok=False, status_code=503, error_kind="status", error=error
        )

    page = client_for(alice).get(f"/monitors/{monitor.id}/").content.decode()

    assert "Why it is down:" in page
    assert page.index('id="why-down"') < page.index('id="results-panel"')
    assert "expected 200, got 503" in page
    assert "keyword &#x27;ok&#x27; not found" in page  # the results panel lists each error


@pytest.mark.parametrize(("state", "heading"), [("degraded", "Why it is degraded:"), ("pending", "Last check failed:")])
def test_monitor_page_names_the_last_error_in_other_states(alice, state, heading):
    monitor = monitor_create(organization=organization_of(alice), name="api", url="https://api.example.com/")
    Monitor.objects.filter(id=monitor.id).update(state=state, last_error="slower than 500 ms (812 ms)")
    page = client_for(alice).get(f"/monitors/{monitor.id}/").content.decode()
    assert heading in page and "slower than 500 ms (812 ms)" in page


def test_up_monitor_has_no_why_down_box(alice):
    monitor = monitor_create(organization=organization_of(alice), name="api", url="https://api.example.com/")
    Monitor.objects.filter(id=monitor.id).update(state="up", last_error="")
    assert 'id="why-down"' not in client_for(alice).get(f"/monitors/{monitor.id}/").content.decode()


@pytest.mark.parametrize("state", ["degraded", "maintenance"])
def test_degraded_and_maintenance_have_their_own_badges(alice, state):
    monitor = monitor_create(organization=organization_of(alice), name="api", url="https://api.example.com/")
    Monitor.objects.filter(id=monitor.id).update(state=state)
    client = client_for(alice)
    for path in (f"/monitors/{monitor.id}/", "/"):
        html = client.get(path).content.decode()
        assert f'class="badge badge-{state}" data-state="{state}"' in html, path


def test_monitor_page_shows_auth_kind_but_never_the_secret(alice):
    monitor = monitor_create(
        organization=organization_of(alice),
        name="api",
        url="https://api.example.com/",
        auth_kind="basic",
        auth_username="robot",
        auth_secret="pa55-word-Zq9vXw",
    )
    page = client_for(alice).get(f"/monitors/{monitor.id}/").content.decode()
    assert "robot" in page and "(secret stored)" in page
    assert "pa55-word-Zq9vXw" not in page and "Zq9vXw" not in page
