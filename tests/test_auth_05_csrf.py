"""AUTH-05: without a CSRF token, every HTML form POST and every session-authenticated API write is 403.

Routes come from the URL resolver, so a route added later is covered without touching this file.
The CSRF check runs before the view (Django's process_view, DRF's SessionAuthentication), so
placeholder ids are enough: a 403 comes before any lookup.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern
from rest_framework.authentication import SessionAuthentication
from rest_framework.test import APIClient
from rest_framework.views import APIView

pytestmark = pytest.mark.django_db

WRITE_METHODS = ("post", "put", "patch", "delete")
_SAMPLES = {"int": "1", "str": "x", "slug": "x", "path": "x", "uuid": str(uuid.uuid4())}
# Views that take POSTs without a CSRF token on purpose; each needs a reason.
CSRF_EXEMPT_HTML: dict[str, str] = {
    f"/ping/{_SAMPLES['uuid']}{suffix}": (
        "a heartbeat ping from a cron job (curl, wget): no session or cookie is involved, the random "
        "token in the URL is the credential, and the answer is only OK or 404 (checks.views_heartbeats)"
    )
    for suffix in ("", "/", "/start", "/start/", "/fail", "/fail/")
} | {
    "/alerts/unsubscribe/x/": (
        "RFC 8058 one-click unsubscribe: a mail client POSTs List-Unsubscribe=One-Click with no session or "
        "cookie; the signed token in the URL is the credential and it can only opt an address out "
        "(alerts/tests/test_views_deliveries_preferences.py)"
    ),
}


def _sample_route(route: str) -> str:
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: _SAMPLES.get(m.group(1) or "str", "x"), route)


def _sample_regex(regex: str) -> str:
    def group(match: re.Match[str]) -> str:
        body = match.group(1)
        return body.split("|")[0] if "|" in body and re.fullmatch(r"[\w|]+", body) else "x1"

    text = re.sub(r"\(\?P<\w+>((?:[^()]|\([^()]*\))*)\)", group, regex)
    return text.replace("^", "").replace("$", "").replace("\\", "").replace("?", "")


def _walk(patterns: list, prefix: str = "") -> Iterator[str]:
    for entry in patterns:
        pattern = entry.pattern
        if isinstance(pattern, RoutePattern):
            part = _sample_route(str(pattern))
        elif isinstance(pattern, RegexPattern):
            part = _sample_regex(pattern.regex.pattern)
        else:  # pragma: no cover - LocalePrefixPattern is not used here
            part = str(pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + part)
        elif isinstance(entry, URLPattern):
            yield "/" + prefix + part


def all_paths() -> list[str]:
    paths = []
    for path in sorted(set(_walk(get_resolver().url_patterns))):
        if path.startswith("/static/"):
            continue
        paths.append(path)
    return paths


def api_view_class(path: str) -> type[APIView] | None:
    cls = getattr(resolve(path).func, "cls", None)
    return cls if isinstance(cls, type) and issubclass(cls, APIView) else None


def html_paths() -> list[str]:
    resolvable = []
    for path in all_paths():
        try:
            resolve(path)
        except Exception:  # noqa: BLE001, S112 - a sample that does not resolve is reported below
            continue
        if api_view_class(path) is None:
            resolvable.append(path)
    return resolvable


def test_auth_05_the_route_walk_finds_the_forms() -> None:
    paths = html_paths()
    for expected in (
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/change/",
        "/accounts/email/",
        "/settings/account/delete/",
        "/settings/api-keys/",
        "/monitors/new/",
        "/admin/login/",
        "/accounts/2fa/totp/activate/",
    ):
        assert expected in paths, expected
    # Every walked route resolves (regex samples included): nothing is silently skipped.
    unresolved = []
    for path in all_paths():
        try:
            resolve(path)
        except Exception:  # noqa: BLE001
            unresolved.append(path)
    assert unresolved == []


@pytest.mark.parametrize("signed_in", [True, False], ids=["session", "anonymous"])
def test_auth_05_every_html_post_without_a_csrf_token_is_403(alice, signed_in: bool) -> None:
    client = Client(enforce_csrf_checks=True)
    if signed_in:
        client.force_login(alice)
    failures = []
    for path in html_paths():
        if path in CSRF_EXEMPT_HTML:
            continue
        response = client.post(path, {"email": "alice@example.com", "password": "correct horse battery"})
        if response.status_code != 403:
            failures.append((path, response.status_code))
    assert failures == []


def test_auth_05_the_same_html_post_with_a_token_gets_past_the_check(alice) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get("/settings/account/")  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value

    response = client.post("/settings/account/delete/", {"password": "wrong", "csrfmiddlewaretoken": token})

    assert response.status_code == 400  # the form ran: wrong password


def session_api_routes() -> list[tuple[str, str]]:
    routes = []
    for path in all_paths():
        if not path.startswith("/api/"):
            continue
        try:
            cls = api_view_class(path)
        except Exception:  # noqa: BLE001, S112
            continue
        if cls is None:
            continue
        authenticators = cls.authentication_classes
        if not any(issubclass(auth, SessionAuthentication) for auth in authenticators):
            continue  # no session: nothing a browser sends by itself, so nothing to forge
        routes.extend((path, method) for method in WRITE_METHODS if hasattr(cls, method))
    return routes


def test_auth_05_every_session_authenticated_api_write_without_a_csrf_token_is_403(alice) -> None:
    routes = session_api_routes()
    assert ("/api/v1/monitors/", "post") in routes
    assert ("/api/v1/monitors/1/", "delete") in routes
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    failures = []
    for path, method in routes:
        response = getattr(client, method)(path, {}, format="json")
        body = response.json() if response.get("Content-Type", "").startswith("application/json") else {}
        if response.status_code != 403 or "CSRF" not in str(body.get("detail", "")):
            failures.append((method.upper(), path, response.status_code))
    assert failures == []


def test_auth_05_api_writes_with_a_jwt_need_no_csrf_token(alice, api_client_for) -> None:
    client = api_client_for(alice)
    client.handler.enforce_csrf_checks = True
    response = client.post("/api/v1/monitors/", {"name": "x", "url": "https://api.example.com/"}, format="json")
    assert response.status_code == 201
