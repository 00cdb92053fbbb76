"""TEN-02: every list endpoint returns exactly the caller's organisation's objects.

With 3 objects of every kind in each organisation, each /api/v1/ list (found from the URL
resolver: a GET route whose answer is a list or a page of results) gives mallory exactly her
ids, however it is filtered, ordered or paged. `?account=`, `?organization=`, `?user=` and
`?monitor=<alice's id>` are ignored or give an empty list. A new list route fails here until
EXPECTED says which objects it lists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import QuerySet
from django.test import Client

from accounts.models import ApiKey, AuditEvent, Invitation, Membership, Organization, User
from alerts.models import AlertRule, Channel, Incident, Notification
from checks.models import CheckResult, ContractBaseline, DriftEvent, HeartbeatPing
from conftest import organization_of
from monitors.models import MaintenanceWindow, Monitor
from tests.isolation import FACTORIES, MARKER, api_routes, html_routes

pytestmark = pytest.mark.django_db

# List route -> the ids it must show to a member of `organization` (user: the caller).
EXPECTED: dict[str, Callable[[Organization, User], QuerySet[Any]]] = {
    "monitors-api:monitor-list": lambda org, user: Monitor.objects.filter(organization=org),
    "monitors-api:maintenance-window-list": lambda org, user: MaintenanceWindow.objects.filter(organization=org),
    "alerts-api:channel-list": lambda org, user: Channel.objects.filter(organization=org),
    "alerts-api:incident-list": lambda org, user: Incident.objects.filter(monitor__organization=org),
    "alerts-api:alert-rule-list": lambda org, user: AlertRule.objects.filter(organization=org),
    "alerts-api:delivery-list": lambda org, user: Notification.objects.filter(channel__organization=org),
    "accounts-api:api-key-list": lambda org, user: ApiKey.objects.filter(organization=org),
    "accounts-api:member-list": lambda org, user: Membership.objects.filter(organization=org),
    "accounts-api:invitation-list": lambda org, user: Invitation.objects.filter(organization=org, accepted_at=None),
    "accounts-api:audit-event-list": lambda org, user: AuditEvent.objects.filter(organization=org),
    "accounts-api:organization-list": lambda org, user: Organization.objects.filter(memberships__user=user),
    # Nested under the caller's own monitor (its id in the path).
    "checks-api:result-list": lambda org, user: CheckResult.objects.filter(monitor__organization=org),
    "checks-api:heartbeat-ping-list": lambda org, user: HeartbeatPing.objects.filter(monitor__organization=org),
    "checks-api:drift-event-list": lambda org, user: DriftEvent.objects.filter(monitor__organization=org),
    "checks-api:baseline-list": lambda org, user: ContractBaseline.objects.filter(monitor__organization=org),
}
PER_ORG = 3


def _populate(owner: User) -> dict[str, Any]:
    """3 objects of every kind in the owner's organisation; returns the first monitor."""
    made: dict[str, Any] = {}
    made["monitor"] = FACTORIES["monitor"](owner, {})
    for kind in FACTORIES:
        for _ in range(PER_ORG if kind != "monitor" else PER_ORG - 1):
            FACTORIES[kind](owner, made)
    return made


def _ids(client: Any, path: str, params: dict[str, Any]) -> list[int] | None:
    """Every id on every page (following `next`), or None when the answer is not a list."""
    response = client.get(path, params)
    assert response.status_code == 200, f"GET {path} {params}: {response.status_code}"
    assert MARKER not in response.content.decode(), f"GET {path} {params} shows alice's data"
    body = response.json()
    if isinstance(body, list):
        return [row["id"] for row in body]
    if not isinstance(body, dict) or "results" not in body:
        return None
    ids = [row["id"] for row in body["results"]]
    while body.get("next"):
        body = client.get(body["next"]).json()
        ids += [row["id"] for row in body["results"]]
    return ids


def _list_routes() -> list[Any]:
    return [route for route in api_routes() if route.serves("get") and route.kwargs in ((), ("monitor_id",))]


ROUTES = _list_routes()
# GET routes without an object id that answer one object, not a list.
NOT_LISTS = {
    "accounts-api:organization-detail": "the caller's current organisation",
    "monitors-api:monitor-detail": "one monitor (its id is mallory's own here)",
    "checks-api:metrics-detail": "one monitor's figures",
}


@pytest.fixture
def tenants(alice: User, mallory: User) -> dict[str, Any]:
    return {"alice": _populate(alice), "mallory": _populate(mallory)}


@pytest.mark.parametrize("route", ROUTES, ids=[route.name for route in ROUTES])
def test_ten_02_every_list_returns_exactly_the_callers_ids(api_client_for, alice, mallory, tenants, route):
    from django.urls import reverse  # noqa: PLC0415

    kwargs = {"monitor_id": tenants["mallory"]["monitor"].pk} if route.kwargs else {}
    path = reverse(route.name, kwargs=kwargs)
    client = api_client_for(mallory)
    ids = _ids(client, path, {})
    if ids is None:
        # One object, not a list: its isolation is TEN-01's; say so here, so a new route is looked at.
        assert route.name in NOT_LISTS, f"{route} answers no list: add it to NOT_LISTS with why"
        return
    assert route.name in EXPECTED, f"{route} is a list: say in EXPECTED which objects it shows"
    expected = sorted(EXPECTED[route.name](organization_of(mallory), mallory).values_list("id", flat=True))
    alice_ids = set(EXPECTED[route.name](organization_of(alice), alice).values_list("id", flat=True))
    assert len(expected) >= 1 and alice_ids
    assert sorted(ids) == expected

    alice_monitor = tenants["alice"]["monitor"]
    for params in (
        {"account": organization_of(alice).pk},
        {"organization": organization_of(alice).pk},
        {"organization_id": organization_of(alice).pk},
        {"user": alice.pk},
        {"monitor": alice_monitor.pk},
        {"ordering": "-id"},
        {"search": MARKER},
        {"page_size": 1},
        {"page_size": 2, "ordering": "id"},
    ):
        found = _ids(client, path, params)
        assert found is not None and sorted(found) in (expected, []), f"GET {path} {params}: {found}"


def test_ten_02_incidents_monitor_filter_with_alices_id_is_empty(api_client_for, mallory, tenants):
    body = api_client_for(mallory).get("/api/v1/incidents/", {"monitor": tenants["alice"]["monitor"].pk}).json()
    assert (body["count"], body["results"]) == (0, [])


def test_ten_02_results_of_alices_monitor_are_404_to_mallory(api_client_for, mallory, tenants):
    response = api_client_for(mallory).get(f"/api/v1/monitors/{tenants['alice']['monitor'].pk}/results/")
    assert response.status_code == 404


HTML_LISTS = [route for route in html_routes() if not route.kwargs and route.serves("get")]


@pytest.mark.parametrize("route", HTML_LISTS, ids=[route.name for route in HTML_LISTS])
def test_ten_02_no_page_without_an_id_shows_another_orgs_data(mallory, tenants, route):
    from django.urls import reverse  # noqa: PLC0415

    client = Client()
    client.force_login(mallory)
    response = client.get(reverse(route.name))
    assert response.status_code in (200, 302, 403), f"GET {route}: {response.status_code}"
    assert MARKER not in response.content.decode(), f"{route} shows alice's data to mallory"
    assert "alice@example.com" not in response.content.decode()
