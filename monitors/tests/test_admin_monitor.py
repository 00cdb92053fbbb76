"""MonitorAdmin: fieldsets per kind, the auth secret never displayed, the shared validators."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from conftest import organization_of
from monitors.models import Monitor
from monitors.services import monitor_create

pytestmark = pytest.mark.django_db

SECRET = "s3cret-token-Zq9vXw"
KINDS: dict[str, dict[str, Any]] = {
    "http": {"url": "http://127.0.0.1:9/", "auth_kind": "bearer", "auth_secret": SECRET},
    "tcp": {"host": "127.0.0.1", "port": 5432},
    "ping": {"host": "127.0.0.1"},
    "dns": {"host": "example.com", "record_type": "MX"},
    "tls": {"host": "127.0.0.1", "port": 443},
    "heartbeat": {"period_seconds": 3600},
}


@pytest.fixture
def root() -> Client:
    user = User.objects.create_superuser(email="root@example.com", password="correct horse battery")
    client = Client()
    client.force_login(user)
    return client


def change_url(monitor: Monitor) -> str:
    return reverse("admin:monitors_monitor_change", args=[monitor.pk])


def admin_post(client: Client, monitor: Monitor, **changes: Any) -> Any:
    """Submit the change form as rendered, with `changes` on top."""
    form = client.get(change_url(monitor)).context["adminform"].form
    data: dict[str, Any] = {}
    for name in form.fields:
        value = form[name].value()  # already in the widget's text form (JSON fields too)
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    data |= changes
    return client.post(change_url(monitor), data)


@pytest.mark.parametrize("kind", list(KINDS))
def test_admin_change_page_shows_the_kind_fieldsets_and_never_the_secret(root, alice, kind):
    monitor = monitor_create(organization=organization_of(alice), name=f"{kind} m", kind=kind, **KINDS[kind])
    response = root.get(change_url(monitor))
    assert response.status_code == 200
    html = response.content.decode()
    assert SECRET not in html and "Zq9vXw" not in html
    form = response.context["adminform"].form
    assert "auth_secret" not in form.fields
    if kind == "http":
        assert "new_auth_secret" in form.fields
        assert "set (hidden)" in html
        assert "host" not in form.fields
    else:
        assert "url" not in form.fields and "new_auth_secret" not in form.fields
    if kind == "heartbeat":
        assert str(monitor.ping_token) in html
        assert "ping_token" not in form.fields  # read-only
        assert "interval_seconds" not in form.fields
    if kind in ("tcp", "tls"):
        assert {"host", "port"} <= set(form.fields)


def test_admin_changelist_shows_kind_and_target(root, alice):
    monitor_create(organization=organization_of(alice), name="db", kind="tcp", host="127.0.0.1", port=5432)
    html = root.get(reverse("admin:monitors_monitor_changelist")).content.decode()
    assert "127.0.0.1:5432" in html


def test_admin_saves_through_the_validators_and_keeps_the_secret(root, alice):
    monitor = monitor_create(organization=organization_of(alice), name="api", **KINDS["http"])
    assert admin_post(root, monitor, name="api 2").status_code == 302
    monitor.refresh_from_db()
    assert (monitor.name, monitor.auth_secret) == ("api 2", SECRET)

    assert admin_post(root, monitor, new_auth_secret="fresh-1").status_code == 302
    monitor.refresh_from_db()
    assert monitor.auth_secret == "fresh-1"


@pytest.mark.parametrize(
    ("kind", "changes", "field"),
    [
        ("tcp", {"port": "0"}, "port"),
        ("tcp", {"host": "169.254.169.254"}, "host"),
        ("dns", {"dns_resolver": "169.254.169.254"}, "dns_resolver"),
        ("heartbeat", {"period_seconds": "5"}, "period_seconds"),
        ("http", {"retries": "9"}, "retries"),
        ("http", {"timeout_seconds": "59", "interval_seconds": "30"}, "timeout_seconds"),
    ],
)
def test_admin_invalid_values_are_refused_with_the_shared_rules(root, alice, kind, changes, field):
    monitor = monitor_create(organization=organization_of(alice), name="m", kind=kind, **KINDS[kind])
    before = Monitor.objects.filter(pk=monitor.pk).values().get()
    response = admin_post(root, monitor, **changes)
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert Monitor.objects.filter(pk=monitor.pk).values().get() == before
