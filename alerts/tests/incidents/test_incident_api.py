"""The incident API: filters, detail with timeline, acknowledge, comment, resolve; roles and keys."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Membership
from accounts.services import api_key_create
from alerts.models import Incident
from alerts.services.timeline import incident_event_add
from alerts.tests.factories import make_monitor
from conftest import organization_of

pytestmark = pytest.mark.django_db

INCIDENTS = "/api/v1/incidents/"


@pytest.fixture
def incidents(organization, monitor) -> dict[str, Incident]:
    now = timezone.now()
    other = make_monitor(organization=organization, name="Billing")
    made = {
        "open": Incident.objects.create(monitor=monitor, opened_at=now - timedelta(minutes=5), cause="HTTP 500"),
        "acked": Incident.objects.create(
            monitor=other, kind="latency", opened_at=now - timedelta(hours=2), acknowledged_at=now - timedelta(hours=1)
        ),
        "resolved": Incident.objects.create(
            monitor=monitor,
            opened_at=now - timedelta(days=3),
            resolved_at=now - timedelta(days=3) + timedelta(minutes=9),
        ),
    }
    incident_event_add(incident=made["open"], kind="opened", message="HTTP 500", at=now - timedelta(minutes=5))
    return made


def ids(response) -> list[int]:  # noqa: ANN001
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_list_shows_kind_state_and_durations(api_client_for, alice, incidents) -> None:
    rows = {row["id"]: row for row in api_client_for(alice).get(INCIDENTS).json()["results"]}
    resolved = rows[incidents["resolved"].id]
    assert (resolved["state"], resolved["kind"], resolved["duration_seconds"]) == ("resolved", "down", 540)
    assert resolved["time_to_resolve_seconds"] == 540 and resolved["time_to_acknowledge_seconds"] is None
    acked = rows[incidents["acked"].id]
    assert (acked["state"], acked["kind"], acked["time_to_acknowledge_seconds"]) == ("acknowledged", "latency", 3600)
    assert rows[incidents["open"].id]["state"] == "open"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"state": "open"}, ["open"]),
        ({"state": "acknowledged"}, ["acked"]),
        ({"state": "resolved"}, ["resolved"]),
        ({"kind": "latency"}, ["acked"]),
        ({"since": "SINCE_1D"}, ["open", "acked"]),
        ({"until": "SINCE_1D"}, ["resolved"]),
    ],
)
def test_list_filters(api_client_for, alice, incidents, params, expected) -> None:
    day_ago = (timezone.now() - timedelta(days=1)).isoformat()
    query = {k: (day_ago if v == "SINCE_1D" else v) for k, v in params.items()}
    assert ids(api_client_for(alice).get(INCIDENTS, query)) == [incidents[name].id for name in expected]


@pytest.mark.parametrize(
    "params",
    [{"state": "sleeping"}, {"kind": "nope"}, {"since": "yesterday"}, {"since": "2026-01-02", "until": "2026-01-01"}],
)
def test_bad_filters_are_400_with_the_field(api_client_for, alice, params) -> None:
    response = api_client_for(alice).get(INCIDENTS, params)
    assert response.status_code == 400
    assert set(response.json()) & {"state", "kind", "since", "until"}


def test_detail_has_the_timeline(api_client_for, bob, incidents) -> None:
    body = api_client_for(bob).get(f"{INCIDENTS}{incidents['open'].id}/").json()
    assert [(e["kind"], e["message"], e["actor"]) for e in body["timeline"]] == [("opened", "HTTP 500", None)]


def test_member_acknowledges_comments_and_resolves(api_client_for, bob, incidents) -> None:
    client = api_client_for(bob)
    incident = incidents["open"]
    acked = client.post(f"{INCIDENTS}{incident.id}/acknowledge/")
    assert acked.status_code == 200
    assert acked.json()["state"] == "acknowledged" and acked.json()["acknowledged_by"] == "bob@example.com"
    comment = client.post(f"{INCIDENTS}{incident.id}/comments/", {"body": "on it"}, format="json")
    assert comment.status_code == 201 and comment.json()["actor"] == "bob@example.com"
    resolved = client.post(f"{INCIDENTS}{incident.id}/resolve/")
    assert resolved.status_code == 200 and resolved.json()["state"] == "resolved"
    assert [e["kind"] for e in resolved.json()["timeline"]] == ["opened", "acknowledged", "comment", "resolved"]
    incident.refresh_from_db()
    assert incident.resolved_by_user == bob
    again = client.post(f"{INCIDENTS}{incident.id}/resolve/")
    assert again.status_code == 400 and "incident" in again.json()


def test_empty_comment_is_400(api_client_for, alice, incidents) -> None:
    response = api_client_for(alice).post(f"{INCIDENTS}{incidents['open'].id}/comments/", {"body": "  "}, format="json")
    assert response.status_code == 400 and "body" in response.json()


def test_viewer_reads_but_cannot_act(api_client_for, bob, incidents) -> None:
    Membership.objects.filter(user=bob).update(role=Membership.Role.VIEWER)
    client = api_client_for(bob)
    incident = incidents["open"]
    assert client.get(f"{INCIDENTS}{incident.id}/").status_code == 200
    for action in ("acknowledge", "resolve"):
        assert client.post(f"{INCIDENTS}{incident.id}/{action}/").status_code == 403
    assert client.post(f"{INCIDENTS}{incident.id}/comments/", {"body": "x"}, format="json").status_code == 403
    incident.refresh_from_db()
    assert incident.acknowledged_at is None and incident.resolved_at is None
    assert incident.events.count() == 1


def test_read_key_cannot_acknowledge(alice, incidents) -> None:
    client = APIClient()
    key = api_key_create(organization=organization_of(alice), created_by=alice, name="r", scope="read").key
    client.credentials(HTTP_X_API_KEY=key)
    assert client.post(f"{INCIDENTS}{incidents['open'].id}/acknowledge/").status_code == 403


def test_other_organisation_gets_404_everywhere(api_client_for, mallory, incidents) -> None:
    client = api_client_for(mallory)
    incident = incidents["open"]
    assert client.get(f"{INCIDENTS}{incident.id}/").status_code == 404
    for action in ("acknowledge", "resolve", "comments"):
        assert client.post(f"{INCIDENTS}{incident.id}/{action}/", {"body": "x"}, format="json").status_code == 404
    incident.refresh_from_db()
    assert incident.acknowledged_at is None


def test_list_queries_do_not_grow(api_client_for, alice, monitor, django_assert_max_num_queries) -> None:
    now = timezone.now()
    Incident.objects.bulk_create(
        Incident(monitor=monitor, opened_at=now - timedelta(hours=i + 1), resolved_at=now - timedelta(hours=i))
        for i in range(20)
    )
    client = api_client_for(alice)
    with django_assert_max_num_queries(8):
        assert client.get(INCIDENTS).status_code == 200
