"""Organization.result_retention_days: its default, the settings page and the API (admins and
owners change it, members and viewers read it, 1..3650), audited."""

from __future__ import annotations

import pytest

from accounts.models import Organization
from accounts.tests.org_helpers import api_as, assert_audited, web
from conftest import organization_of

pytestmark = pytest.mark.django_db

SETTINGS = "/settings/organization/"
API = "/api/v1/organization/"


def test_a_new_organisation_keeps_results_the_configured_default(settings) -> None:
    assert Organization.objects.create(name="a").result_retention_days == 30
    settings.CHECKS_RESULT_RETENTION_DAYS = 90
    assert Organization.objects.create(name="b").result_retention_days == 90


def test_owner_sets_retention_on_the_settings_page_and_it_is_audited(alice) -> None:
    org = organization_of(alice)
    page = web(alice).get(SETTINGS)
    assert b'name="result_retention_days"' in page.content and b'value="30"' in page.content
    response = web(alice).post(SETTINGS, {"name": org.name, "result_retention_days": "7"})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.result_retention_days == 7
    assert_audited(org, "organization.updated", alice)


@pytest.mark.parametrize("days", ["0", "3651", "-1", "x"])
def test_settings_page_refuses_retention_outside_1_to_3650(alice, days: str) -> None:
    org = organization_of(alice)
    response = web(alice).post(SETTINGS, {"name": org.name, "result_retention_days": days})
    assert response.status_code == 200 and b"result_retention_days" in response.content
    org.refresh_from_db()
    assert org.result_retention_days == 30


def test_a_member_sees_retention_but_cannot_change_it(alice, bob, api_client_for) -> None:
    org = organization_of(alice)
    assert web(bob).post(SETTINGS, {"name": org.name, "result_retention_days": "7"}).status_code == 403
    assert api_client_for(bob).get(API).json()["result_retention_days"] == 30
    assert api_client_for(bob).patch(API, {"result_retention_days": 7}, format="json").status_code == 403
    org.refresh_from_db()
    assert org.result_retention_days == 30


def test_api_patch_sets_retention_within_bounds(alice, api_client_for) -> None:
    org = organization_of(alice)
    for days in (0, 3651, "many"):
        assert api_client_for(alice).patch(API, {"result_retention_days": days}, format="json").status_code == 400
    response = api_as(api_client_for, alice).patch(API, {"result_retention_days": 365}, format="json")
    assert response.status_code == 200 and response.json()["result_retention_days"] == 365
    org.refresh_from_db()
    assert org.result_retention_days == 365
