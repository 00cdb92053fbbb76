"""TEN-01, HTML side: every web page that takes an id answers 404 to another organisation.

Routes are discovered from the URL resolver (tests/isolation.py), not listed by hand (the API
has its own sweep in test_ten_01_sweep.py; allauth's pages and the admin are not
tenant-scoped). A route whose id kwarg is not classified there fails the sweep until it is.
alice, who owns the objects, gets through on the same ids, so the 404 is scoping, not "404 for
everyone".
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.isolation import (
    HTML_PAYLOAD,
    MARKER,
    NO_OBJECT_ID,
    db_state,
    html_routes,
    kinds_for,
    make_objects,
    path_for,
    snapshot,
)

pytestmark = pytest.mark.django_db

METHODS = ("get", "post")
ROUTES = [route for route in html_routes() if route.kwargs]
# Routes whose ids are objects of an organisation (the others are listed in NO_OBJECT_ID with why).
SWEPT = [route for route in ROUTES if not any(kwarg in NO_OBJECT_ID for kwarg in route.kwargs)]


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_ten_01_html_sweep_discovers_the_known_routes():
    names = {route.name for route in ROUTES}
    assert {
        "monitors:monitor-detail",
        "monitors:monitor-edit",
        "monitors:monitor-delete",
        "alerts:channel-delete",
        "alerts:channel-test",
        "accounts:api-key-revoke",
    } <= names
    assert not any(route.route.startswith(("api/", "admin/", "accounts/")) for route in ROUTES)


def test_ten_01_every_html_route_with_an_id_is_classified():
    for route in ROUTES:
        kinds_for(route)


@pytest.mark.parametrize("route", SWEPT, ids=[route.name for route in SWEPT])
def test_ten_01_every_html_route_with_an_id_is_404_for_another_org(alice, mallory, route):
    objects = make_objects(route, alice)
    if objects is None:
        raise AssertionError(f"{route}: no object id")  # excluded at collection
    path = path_for(route, objects)
    before, before_db = snapshot(objects), db_state()
    client = client_for(mallory)

    missing = {kwarg: type(obj)._default_manager.order_by("-pk").first().pk + 1000 for kwarg, obj in objects.items()}
    missing_path = reverse(route.name, kwargs=missing)
    for method in METHODS:
        data = HTML_PAYLOAD if method == "post" else None
        response = getattr(client, method)(path, data)
        if response.status_code == 405 and not route.serves(method):
            # A method the view has no handler for may be refused before the lookup, but then
            # for every id alike: alice's id must stay indistinguishable from a missing one.
            assert getattr(client, method)(missing_path, data).status_code == 405, f"{method.upper()} {route}"
            continue
        assert response.status_code == 404, f"{method.upper()} {path} ({route.name}) answered {response.status_code}"
        assert MARKER not in response.content.decode(), f"{method.upper()} {path} ({route.name}) shows alice's data"

    assert snapshot(objects) == before, f"{route.name}: mallory changed alice's objects"
    assert db_state() == before_db
    assert mail.outbox == []  # no test message or invitation went out on mallory's behalf


@pytest.mark.parametrize("route", SWEPT, ids=[route.name for route in SWEPT])
def test_ten_01_the_same_html_ids_work_for_alice(alice, route):
    objects = make_objects(route, alice)
    if objects is None:
        raise AssertionError(f"{route}: no object id")  # excluded at collection
    path = path_for(route, objects)
    method = "get" if route.serves("get") else "post"
    response = getattr(client_for(alice), method)(path, HTML_PAYLOAD if method == "post" else None)
    assert response.status_code < 400, f"alice's {method.upper()} {path} ({route.name}) answered {response.status_code}"
