"""The drift API: /monitors/<id>/drift-events/ (list, accept) and /monitors/<id>/baselines/ (history, pin, relearn)."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent
from checks.models import ContractBaseline, DriftEvent
from checks.tests.drift.helpers import respond, tracked_monitor
from checks.tests.drift.test_services import OPENAPI, SCHEMA, learned, order
from conftest import organization_of

pytestmark = pytest.mark.django_db


def events_url(monitor):
    return f"/api/v1/monitors/{monitor.id}/drift-events/"


def accept_url(monitor, event):
    return f"/api/v1/monitors/{monitor.id}/drift-events/{event.id}/accept/"


def baselines_url(monitor):
    return f"/api/v1/monitors/{monitor.id}/baselines/"


@pytest.fixture
def drifted(monitor, http_target):
    learned(monitor, http_target)
    respond(monitor, http_target, order(status=...), times=2)
    respond(monitor, http_target, order(currency="EUR"), times=2)
    return monitor


def test_drift_event_list_newest_first_in_api_shape(api_client_for, alice, bob, drifted):
    for user in (alice, bob):
        response = api_client_for(user).get(events_url(drifted))
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"count", "next", "previous", "results"} and body["count"] == 2
        newest, oldest = body["results"]
        assert newest["severity"] == "additive" and oldest["severity"] == "breaking"
        assert {"id", "detected_at", "severity", "accepted", "changes"} <= set(newest)
        assert newest["accepted"] is False and oldest["baseline_version"] == 1
        assert oldest["changes"] == [
            {"path": "$.status", "change": "removed", "before": "string", "after": None, "severity": "breaking"}
        ]
        assert newest["changes"][0]["path"] == "$.currency" and newest["changes"][0]["change"] == "added"


def test_drift_event_list_queries_do_not_grow(
    api_client_for, alice, drifted, http_target, django_assert_max_num_queries
):
    for field in ("a", "b", "c"):
        respond(drifted, http_target, order(**{field: 1}), times=2)
    client = api_client_for(alice)
    with django_assert_max_num_queries(12):
        assert client.get(events_url(drifted)).json()["count"] == 5


def test_drift_api_other_organization_is_404(api_client_for, mallory, drifted):
    client = api_client_for(mallory)
    event = DriftEvent.objects.filter(monitor=drifted).first()
    assert client.get(events_url(drifted)).status_code == 404
    assert client.get(baselines_url(drifted)).status_code == 404
    assert client.post(accept_url(drifted, event)).status_code == 404
    assert client.post(baselines_url(drifted), {"json_schema": SCHEMA}, format="json").status_code == 404
    assert client.post(f"{baselines_url(drifted)}relearn/").status_code == 404
    assert DriftEvent.objects.get(id=event.id).accepted_at is None
    assert ContractBaseline.objects.filter(monitor=drifted).count() == 1


def test_accept_by_owner_and_member(api_client_for, alice, bob, drifted):
    breaking, additive = DriftEvent.objects.filter(monitor=drifted).order_by("id")
    response = api_client_for(bob).post(accept_url(drifted, breaking))
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2 and response.json()["source"] == "accepted"
    assert response.json()["created_by"] == "bob@example.com"
    breaking.refresh_from_db()
    assert breaking.accepted_by == bob and breaking.accepted_at is not None
    assert AuditEvent.objects.filter(action="drift.accepted", actor=bob).count() == 1
    assert api_client_for(alice).post(accept_url(drifted, additive)).json()["version"] == 3
    listed = api_client_for(alice).get(events_url(drifted)).json()["results"]
    assert all(item["accepted"] for item in listed)


def test_accept_refused_to_viewer_and_read_key(api_client_for, viewer, alice, key_client, drifted):
    event = DriftEvent.objects.filter(monitor=drifted).first()
    assert api_client_for(viewer).get(events_url(drifted)).status_code == 200
    assert api_client_for(viewer).post(accept_url(drifted, event)).status_code == 403
    read = key_client(alice, "read")
    assert read.get(events_url(drifted)).status_code == 200
    assert read.post(accept_url(drifted, event)).status_code == 403
    assert read.post(baselines_url(drifted), {"json_schema": SCHEMA}, format="json").status_code == 403
    assert (
        api_client_for(viewer).post(baselines_url(drifted), {"json_schema": SCHEMA}, format="json").status_code == 403
    )
    assert DriftEvent.objects.get(id=event.id).accepted_at is None
    assert key_client(alice, "write").post(accept_url(drifted, event)).status_code == 200


def test_accept_event_of_another_monitor_is_404(api_client_for, alice, drifted, http_target):
    other = tracked_monitor(organization_of(alice), http_target)
    event = DriftEvent.objects.filter(monitor=drifted).first()
    assert api_client_for(alice).post(accept_url(other, event)).status_code == 404
    assert api_client_for(alice).post(f"/api/v1/monitors/{drifted.id}/drift-events/999999/accept/").status_code == 404


def test_baseline_history_and_pin_json_schema(api_client_for, alice, drifted):
    client = api_client_for(alice)
    response = client.post(baselines_url(drifted), {"json_schema": SCHEMA}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["version"] == 2 and response.json()["source"] == "json_schema"
    history = client.get(baselines_url(drifted)).json()
    assert [(b["version"], b["status"]) for b in history["results"]] == [(2, "active"), (1, "superseded")]
    assert history["results"][1]["samples_seen"] == 3


def test_pin_openapi_operation(api_client_for, alice, monitor):
    body = {"openapi": OPENAPI, "path": "/orders", "method": "get", "status": "200"}
    response = api_client_for(alice).post(baselines_url(monitor), body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["operation"] == "GET /orders 200"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "json_schema"),
        ({"json_schema": SCHEMA, "openapi": OPENAPI}, "json_schema"),
        ({"json_schema": "not an object"}, "json_schema"),
        ({"json_schema": {"type": "frobnicate"}}, "json_schema"),
        ({"json_schema": {"$ref": "#/$defs/nothing"}}, "json_schema"),
        ({"openapi": OPENAPI, "method": "get", "status": "200"}, "path"),
        ({"openapi": OPENAPI, "path": "/nope", "method": "get", "status": "200"}, "openapi"),
        ({"openapi": OPENAPI, "path": "/orders", "method": "brew", "status": "200"}, "method"),
        ({"openapi": OPENAPI, "path": "/orders", "method": "get", "status": "2000"}, "status"),
        ({"openapi": [1, 2], "path": "/orders", "method": "get", "status": "200"}, "openapi"),
    ],
)
def test_pin_bad_input_is_400_with_field_errors(api_client_for, alice, monitor, body, field):
    response = api_client_for(alice).post(baselines_url(monitor), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not ContractBaseline.objects.filter(monitor=monitor).exists()


def test_relearn(api_client_for, alice, drifted):
    response = api_client_for(alice).post(f"{baselines_url(drifted)}relearn/")
    assert response.status_code == 201
    assert (response.json()["version"], response.json()["status"]) == (2, "learning")
    assert AuditEvent.objects.filter(action="contract.relearn").exists()
