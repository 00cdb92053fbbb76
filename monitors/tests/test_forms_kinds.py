"""The monitor web form for every kind: create, edit, field errors beside the field, the write-only secret."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from accounts.models import Membership, User
from conftest import organization_of
from core import netguard
from monitors.models import Monitor
from monitors.services import monitor_create

pytestmark = pytest.mark.django_db

SECRET = "s3cret-token-Zq9vXw"
COMMON = {"name": "Kind test", "interval_seconds": "60", "timeout_seconds": "10"}
VALID: dict[str, dict[str, str]] = {
    "http": {
        "url": "http://127.0.0.1:9/health",
        "method": "GET",
        "expected_status": "200-299, 304",
        "keyword": "ok",
        "keyword_absent": "error",
        "json_assertions": '$.status equals "ok"\n$.items exists',
        "auth_kind": "basic",
        "auth_username": "monitor",
        "auth_secret": SECRET,
        "follow_redirects": "false",
        "max_redirects": "0",
        "verify_tls": "true",
        "connect_timeout_seconds": "3",
        "read_timeout_seconds": "8",
    },
    "tcp": {"host": "127.0.0.1", "port": "5432"},
    "ping": {"host": "127.0.0.1", "ping_count": "4"},
    "dns": {
        "host": "example.com",
        "record_type": "TXT",
        "expected": "v=spf1 -all\nother",
        "dns_resolver": "127.0.0.1:53",
    },
    "tls": {"host": "127.0.0.1", "port": "", "days_before_expiry": "21"},
    "heartbeat": {"period_seconds": "86400", "grace_seconds": "900"},
}
STORED: dict[str, dict[str, Any]] = {
    "http": {
        "expected_status": ["200-299", 304],
        "json_assertions": [{"path": "$.status", "op": "equals", "value": "ok"}, {"path": "$.items", "op": "exists"}],
        "auth_secret": SECRET,
        "follow_redirects": False,
        "max_redirects": 0,
        "connect_timeout_seconds": 3,
    },
    "tcp": {"host": "127.0.0.1", "port": 5432},
    "ping": {"ping_count": 4},
    "dns": {"record_type": "TXT", "expected": ["v=spf1 -all", "other"], "dns_resolver": "127.0.0.1:53"},
    "tls": {"port": 443, "days_before_expiry": 21},
    "heartbeat": {"period_seconds": 86400, "grace_seconds": 900, "failure_threshold": 1, "url": ""},
}


@pytest.fixture(autouse=True)
def no_dns(monkeypatch):
    def resolve(host: str, port: int) -> list[str]:
        raise OSError(f"{host} does not resolve")

    monkeypatch.setattr(netguard, "resolve_host", resolve)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def field_errors(html: str, field: str) -> list[str]:
    block = re.search(rf'<div class="field-errors" id="id_{field}_error">(.*?)</div>', html, flags=re.S)
    return re.findall(r'<p class="field-error">(.*?)</p>', block.group(1)) if block else []


@pytest.mark.parametrize("kind", list(VALID))
def test_monitor_form_creates_every_kind(alice, kind):
    response = client_for(alice).post("/monitors/new/", COMMON | {"kind": kind} | VALID[kind])

    assert response.status_code == 302, field_errors_of(response)
    monitor = Monitor.objects.get()
    assert monitor.kind == kind
    for name, value in STORED[kind].items():
        assert getattr(monitor, name) == value, name
    assert response.url == f"/monitors/{monitor.id}/"


def field_errors_of(response: Any) -> Any:
    form = response.context["form"] if response.context else None
    return form.errors if form is not None else response.status_code


def test_monitor_form_without_js_posts_every_fieldset_and_only_the_kind_is_used(alice):
    data = COMMON | {"kind": "tcp", "host": "127.0.0.1", "port": "80"} | {"url": "not a url", "headers": "broken"}
    response = client_for(alice).post("/monitors/new/", data)
    assert response.status_code == 302
    monitor = Monitor.objects.get()
    assert (monitor.kind, monitor.url, monitor.headers) == ("tcp", "", {})


@pytest.mark.parametrize(
    ("kind", "data", "field", "error"),
    [
        ("tcp", {"host": "127.0.0.1"}, "port", "This field is required."),
        ("tcp", {"host": "127.0.0.1", "port": "70000"}, "port", "between 1 and 65535"),
        ("tcp", {"host": "https://db.example.com", "port": "80"}, "host", "not a URL"),
        ("tcp", {"host": "169.254.169.254", "port": "80"}, "host", "never allowed"),
        ("ping", {"host": ""}, "host", "This field is required."),
        ("dns", {"host": "10.0.0.1"}, "host", "not an IP address"),
        ("dns", {"host": "example.com", "dns_resolver": "resolver.example"}, "dns_resolver", ""),
        ("tls", {"host": "127.0.0.1", "days_before_expiry": "0"}, "days_before_expiry", "between 1 and 365"),
        ("heartbeat", {"period_seconds": "10"}, "period_seconds", "between 30 and"),
        ("heartbeat", {"grace_seconds": "-1"}, "grace_seconds", "between 0 and"),
        ("http", {"url": ""}, "url", "This field is required."),
        ("http", {"url": "http://127.0.0.1:9/", "auth_kind": "bearer"}, "auth_secret", "needs a token"),
        ("http", {"url": "http://127.0.0.1:9/", "auth_kind": "basic"}, "auth_username", "needs a user name"),
        ("http", {"url": "http://127.0.0.1:9/", "json_assertions": "$.a between 1"}, "json_assertions", "Line 1"),
        ("http", {"url": "http://127.0.0.1:9/", "read_timeout_seconds": "20"}, "read_timeout_seconds", "total"),
        ("http", {"url": "http://127.0.0.1:9/", "max_redirects": "11"}, "max_redirects", "between 0 and 10"),
        ("http", {"url": "http://127.0.0.1:9/", "retries": "9"}, "retries", "between 0 and 5"),
        ("http", {"url": "http://127.0.0.1:9/", "degraded_latency_ms": "20000"}, "degraded_latency_ms", "below"),
    ],
)
def test_monitor_form_invalid_kind_field_shows_the_error_beside_it_and_keeps_typed_values(
    alice, kind, data, field, error
):
    typed = COMMON | {"kind": kind} | data
    response = client_for(alice).post("/monitors/new/", typed)

    assert response.status_code == 200
    html = response.content.decode()
    errors = field_errors(html, field)
    assert errors, f"no error beside {field}"
    assert error in " ".join(errors)
    assert 'value="Kind test"' in html
    assert f'<option value="{kind}" selected>' in html
    if field != "auth_secret" and typed.get(field) and "\n" not in typed[field]:
        assert f'value="{typed[field]}"' in html or f">\n{typed[field]}</textarea>" in html
    assert not Monitor.objects.exists()


@pytest.mark.parametrize("kind", list(VALID))
def test_monitor_form_edit_page_works_for_every_kind(alice, kind):
    create = client_for(alice).post("/monitors/new/", COMMON | {"kind": kind} | VALID[kind])
    assert create.status_code == 302
    monitor = Monitor.objects.get()
    client = client_for(alice)

    page = client.get(f"/monitors/{monitor.id}/edit/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<option value="{kind}" selected>' in html
    assert SECRET not in html

    # Resubmitting the page as shown (secret blank) changes only the name.
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v not in (None, False)}
    data["name"] = "Renamed"
    response = client.post(f"/monitors/{monitor.id}/edit/", data)
    assert response.status_code == 302, field_errors_of(response)
    monitor.refresh_from_db()
    assert monitor.name == "Renamed"
    for name, value in STORED[kind].items():
        assert getattr(monitor, name) == value, name


def test_monitor_form_never_shows_the_stored_secret_and_blank_keeps_it(alice):
    monitor = monitor_create(
        organization=organization_of(alice),
        name="api",
        url="http://127.0.0.1:9/",
        auth_kind="bearer",
        auth_secret=SECRET,
    )
    client = client_for(alice)
    html = client.get(f"/monitors/{monitor.id}/edit/").content.decode()
    assert SECRET not in html and "Zq9vXw" not in html
    assert 'placeholder="stored — leave blank to keep"' in html
    assert SECRET not in client.get(f"/monitors/{monitor.id}/").content.decode()

    data = COMMON | {"kind": "http", "url": "http://127.0.0.1:9/", "method": "GET", "auth_kind": "bearer"}
    assert client.post(f"/monitors/{monitor.id}/edit/", data | {"auth_secret": ""}).status_code == 302
    monitor.refresh_from_db()
    assert monitor.auth_secret == SECRET
    # An invalid submission does not echo the typed secret either.
    bad = client.post(f"/monitors/{monitor.id}/edit/", data | {"auth_secret": "typed-9999", "timeout_seconds": "90"})
    assert bad.status_code == 200 and "typed-9999" not in bad.content.decode()


def test_monitor_form_heartbeat_shows_the_ping_url_on_the_monitor_page(alice, settings):
    settings.SITE_URL = "https://dw.example.com"
    client = client_for(alice)
    assert client.post("/monitors/new/", {"name": "nightly", "kind": "heartbeat"}).status_code == 302
    monitor = Monitor.objects.get()
    assert monitor.failure_threshold == 1
    html = client.get(f"/monitors/{monitor.id}/").content.decode()
    assert f"https://dw.example.com/ping/{monitor.ping_token}" in html


def test_monitor_form_viewer_cannot_create_any_kind(alice, bob):
    Membership.objects.filter(user=bob).update(role=Membership.Role.VIEWER)
    client = client_for(bob)
    assert client.get("/monitors/new/").status_code == 403
    for kind, fields in VALID.items():
        assert client.post("/monitors/new/", COMMON | {"kind": kind} | fields).status_code == 403
    assert not Monitor.objects.exists()


def test_monitor_form_groups_name_their_kinds_for_the_script(alice):
    html = client_for(alice).get("/monitors/new/").content.decode()
    assert '<script src="/static/js/monitors/monitor_form.js" defer></script>' in html
    assert 'data-kinds="tcp ping dns tls"' in html
    assert 'data-kinds="heartbeat"' in html
    assert "onchange" not in html  # CSP: no inline handlers
    for kind in VALID:
        assert f'<option value="{kind}"' in html
