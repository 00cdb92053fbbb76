"""The monitor pages: dashboard, create, detail, edit, delete, through the Django test client.

checks and alerts sit above monitors, so their rows (results, incidents) are created
through apps.get_model: the pages show them only through the panel registry.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.forms.models import model_to_dict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from conftest import organization_of
from monitors.models import Monitor
from monitors.services import monitor_create

pytestmark = pytest.mark.django_db

CheckResult = apps.get_model("checks", "CheckResult")
Incident = apps.get_model("alerts", "Incident")

VALID_POST = {
    "name": "Orders API",
    "url": "https://api.example.com/orders",
    "method": "GET",
    "headers": "Accept: application/json\nX-Trace: on",
    "body": "",
    "expected_status": "200, 204",
    "interval_seconds": "60",
    "timeout_seconds": "10",
}


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def make_monitor(user: User, **fields: Any) -> Monitor:
    values: dict[str, Any] = {"name": "Orders API", "url": "https://api.example.com/orders"} | fields
    return monitor_create(organization=organization_of(user), **values)


def add_result(monitor: Monitor, *, ago: timedelta, ok: bool = True, latency_ms: int | None = 40, **fields: Any):
    at = timezone.now() - ago
    return CheckResult.objects.create(
        monitor=monitor,
        due_at=at,
        started_at=at,
        ok=ok,
        latency_ms=latency_ms,
        status_code=fields.pop("status_code", 200 if ok else 500),
        **fields,
    )


def field_errors(html: str, field: str) -> list[str]:
    """The error messages rendered beside `field` (in the element its aria-describedby names)."""
    block = re.search(rf'<div class="field-errors" id="id_{field}_error">(.*?)</div>', html, flags=re.S)
    return re.findall(r'<p class="field-error">(.*?)</p>', block.group(1)) if block else []


# --- dashboard -------------------------------------------------------------------------


def test_dashboard_lists_the_organization_monitors_with_state_latency_and_uptime(alice, mallory) -> None:
    orders = make_monitor(alice, name="Orders API")
    Monitor.objects.filter(id=orders.id).update(state="up", last_latency_ms=42, last_checked_at=timezone.now())
    for minutes in (5, 10, 15):
        add_result(orders, ago=timedelta(minutes=minutes))
    add_result(orders, ago=timedelta(minutes=20), ok=False)
    add_result(orders, ago=timedelta(hours=30), ok=False)  # outside the 24 h window
    make_monitor(alice, name="Billing API", paused=True)
    make_monitor(mallory, name="Mallory secret service")

    response = client_for(alice).get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Orders API" in html and "Billing API" in html
    assert "Mallory secret service" not in html
    row = re.search(rf'<tr data-monitor-id="{orders.id}">(.*?)</tr>', html, flags=re.S).group(1)
    assert 'class="badge badge-up"' in row
    assert "42 ms" in row
    assert "75.00 %" in row
    assert "now" in row  # last checked, as natural time
    assert 'class="badge badge-paused"' in html
    assert [row["monitor"].name for row in response.context["rows"]] == ["Billing API", "Orders API"]


def test_dashboard_member_sees_the_organization_monitors(alice, bob) -> None:
    make_monitor(alice, name="Shared API")
    response = client_for(bob).get(reverse("monitors:dashboard"))
    assert response.status_code == 200
    assert "Shared API" in response.content.decode()


def test_dashboard_without_monitors_links_to_create_one(alice) -> None:
    response = client_for(alice).get("/")
    html = response.content.decode()
    assert "No monitors yet" in html
    assert 'href="/monitors/new/"' in html


def test_dashboard_query_count_does_not_grow_with_monitors(alice, django_assert_max_num_queries) -> None:
    client = client_for(alice)
    first = make_monitor(alice, name="m0")
    add_result(first, ago=timedelta(minutes=1))
    with CaptureQueriesContext(connection) as one_monitor:
        assert client.get("/").status_code == 200
    for number in range(1, 25):
        monitor = make_monitor(alice, name=f"m{number}")
        add_result(monitor, ago=timedelta(minutes=1), ok=number % 2 == 0)
    with django_assert_max_num_queries(len(one_monitor.captured_queries)):
        response = client.get("/")
    assert len(response.context["rows"]) == 25
    # session, user, organisation, monitors, 24 h uptime of all of them
    assert len(one_monitor.captured_queries) <= 6


def test_navigation_shows_admin_to_staff_only_and_logs_out_by_post(alice) -> None:
    html = client_for(alice).get("/").content.decode()
    assert 'href="/admin/"' not in html
    assert '<form method="post" action="/accounts/logout/"' in html
    for link in ('href="/channels/"', 'href="/settings/api-keys/"', 'href="/api/docs/"', 'href="/monitors/new/"'):
        assert link in html
    User.objects.filter(id=alice.id).update(is_staff=True)
    assert 'href="/admin/"' in client_for(alice).get("/").content.decode()


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"])
def test_allauth_pages_use_the_site_layout(client, path) -> None:
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="site-header"' in html
    assert "/static/css/app.css" in html
    assert 'href="/accounts/signup/"' in html  # anonymous navigation


# --- create ------------------------------------------------------------------------------


def test_monitor_create_persists_and_redirects_to_the_detail_page(alice) -> None:
    response = client_for(alice).post("/monitors/new/", VALID_POST)

    monitor = Monitor.objects.get()
    assert response.status_code == 302
    assert response.url == f"/monitors/{monitor.id}/"
    assert monitor.organization == organization_of(alice)
    assert monitor.name == "Orders API"
    assert monitor.headers == {"Accept": "application/json", "X-Trace": "on"}
    assert monitor.expected_status == [200, 204]
    assert (monitor.interval_seconds, monitor.timeout_seconds, monitor.paused) == (60, 10, False)
    assert monitor.state == Monitor.State.PENDING


def test_monitor_create_form_shows_defaults(alice) -> None:
    response = client_for(alice).get("/monitors/new/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="interval_seconds" value="60"' in html
    assert 'name="expected_status" value="200"' in html
    assert '<option value="GET" selected>GET</option>' in html


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("interval_seconds", "10", "at least 30 seconds"),
        ("interval_seconds", "12abc", "Enter a whole number."),
        ("interval_seconds", "9" * 5000, "Enter a whole number."),
        ("interval_seconds", "99999999999999999999", "at most 86400 seconds"),
        ("timeout_seconds", "60", "shorter than the interval"),
        ("timeout_seconds", "-1", "between 1 and 60"),
        ("url", "ftp://x", "Only http:// and https://"),
        ("url", "not a url", ""),
        ("headers", "Accept application/json", "expected &#x27;Name: value&#x27;"),
        ("headers", "Host: evil.example", "set by Driftwatch"),
        ("expected_status", "abc", "is not a number or a range"),
        ("expected_status", "200, 999", "is not an HTTP status code"),
        ("name", "", "This field is required."),
        ("name", "n" * 5000, "at most 100 characters"),
        ("name", "null\x00byte", "Null characters are not allowed."),
        ("method", "TRACE", "Select a valid choice."),
    ],
)
def test_monitor_create_invalid_input_shows_the_error_beside_the_field(alice, field, value, error) -> None:
    response = client_for(alice).post("/monitors/new/", VALID_POST | {field: value})

    assert response.status_code == 200
    errors = field_errors(response.content.decode(), field)
    assert errors, f"no error shown beside {field}"
    assert error in " ".join(errors)
    form = response.context["form"]
    assert form.data[field] == value  # what the user typed is rendered back
    assert form["name"].value() == VALID_POST["name"] or field == "name"
    assert not Monitor.objects.exists()


def test_monitor_create_keeps_typed_values_in_the_page(alice) -> None:
    data = VALID_POST | {"name": "Typed <name>", "interval_seconds": "5", "headers": "Broken line"}
    html = client_for(alice).post("/monitors/new/", data).content.decode()
    assert 'value="Typed &lt;name&gt;"' in html
    assert 'name="interval_seconds" value="5"' in html
    assert ">\nBroken line</textarea>" in html
    assert 'value="https://api.example.com/orders"' in html


@pytest.mark.parametrize(
    ("url", "error"),
    [("http://169.254.169.254/", "never allowed"), ("http://127.0.0.1:8080/", "Private and loopback")],
)
def test_monitor_create_refuses_internal_targets_when_private_targets_are_off(alice, settings, url, error) -> None:
    settings.ALLOW_PRIVATE_TARGETS = False
    response = client_for(alice).post("/monitors/new/", VALID_POST | {"url": url})
    assert response.status_code == 200
    assert error in " ".join(field_errors(response.content.decode(), "url"))
    assert f'value="{url}"' in response.content.decode()
    assert not Monitor.objects.exists()


def test_monitor_create_with_a_10_mb_name_is_refused_without_a_server_error(alice) -> None:
    response = client_for(alice).post("/monitors/new/", VALID_POST | {"name": "n" * (10 * 1024 * 1024)})
    assert response.status_code == 400  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE
    assert not Monitor.objects.exists()


# --- detail --------------------------------------------------------------------------------


def test_monitor_detail_shows_settings_metrics_chart_results_and_incidents(alice) -> None:
    monitor = make_monitor(alice, headers={"Authorization": "Bearer s3cret"}, expected_status=[200, 204])
    add_result(monitor, ago=timedelta(minutes=3), latency_ms=30)
    add_result(monitor, ago=timedelta(minutes=2), ok=False, latency_ms=None, error_kind="timeout", error="timed out")
    add_result(monitor, ago=timedelta(minutes=1), latency_ms=50)
    Incident.objects.create(monitor=monitor, opened_at=timezone.now() - timedelta(minutes=2), cause="HTTP 500")

    response = client_for(alice).get(f"/monitors/{monitor.id}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "200, 204" in html
    assert "Authorization" in html and "s3cret" not in html  # header values stay hidden
    assert "66.67 %" in html  # uptime over 24 h
    assert "timed out" in html
    assert "HTTP 500" in html and "ongoing" in html
    assert html.index('id="results-panel"') < html.index('id="incidents-panel"')
    assert "/static/vendor/uplot/uPlot.iife.min.js" in html
    assert "/static/js/checks/latency_chart.js" in html
    chart = json.loads(re.search(r'<script id="latency-data" type="application/json">(.*?)</script>', html).group(1))
    assert chart["latency_ms"] == [30, None, 50]
    assert chart["ok"] == [True, False, True]
    assert chart["t"] == sorted(chart["t"])


def test_monitor_detail_without_results_has_no_chart(alice) -> None:
    monitor = make_monitor(alice)
    html = client_for(alice).get(f"/monitors/{monitor.id}/").content.decode()
    assert "No checks in the last 24 hours yet." in html
    assert "latency-data" not in html


def test_monitor_detail_member_can_view(alice, bob) -> None:
    monitor = make_monitor(alice)
    assert client_for(bob).get(f"/monitors/{monitor.id}/").status_code == 200


# --- edit and delete ---------------------------------------------------------------------------


def test_monitor_edit_shows_current_values_and_saves_changes(alice) -> None:
    monitor = make_monitor(alice, headers={"Accept": "application/json"}, expected_status=[200, 204])
    client = client_for(alice)

    html = client.get(f"/monitors/{monitor.id}/edit/").content.decode()
    assert ">\nAccept: application/json</textarea>" in html
    assert 'value="200, 204"' in html

    data = VALID_POST | {"name": "Orders v2", "interval_seconds": "120", "paused": "on", "headers": ""}
    response = client.post(f"/monitors/{monitor.id}/edit/", data)

    assert response.status_code == 302
    assert response.url == f"/monitors/{monitor.id}/"
    monitor.refresh_from_db()
    assert (monitor.name, monitor.interval_seconds, monitor.paused, monitor.headers) == ("Orders v2", 120, True, {})
    assert monitor.state == Monitor.State.PAUSED


def test_monitor_edit_invalid_input_changes_nothing(alice) -> None:
    monitor = make_monitor(alice)
    before = model_to_dict(monitor)
    response = client_for(alice).post(f"/monitors/{monitor.id}/edit/", VALID_POST | {"timeout_seconds": "90"})
    assert response.status_code == 200
    assert field_errors(response.content.decode(), "timeout_seconds")
    monitor.refresh_from_db()
    assert model_to_dict(monitor) == before


def test_monitor_delete_asks_first_then_deletes(alice) -> None:
    monitor = make_monitor(alice)
    add_result(monitor, ago=timedelta(minutes=1))
    client = client_for(alice)

    confirm = client.get(f"/monitors/{monitor.id}/delete/")
    assert confirm.status_code == 200
    assert Monitor.objects.filter(id=monitor.id).exists()

    response = client.post(f"/monitors/{monitor.id}/delete/")
    assert response.status_code == 302
    assert response.url == "/"
    assert not Monitor.objects.filter(id=monitor.id).exists()
    assert not CheckResult.objects.filter(monitor_id=monitor.id).exists()


# --- tenancy and authentication -------------------------------------------------------------------

MONITOR_PAGES = ["monitors:monitor-detail", "monitors:monitor-edit", "monitors:monitor-delete"]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("url_name", MONITOR_PAGES)
def test_ten_01_other_organization_gets_404_and_changes_nothing(alice, mallory, url_name, method) -> None:
    monitor = make_monitor(alice)
    before = model_to_dict(monitor)
    url = reverse(url_name, kwargs={"pk": monitor.id})

    response = getattr(client_for(mallory), method)(url, VALID_POST | {"name": "pwned"})

    assert response.status_code == 404
    assert "Orders API" not in response.content.decode()
    monitor.refresh_from_db()
    assert model_to_dict(monitor) == before


@pytest.mark.parametrize("url_name", MONITOR_PAGES)
def test_ten_01_missing_monitor_gets_the_same_404(alice, url_name) -> None:
    assert client_for(alice).get(reverse(url_name, kwargs={"pk": 999_999})).status_code == 404


@pytest.mark.parametrize("pk", ["0", "9223372036854775808", "9" * 30])
def test_monitor_pages_out_of_range_id_gets_404_not_500(alice, pk) -> None:
    client = client_for(alice)
    for suffix in ("", "edit/", "delete/"):
        assert client.get(f"/monitors/{pk}/{suffix}").status_code == 404
        assert client.post(f"/monitors/{pk}/{suffix}", VALID_POST).status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("path", ["/", "/monitors/new/", "/monitors/1/", "/monitors/1/edit/", "/monitors/1/delete/"])
def test_anonymous_is_redirected_to_login(client, path, method) -> None:
    response = getattr(client, method)(path)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=")
    assert not Monitor.objects.exists()
