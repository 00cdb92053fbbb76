"""Contract-drift settings of an HTTP monitor through the API and the form: good values stored, bad ones 400 or kept."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import organization_of
from monitors.models import Monitor
from monitors.services import monitor_create

pytestmark = pytest.mark.django_db

URL = "https://api.example.com/orders"


def test_contract_settings_api_round_trip(api_client_for, alice):
    body = {
        "name": "orders",
        "url": URL,
        "track_contract": True,
        "contract_baseline_samples": 3,
        "contract_confirmations": 4,
        "contract_ignore_paths": ["$.meta", "$.items[*].debug", "$.rates.*"],
        "contract_alert_additive": True,
    }
    response = api_client_for(alice).post("/api/v1/monitors/", body, format="json")
    assert response.status_code == 201, response.content
    monitor = Monitor.objects.get(id=response.json()["id"])
    assert monitor.track_contract is True
    assert (monitor.contract_baseline_samples, monitor.contract_confirmations) == (3, 4)
    assert monitor.contract_ignore_paths == ["$.meta", "$.items[*].debug", "$.rates.*"]
    assert monitor.contract_alert_additive is True
    assert response.json()["contract_ignore_paths"] == ["$.meta", "$.items[*].debug", "$.rates.*"]

    patched = api_client_for(alice).patch(
        f"/api/v1/monitors/{monitor.id}/", {"contract_confirmations": 1}, format="json"
    )
    assert patched.status_code == 200
    monitor.refresh_from_db()
    assert monitor.contract_confirmations == 1 and monitor.contract_baseline_samples == 3


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("contract_baseline_samples", 0),
        ("contract_baseline_samples", 51),
        ("contract_confirmations", 0),
        ("contract_confirmations", 11),
        ("contract_confirmations", "two"),
        ("contract_ignore_paths", ["meta"]),
        ("contract_ignore_paths", "$.meta"),
        ("contract_ignore_paths", [1]),
        ("contract_ignore_paths", ["$.a b"]),
        ("contract_ignore_paths", ["$." + "a" * 400]),
    ],
)
def test_contract_settings_api_bad_value_is_400_naming_the_field(api_client_for, alice, field, value):
    response = api_client_for(alice).post(
        "/api/v1/monitors/", {"name": "orders", "url": URL, field: value}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not Monitor.objects.exists()


def _form_data(**overrides):
    return {
        "name": "orders",
        "kind": "http",
        "url": URL,
        "method": "GET",
        "expected_status": "200",
        "auth_kind": "none",
        **overrides,
    }


def test_contract_settings_form_saves_them(alice):
    client = Client()
    client.force_login(alice)
    data = _form_data(
        track_contract="on",
        contract_baseline_samples="7",
        contract_confirmations="3",
        contract_ignore_paths="$.meta\n\n$.items[*].debug\n",
    )
    response = client.post("/monitors/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    monitor = Monitor.objects.get()
    assert monitor.track_contract is True
    assert (monitor.contract_baseline_samples, monitor.contract_confirmations) == (7, 3)
    assert monitor.contract_ignore_paths == ["$.meta", "$.items[*].debug"]
    assert monitor.contract_alert_additive is False

    edit = client.get(f"/monitors/{monitor.id}/edit/").content.decode()
    assert "$.meta\n$.items[*].debug" in edit


def test_contract_settings_form_errors_keep_what_was_typed(alice):
    client = Client()
    client.force_login(alice)
    data = _form_data(track_contract="on", contract_confirmations="12", contract_ignore_paths="$.ok\nnot-a-path")
    response = client.post("/monitors/new/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Path 2: must start with $" in page
    assert "between 1 and 10" in page
    assert "not-a-path" in page and 'value="12"' in page
    assert not Monitor.objects.exists()


def test_contract_settings_are_http_only(alice):
    monitor = monitor_create(
        organization=organization_of(alice),
        name="db",
        kind="tcp",
        host="db.example.com",
        port=5432,
        contract_confirmations=3,
    )
    assert monitor.contract_confirmations == 3  # stored, but only HTTP monitors use it
    response = Client()
    response.force_login(alice)
    page = response.get(f"/monitors/{monitor.id}/").content.decode()
    assert 'id="contract-panel"' not in page


def test_contract_settings_in_the_admin_use_the_same_rules(alice):
    from django.contrib.auth import get_user_model  # noqa: PLC0415

    from monitors.tests.test_admin_monitor import admin_post  # noqa: PLC0415

    root = Client()
    root.force_login(get_user_model().objects.create_superuser(email="root@example.com", password="x-long-enough-1"))
    monitor = monitor_create(organization=organization_of(alice), name="orders", url=URL)
    response = admin_post(root, monitor, contract_ignore_paths='["meta"]', contract_confirmations="11")
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "contract_ignore_paths" in errors and "contract_confirmations" in errors
    response = admin_post(
        root, monitor, track_contract="on", contract_ignore_paths='["$.meta"]', contract_baseline_samples="9"
    )
    assert response.status_code == 302
    monitor.refresh_from_db()
    assert (monitor.track_contract, monitor.contract_ignore_paths, monitor.contract_baseline_samples) == (
        True,
        ["$.meta"],
        9,
    )
