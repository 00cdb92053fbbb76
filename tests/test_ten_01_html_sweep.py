"""TEN-01, HTML side: every web page that takes an id answers 404 to another organisation.

Routes are discovered from the URL resolver, not listed by hand (the API has its own sweep in
test_ten_01_sweep.py; allauth's pages and the admin are not tenant-scoped). A discovered route
without a factory below fails the sweep until one is added. bob, a member of alice's
organisation, gets through on the same ids, so the 404 is scoping, not "404 for everyone".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core import mail
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, UUIDConverter
from django.urls.resolvers import RoutePattern

from accounts.models import User
from accounts.services import api_key_create
from conftest import organization_of
from monitors.services import monitor_create

pytestmark = pytest.mark.django_db

# Not HTML pages of ours: the API (swept by test_ten_01_sweep.py), the admin and allauth.
EXCLUDED_PREFIXES = ("api/", "admin/", "accounts/")
EXCLUDED_NAMES = {"schema", "api-docs"}  # drf-spectacular's schema and Swagger UI
METHODS = ("get", "post")
_ID_NAME = re.compile(r"^(pk|id|uuid|.+_(id|pk|uuid))$")
# Valid for every form behind these routes (monitor edit, channel, API key), so a missing
# tenant check would show up as a changed row rather than hide behind a form error.
PAYLOAD = {
    "name": "mallory was here",
    "url": "http://127.0.0.1:9/mallory",
    "method": "POST",
    "headers": "",
    "body": "",
    "expected_status": "200",
    "interval_seconds": "300",
    "timeout_seconds": "5",
    "paused": "on",
    "kind": "email",
    "target": "mallory@example.com",
    "scope": "write",
}
MARKER = "Alice"  # in the name of every object alice owns below; never in a page mallory gets


def _monitor(alice: User) -> models.Model:
    return monitor_create(organization=organization_of(alice), name="Alice's monitor", url="http://127.0.0.1:9/")


def _channel(alice: User) -> models.Model:
    from alerts.models import Channel  # noqa: PLC0415 - alerts sits above monitors and accounts

    # An email channel: a test message (bob's POST below) goes to the locmem outbox, never the network.
    return Channel.objects.create(
        organization=organization_of(alice), kind="email", name="Alice's pager", target="alice@example.com"
    )


def _api_key(alice: User) -> models.Model:
    return api_key_create(
        organization=organization_of(alice), created_by=alice, name="Alice's key", scope="write"
    ).api_key


# URL name -> a factory making alice's object for that route's id.
FACTORIES: dict[str, Callable[[User], models.Model]] = {
    "monitors:monitor-detail": _monitor,
    "monitors:monitor-edit": _monitor,
    "monitors:monitor-delete": _monitor,
    "alerts:channel-delete": _channel,
    "alerts:channel-test": _channel,
    "accounts:api-key-revoke": _api_key,
}


def _id_kwargs(pattern: Any) -> list[str]:
    """The id-like kwargs one level of a URL pattern captures."""
    if isinstance(pattern, RoutePattern):
        return [
            name
            for name, converter in pattern.converters.items()
            if isinstance(converter, IntConverter | UUIDConverter) or _ID_NAME.match(name)
        ]
    return [name for name in pattern.regex.groupindex if _ID_NAME.match(name)]


def _walk(
    patterns: list[Any], prefix: str = "", namespace: str = "", kwargs: tuple[str, ...] = ()
) -> Iterator[tuple[str, str, tuple[str, ...], URLPattern]]:
    for pattern in patterns:
        found = kwargs + tuple(_id_kwargs(pattern.pattern))
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace) if part)
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner, found)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
            yield prefix + str(pattern.pattern), name, found, pattern


def html_id_routes() -> list[tuple[str, str, tuple[str, ...], URLPattern]]:
    """(route, url name, id kwargs, pattern) of every HTML route of ours that takes an id."""
    return [
        (route, name, kwargs, pattern)
        for route, name, kwargs, pattern in _walk(get_resolver().url_patterns)
        if kwargs and not route.startswith(EXCLUDED_PREFIXES) and name.split(":")[-1] not in EXCLUDED_NAMES
    ]


def serves(pattern: URLPattern, method: str) -> bool:
    """Whether the view has a handler for the method at all (it may still 404 first)."""
    view_class = getattr(pattern.callback, "view_class", None)
    assert view_class is not None, f"{pattern} is not a class-based view"
    return method in view_class.http_method_names and hasattr(view_class, method)


def row(obj: models.Model) -> dict[str, Any] | None:
    # Every column, non-editable ones too (model_to_dict skips those).
    return type(obj)._default_manager.filter(pk=obj.pk).values().first()


def client_for(user: User) -> Client:
    client = Client(enforce_csrf_checks=False)
    client.force_login(user)
    return client


def path_for(name: str, kwargs: tuple[str, ...], pk: Any) -> str:
    return reverse(name, kwargs=dict.fromkeys(kwargs, pk))


ROUTES = html_id_routes()


def test_ten_01_html_sweep_discovers_the_known_routes():
    names = {name for _, name, _, _ in ROUTES}

    assert {
        "monitors:monitor-detail",
        "monitors:monitor-edit",
        "monitors:monitor-delete",
        "alerts:channel-delete",
        "alerts:channel-test",
        "accounts:api-key-revoke",
    } <= names
    assert not any(route.startswith(EXCLUDED_PREFIXES) for route, _, _, _ in ROUTES)


@pytest.mark.parametrize(("route", "name", "kwargs", "pattern"), ROUTES, ids=[name for _, name, _, _ in ROUTES])
def test_ten_01_every_html_route_with_an_id_is_404_for_another_org(alice, bob, mallory, route, name, kwargs, pattern):
    if name not in FACTORIES:
        pytest.fail(f"{name} ({route}) takes {list(kwargs)}: add a factory for it to FACTORIES")
    obj = FACTORIES[name](alice)
    path = path_for(name, kwargs, obj.pk)
    missing_path = path_for(name, kwargs, type(obj)._default_manager.order_by("-pk").first().pk + 1000)
    before = row(obj)
    count = type(obj)._default_manager.count()
    client = client_for(mallory)

    for method in METHODS:
        response = getattr(client, method)(path, PAYLOAD if method == "post" else None)
        if response.status_code == 405 and not serves(pattern, method):
            # A method the view has no handler for is refused for every id alike: alice's id
            # must still be indistinguishable from one that does not exist.
            missing = getattr(client, method)(missing_path, PAYLOAD if method == "post" else None)
            assert missing.status_code == 405, (
                f"{method.upper()} {name}: alice's id answers 405, a missing id {missing.status_code}"
            )
            continue
        assert response.status_code == 404, f"{method.upper()} {path} ({name}) answered {response.status_code}"
        assert MARKER not in response.content.decode(), f"{method.upper()} {path} ({name}) shows alice's data"

    assert row(obj) == before, f"{name}: mallory changed alice's {type(obj).__name__}"
    assert type(obj)._default_manager.count() == count
    assert mail.outbox == []  # no test message went out on mallory's behalf

    # The same id works for a member of alice's organisation (GET where the page has one,
    # else the POST action itself), so the 404 above is scoping, not a broken route.
    method = "get" if serves(pattern, "get") else "post"
    response = getattr(client_for(bob), method)(path, PAYLOAD if method == "post" else None)
    assert response.status_code != 404, f"bob's {method.upper()} {path} ({name}) answered 404"
    assert response.status_code < 400, f"bob's {method.upper()} {path} ({name}) answered {response.status_code}"
