"""KEY-02: a read-only API key cannot write, and reads exactly like a read-write key.

Driven by the OpenAPI schema (drf-spectacular's generator, as tests/test_openapi.py): every
write operation (POST, PUT, PATCH, DELETE, custom actions) answers 403 to a read key and no
table changes; every read operation gives a read key the same status and body as a
read-write key of the same user. Path ids are alice's objects, made by the factories of the
isolation suite (tests/isolation.py), so a new operation is covered as soon as it exists.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import api_key_create
from conftest import organization_of
from tests.isolation import API_PAYLOAD, api_routes, changed_tables, db_state, make_objects, path_for

pytestmark = pytest.mark.django_db

WRITE_METHODS = {"post", "put", "patch", "delete"}
# Operations that take no credentials at all, so a key header is not even read.
PUBLIC_OPERATIONS = {
    ("/api/v1/auth/token/", "post"): "exchanges an email and password for a JWT",
    ("/api/v1/auth/token/refresh/", "post"): "exchanges a refresh token for a new pair",
    ("/api/v1/auth/logout/", "post"): "the refresh token in the body is the credential it revokes",
}


def _operations() -> list[tuple[str, str, dict]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (path, method, operation)
        for path, operations in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method, operation in operations.items()
        if method in WRITE_METHODS | {"get"}
    ]


OPERATIONS = _operations()


def _schemes(operation: dict) -> set[str]:
    return {name for requirement in operation.get("security", []) for name in requirement}


def _key_client(user: User, scope: str) -> APIClient:
    client = APIClient()
    issued = api_key_create(organization=organization_of(user), created_by=user, name=f"{scope} key", scope=scope)
    client.credentials(HTTP_X_API_KEY=issued.key)
    return client


def _path(schema_path: str, owner: User) -> str:
    """The schema path with alice's objects' ids in it."""
    placeholder = re.sub(r"\{\w+\}", "1", schema_path)
    name = resolve(placeholder).view_name
    [route] = [route for route in api_routes() if route.name == name]
    objects = make_objects(route, owner)
    assert objects is not None, f"{schema_path}: no object ids"
    return path_for(route, objects)


def test_key_02_public_operations_are_exactly_the_listed_ones():
    public = {
        (path, method)
        for path, method, operation in OPERATIONS
        if not _schemes(operation) or {} in operation.get("security", [])
    }
    assert public == set(PUBLIC_OPERATIONS)


def test_key_02_schema_has_writes_and_reads():
    methods = {method for _, method, _ in OPERATIONS}
    assert methods >= {"get", "post", "patch", "delete"}


WRITES = [
    (path, method, op)
    for path, method, op in OPERATIONS
    if method in WRITE_METHODS and (path, method) not in PUBLIC_OPERATIONS
]
READS = [(path, method, op) for path, method, op in OPERATIONS if method == "get"]


@pytest.mark.parametrize(("path", "method", "operation"), WRITES, ids=[f"{m.upper()} {p}" for p, m, _ in WRITES])
def test_key_02_read_key_gets_403_on_every_write_and_nothing_changes(alice, path, method, operation):
    url = _path(path, alice)
    client = _key_client(alice, "read")
    before = db_state()
    response = getattr(client, method)(url, API_PAYLOAD, format="json")
    if "apiKeyAuth" in _schemes(operation):
        assert response.status_code == 403, f"read key {method.upper()} {url}: {response.status_code}"
    else:
        # The operation does not take keys at all (a user login only): refused as unauthenticated.
        assert response.status_code in (401, 403), f"read key {method.upper()} {url}: {response.status_code}"
    assert changed_tables(before, db_state()) == [], f"read key {method.upper()} {url} changed the DB"
    assert mail.outbox == []


def _comparable(response: Any) -> Any:
    """The body, less the metrics series' bucket times, which move with the clock between two calls."""
    if not response.get("Content-Type", "").startswith("application/json"):
        return response.content
    body = response.json()
    if isinstance(body, dict) and isinstance(body.get("series"), list):
        body["series"] = [{k: v for k, v in point.items() if k != "t"} for point in body["series"]]
    return body


@pytest.mark.parametrize(("path", "method", "operation"), READS, ids=[f"GET {p}" for p, _, _ in READS])
def test_key_02_read_key_reads_exactly_like_a_read_write_key(alice, path, method, operation):
    url = _path(path, alice)
    read, write = _key_client(alice, "read"), _key_client(alice, "write")
    by_read, by_write = read.get(url), write.get(url)
    assert by_read.status_code == by_write.status_code, (
        f"GET {url}: read {by_read.status_code}, rw {by_write.status_code}"
    )
    assert _comparable(by_read) == _comparable(by_write), f"GET {url}: the bodies differ"
    if "apiKeyAuth" in _schemes(operation):
        assert by_read.status_code in (200, 403), f"GET {url}: {by_read.status_code}"
