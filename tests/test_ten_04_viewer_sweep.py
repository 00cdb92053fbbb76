"""TEN-04 (and issue 3 part 9): a viewer cannot change anything, on any route, web or API.

bob is made a viewer of alice's organisation. Every /api/v1/ route and every web page is
discovered from the URL resolver (tests/isolation.py): each write method answers 403 and no
table changes; each read answers 200 (a web form page may answer 403 instead, and then
alice gets it); no page a viewer sees holds a form that posts to a write route.
Routes that are no organisation's data (logging in and out, the user's own account, making a
new organisation of their own) are listed below with the reason; the list is checked against
the URLconf so it cannot go stale.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.urls import Resolver404, resolve

from accounts.models import Membership, User
from accounts.roles import Permission, role_can
from tests.isolation import (
    API_PAYLOAD,
    HTML_PAYLOAD,
    Route,
    all_routes,
    api_routes,
    changed_tables,
    db_state,
    html_routes,
    make_objects,
    path_for,
)

pytestmark = pytest.mark.django_db

WRITE_METHODS = ("post", "put", "patch", "delete")
NOT_ORGANISATION_DATA: dict[str, str] = {
    "accounts-api:token-obtain": "exchanges credentials for a JWT; no organisation is involved",
    "accounts-api:token-refresh": "exchanges a refresh token; no organisation is involved",
    "accounts-api:token-logout": "ends the caller's own refresh token",
    "accounts-api:organization-leave": "any member, a viewer too, may leave an organisation",
    "accounts:account": "the user's own account page (email, password, MFA)",
    "accounts:account-delete": "deletes the user's own account (accounts' tests cover the hand-over)",
    "accounts:member-leave": "any member, a viewer too, may leave an organisation",
    "organizations:organization-create": "makes a new organisation that the caller owns",
    "organizations:organization-switch": "changes which of the caller's organisations the session acts for",
    "organizations:invitation-accept": "joins another organisation with a secret emailed token",
    "account-deletion-confirm": "confirms the caller's own account deletion with a signed emailed token",
    "account-deletion-restore": "restores the caller's own blocked account with a signed emailed token",
    "alerts:email-preferences": "the caller's own alert email opt-outs, for their own address only",
    "alerts:unsubscribe": "one address's opt-out by a signed emailed token (RFC 8058); no session or role applies",
    # A heartbeat's ping URL takes no session: its random token is the credential (checks/tests/test_heartbeats.py).
    **{
        f"checks:ping-{kind}{slash}": "a job's unauthenticated heartbeat ping; no session or role applies"
        for kind in ("success", "start", "fail")
        for slash in ("", "-slash")
    },
}
# Forms a viewer may see: posting them changes nothing of the organisation's.
ALLOWED_FORM_TARGETS = set(NOT_ORGANISATION_DATA) | {"account_logout", "account_login"}
_FORM = re.compile(r"(<form\b[^>]*>)(.*?)</form>", re.IGNORECASE | re.DOTALL)
_ATTR = re.compile(r"""(\w+)\s*=\s*["']([^"']*)["']""")
_CONTROL = re.compile(r"<(button|input|select|textarea)\b([^>]*)>", re.IGNORECASE)


@pytest.fixture
def viewer(bob: User) -> User:
    Membership.objects.filter(user=bob).update(role=Membership.Role.VIEWER)
    return bob


def _objects_and_path(route: Route, owner: User) -> str | None:
    objects = make_objects(route, owner)
    if objects is None:
        return None
    return path_for(route, objects)


def test_ten_04_not_organisation_data_names_existing_routes():
    names = {route.name for route in all_routes()}
    # An entry for a route that is gone is removed from the list (a renamed route must be re-argued).
    assert set(NOT_ORGANISATION_DATA) - names == set()


API_ROUTES = [route for route in api_routes() if route.name not in NOT_ORGANISATION_DATA]
HTML_ROUTES = [route for route in html_routes() if route.name not in NOT_ORGANISATION_DATA]


@pytest.mark.parametrize("route", API_ROUTES, ids=[route.name for route in API_ROUTES])
def test_ten_04_viewer_api_writes_are_403_and_reads_200(api_client_for, alice, viewer, route):
    path = _objects_and_path(route, alice)
    if path is None:
        raise AssertionError(f"{route}: no object id")  # excluded at collection
    client = api_client_for(viewer)
    before = db_state()
    for method in WRITE_METHODS:
        if not route.serves(method):
            continue
        response = getattr(client, method)(path, API_PAYLOAD, format="json")
        assert response.status_code == 403, f"viewer {method.upper()} {path} ({route.name}): {response.status_code}"
        assert changed_tables(before, db_state()) == [], f"viewer {method.upper()} {path} changed the DB"
    assert mail.outbox == []
    if route.serves("get"):
        response = client.get(path)
        needed = getattr(route.view_class, "read_permission", Permission.VIEW)
        if not role_can(Membership.Role.VIEWER, needed):
            # A read the role table keeps from viewers (the audit log, pending invitations).
            assert response.status_code == 403, f"viewer GET {path} ({route.name}): {response.status_code}"
            assert api_client_for(alice).get(path).status_code == 200, f"owner GET {path} ({route.name})"
            return
        assert response.status_code == 200, f"viewer GET {path} ({route.name}): {response.status_code}"


def _write_forms(html: str, page: str) -> list[str]:
    """View names of the POST forms on a page that are not in ALLOWED_FORM_TARGETS."""
    found = []
    for tag, body in _FORM.findall(html):
        attrs = {name.lower(): value for name, value in _ATTR.findall(tag)}
        if attrs.get("method", "get").lower() != "post" or not _submittable(body):
            continue
        target = urlsplit(attrs.get("action") or page).path
        try:
            view_name = resolve(target).view_name
        except Resolver404:
            view_name = target
        if view_name not in ALLOWED_FORM_TARGETS:
            found.append(view_name)
    return found


def _submittable(body: str) -> bool:
    """A form with a submit button or any enabled field (a read-only display has neither)."""
    for _element, attributes in _CONTROL.findall(body):
        kind = (dict((k.lower(), v.lower()) for k, v in _ATTR.findall(attributes)).get("type") or "").strip()
        if re.search(r"\bdisabled\b", attributes, re.IGNORECASE) or kind in ("hidden", "button"):
            continue
        return True
    return False


@pytest.mark.parametrize("route", HTML_ROUTES, ids=[route.name for route in HTML_ROUTES])
def test_ten_04_viewer_web_writes_are_403_and_pages_show_no_write_form(alice, viewer, route):
    path = _objects_and_path(route, alice)
    if path is None:
        raise AssertionError(f"{route}: no object id")  # excluded at collection
    client = Client()
    client.force_login(viewer)
    before = db_state()

    response = client.post(path, HTML_PAYLOAD)
    allowed = {403} if route.serves("post") else {403, 405}
    assert response.status_code in allowed, f"viewer POST {path} ({route.name}): {response.status_code}"
    assert changed_tables(before, db_state()) == [], f"viewer POST {path} changed the DB"
    assert mail.outbox == []

    if not route.serves("get"):
        return
    response = client.get(path)
    if response.status_code == 403:
        # A form page for writers only: refused by role, not broken (alice gets it).
        owner = Client()
        owner.force_login(alice)
        assert owner.get(path).status_code == 200, f"{route.name} is 403 to the viewer and not 200 to the owner"
        return
    assert response.status_code == 200, f"viewer GET {path} ({route.name}): {response.status_code}"
    assert _write_forms(response.content.decode(), path) == [], f"viewer sees write forms on {path}"
