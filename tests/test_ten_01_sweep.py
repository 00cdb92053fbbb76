"""TEN-01: every /api/v1/ route that takes an id answers 404 to another organisation.

Routes are discovered from the URL resolver, not listed by hand: a new route whose id
kind has no factory below fails the sweep until one is added.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.models import Organization, User
from accounts.services import api_key_create
from conftest import organization_of
from monitors.services import monitor_create

pytestmark = pytest.mark.django_db

API_PREFIX = "api/v1/"
METHODS = ("get", "post", "put", "patch", "delete")
_KWARG = re.compile(r"<(?:\w+:)?(\w+)>")
# Valid enough for any of the writable entities, so a 404 cannot hide behind a 400.
PAYLOAD = {
    "name": "mallory was here",
    "url": "https://example.com/",
    "paused": True,
    "kind": "webhook",
    "target": "https://example.com/hook",
    "scope": "write",
}

Made = dict[str, models.Model]


def _monitor(organization: Organization, owner: User, made: Made) -> models.Model:
    return monitor_create(organization=organization, name="Alice's monitor", url="https://api.example.com/")


def _api_key(organization: Organization, owner: User, made: Made) -> models.Model:
    return api_key_create(organization=organization, created_by=owner, name="alice's key", scope="write").api_key


def _channel(organization: Organization, owner: User, made: Made) -> models.Model:
    from alerts.models import Channel

    return Channel.objects.create(
        organization=organization, kind="webhook", name="Alice's hook", target="https://example.com/alice"
    )


def _incident(organization: Organization, owner: User, made: Made) -> models.Model:
    from alerts.models import Incident

    monitor = made.get("monitor_id") or _monitor(organization, owner, made)
    return Incident.objects.create(monitor=monitor, opened_at=timezone.now(), cause="status 503")


# URL kwarg -> a factory making alice's object of that kind. Covers every route using the kwarg.
FACTORIES: dict[str, Callable[[Organization, User, Made], models.Model]] = {
    "monitor_id": _monitor,
    "api_key_id": _api_key,
    "channel_id": _channel,
    "incident_id": _incident,
}


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace) if part)
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
            yield prefix + str(pattern.pattern), name, pattern


def api_id_routes() -> list[tuple[str, str, URLPattern]]:
    """(route, url name, pattern) of every /api/v1/ route with a path parameter."""
    return [
        (route, name, pattern)
        for route, name, pattern in _walk(get_resolver().url_patterns)
        if route.startswith(API_PREFIX) and _KWARG.search(route)
    ]


def allowed_methods(pattern: URLPattern) -> list[str]:
    view_class = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
    assert view_class is not None, f"{pattern} is not a class-based API view"
    return [method for method in METHODS if hasattr(view_class, method)]


def row(obj: models.Model) -> dict[str, Any] | None:
    # Every column, non-editable ones too (model_to_dict skips those).
    return type(obj)._default_manager.filter(pk=obj.pk).values().first()


ROUTES = api_id_routes()


def test_ten_01_sweep_discovers_the_known_routes():
    names = {name for _, name, _ in ROUTES}
    assert {
        "monitors-api:monitor-detail",
        "accounts-api:api-key-detail",
        "checks-api:result-list",
        "checks-api:metrics-detail",
    } <= names


@pytest.mark.parametrize(("route", "name", "pattern"), ROUTES, ids=[name for _, name, _ in ROUTES])
def test_ten_01_every_api_route_with_an_id_is_404_for_another_org(api_client_for, alice, mallory, route, name, pattern):
    kwargs = _KWARG.findall(route)
    missing = [kwarg for kwarg in kwargs if kwarg not in FACTORIES]
    if missing:
        pytest.fail(f"{name} ({route}) takes {missing}: add a factory for it to FACTORIES")
    made: Made = {}
    for kwarg in kwargs:
        made[kwarg] = FACTORIES[kwarg](organization_of(alice), alice, made)
    path = "/" + _KWARG.sub(lambda match: str(made[match.group(1)].pk), route)
    before = {kwarg: row(obj) for kwarg, obj in made.items()}
    counts = {type(obj): type(obj)._default_manager.count() for obj in made.values()}
    client = api_client_for(mallory)

    for method in allowed_methods(pattern):
        body = None if method == "get" else PAYLOAD
        response = getattr(client, method)(path, body, format="json")
        assert response.status_code == 404, f"{method.upper()} {path} ({name}) answered {response.status_code}"

    assert {kwarg: row(obj) for kwarg, obj in made.items()} == before
    assert {model: model._default_manager.count() for model in counts} == counts
