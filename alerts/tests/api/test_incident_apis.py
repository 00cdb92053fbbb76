from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_key_create
from alerts.models import Incident
from alerts.tests.factories import make_monitor

pytestmark = pytest.mark.django_db

INCIDENTS = "/api/v1/incidents/"


@pytest.fixture
def incidents(monitor) -> list[Incident]:
    now = timezone.now()
    older = Incident.objects.create(
        monitor=monitor, opened_at=now - timedelta(hours=3), resolved_at=now - timedelta(hours=2), cause="timeout"
    )
    newer = Incident.objects.create(monitor=monitor, opened_at=now - timedelta(minutes=5), cause="HTTP 500")
    return [newer, older]


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_incident_list_owner_and_member_newest_first(request, api_client_for, monitor, incidents, who) -> None:
    response = api_client_for(request.getfixturevalue(who)).get(INCIDENTS, {"monitor": monitor.id})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and body["next"] is None and body["previous"] is None
    newer, older = body["results"]
    assert {key: newer[key] for key in ("id", "monitor", "opened_at", "resolved_at", "cause")} == {
        "id": incidents[0].id,
        "monitor": monitor.id,
        "opened_at": incidents[0].opened_at.isoformat().replace("+00:00", "Z"),
        "resolved_at": None,
        "cause": "HTTP 500",
    }
    assert older["id"] == incidents[1].id and older["resolved_at"] is not None


def test_incident_list_filters_by_monitor(api_client_for, alice, organization, incidents) -> None:
    other = make_monitor(organization=organization, name="other")
    Incident.objects.create(monitor=other, opened_at=timezone.now())
    client = api_client_for(alice)
    assert client.get(INCIDENTS).json()["count"] == 3
    assert client.get(INCIDENTS, {"monitor": other.id}).json()["count"] == 1


def test_incident_list_is_paginated(api_client_for, alice, monitor) -> None:
    start = timezone.now() - timedelta(days=1)
    Incident.objects.bulk_create(
        Incident(monitor=monitor, opened_at=start + timedelta(minutes=i), resolved_at=start + timedelta(minutes=i))
        for i in range(60)
    )
    body = api_client_for(alice).get(INCIDENTS, {"page_size": 25}).json()
    assert body["count"] == 60 and len(body["results"]) == 25 and "page=2" in body["next"]


def test_incident_list_bad_monitor_is_400(api_client_for, alice) -> None:
    response = api_client_for(alice).get(INCIDENTS, {"monitor": "abc"})
    assert response.status_code == 400
    assert "monitor" in response.json()


def test_incident_detail(api_client_for, bob, incidents) -> None:
    response = api_client_for(bob).get(f"{INCIDENTS}{incidents[1].id}/")
    assert response.status_code == 200
    assert response.json()["cause"] == "timeout"


def test_ten_01_mallory_gets_404_for_alices_incident(api_client_for, mallory, monitor, incidents) -> None:
    client = api_client_for(mallory)
    assert client.get(f"{INCIDENTS}{incidents[0].id}/").status_code == 404
    # Another tenant's monitor id filters to nothing, as a missing one does (TEN-02).
    filtered = client.get(INCIDENTS, {"monitor": monitor.id})
    assert (filtered.status_code, filtered.json()["count"]) == (200, 0)
    assert client.get(INCIDENTS, {"monitor": 999999}).json() == filtered.json()
    assert client.get(INCIDENTS).json()["count"] == 0


def test_incident_list_read_only_key_may_read(alice, organization, incidents) -> None:
    client = APIClient()
    client.credentials(
        HTTP_X_API_KEY=api_key_create(organization=organization, created_by=alice, name="r", scope="read").key
    )
    assert client.get(INCIDENTS).json()["count"] == 2
