"""TEN-01: every /api/v1/ route that takes an id answers 404 to another organisation.

Routes are discovered from the URL resolver (tests/isolation.py), not listed by hand: a new
route whose id kwarg is not classified there fails the sweep until it is.
"""

from __future__ import annotations

import pytest
from django.core import mail

from tests.isolation import (
    API_PAYLOAD,
    MARKER,
    NO_OBJECT_ID,
    api_routes,
    db_state,
    kinds_for,
    make_objects,
    path_for,
    snapshot,
)

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")
ROUTES = [route for route in api_routes() if route.kwargs]
# Routes whose ids are objects of an organisation (the others are listed in NO_OBJECT_ID with why).
SWEPT = [route for route in ROUTES if not any(kwarg in NO_OBJECT_ID for kwarg in route.kwargs)]


def test_ten_01_sweep_discovers_the_known_routes():
    names = {route.name for route in ROUTES}
    assert {
        "monitors-api:monitor-detail",
        "accounts-api:api-key-detail",
        "checks-api:result-list",
        "checks-api:metrics-detail",
        "alerts-api:channel-detail",
        "alerts-api:channel-test",
        "alerts-api:incident-detail",
    } <= names


def test_ten_01_every_api_route_with_an_id_is_classified():
    """100% of the routes that take an id have a factory (or a NO_OBJECT_ID reason)."""
    for route in ROUTES:
        kinds_for(route)  # fails with the route's name when a kwarg is unknown


@pytest.mark.parametrize("route", SWEPT, ids=[route.name for route in SWEPT])
def test_ten_01_every_api_route_with_an_id_is_404_for_another_org(api_client_for, alice, mallory, route):
    objects = make_objects(route, alice)
    if objects is None:
        raise AssertionError(f"{route}: no object id")  # excluded at collection
    path = path_for(route, objects)
    before, before_db = snapshot(objects), db_state()
    client = api_client_for(mallory)

    for method in METHODS:
        if not route.serves(method):
            continue
        response = getattr(client, method)(path, None if method == "get" else API_PAYLOAD, format="json")
        assert response.status_code == 404, f"{method.upper()} {path} ({route.name}) answered {response.status_code}"
        assert MARKER not in response.content.decode(), f"{method.upper()} {path} echoes alice's data"

    assert snapshot(objects) == before, f"{route.name}: mallory changed alice's objects"
    assert db_state() == before_db
    assert mail.outbox == []


@pytest.mark.parametrize("route", SWEPT, ids=[route.name for route in SWEPT])
def test_ten_01_the_same_ids_work_for_alice(api_client_for, alice, route):
    """The 404 above is scoping, not a broken route: the same id is found for alice."""
    objects = make_objects(route, alice)
    if objects is None:
        raise AssertionError(f"{route}: no object id")  # excluded at collection
    path = path_for(route, objects)
    client = api_client_for(alice)
    if route.serves("get"):
        response = client.get(path)
        assert response.status_code == 200, f"alice's GET {route} answered {response.status_code}"
        return
    # A write-only route (revoke, remove, test): alice's own write finds the object.
    method = next(method for method in METHODS if route.serves(method))
    response = getattr(client, method)(path, API_PAYLOAD, format="json")
    # 400 (this payload does not fit every write) still means the id was found.
    assert response.status_code <= 400, f"alice's {method.upper()} {route} answered {response.status_code}"
