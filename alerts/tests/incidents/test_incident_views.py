"""Incident pages: the filterable list and the detail page with its timeline and actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Membership
from alerts.models import Incident
from alerts.services.timeline import incident_event_add
from alerts.tests.factories import make_monitor

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # noqa: ANN001
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def incident(monitor) -> Incident:
    made = Incident.objects.create(monitor=monitor, opened_at=timezone.now() - timedelta(minutes=3), cause="HTTP 502")
    incident_event_add(incident=made, kind="opened", message="HTTP 502", at=made.opened_at)
    return made


def test_list_filters_by_state_kind_monitor_and_date(alice, organization, monitor, incident) -> None:
    other = make_monitor(organization=organization, name="Billing")
    old = Incident.objects.create(
        monitor=other,
        kind="uptime",
        opened_at=timezone.now() - timedelta(days=10),
        resolved_at=timezone.now() - timedelta(days=9),
    )
    client = client_for(alice)

    def listed(**params) -> set[int]:  # noqa: ANN003
        response = client.get("/incidents/", params)
        assert response.status_code == 200
        return {i.id for i in response.context["page"].object_list}

    assert listed() == {incident.id, old.id}
    assert listed(state="open") == {incident.id}
    assert listed(state="resolved") == {old.id}
    assert listed(kind="uptime") == {old.id}
    assert listed(monitor=other.id) == {old.id}
    assert listed(since=(timezone.now() - timedelta(days=1)).date().isoformat()) == {incident.id}
    assert listed(until=(timezone.now() - timedelta(days=5)).date().isoformat()) == {old.id}


def test_bad_filter_is_shown_and_kept(alice, incident) -> None:
    response = client_for(alice).get("/incidents/", {"state": "sleepy", "since": "not-a-date"})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"state", "since"}
    assert b'value="not-a-date"' in response.content


def test_member_acknowledges_comments_and_resolves_on_the_page(bob, incident) -> None:
    client = client_for(bob)
    page = client.get(f"/incidents/{incident.id}/")
    assert page.status_code == 200 and b"incident-acknowledge" in page.content
    client.post(f"/incidents/{incident.id}/acknowledge/")
    client.post(f"/incidents/{incident.id}/comment/", {"body": "Rolling back"})
    empty = client.post(f"/incidents/{incident.id}/comment/", {"body": "   "})
    assert empty.status_code == 400 and b"Write something." in empty.content
    client.post(f"/incidents/{incident.id}/resolve/")
    incident.refresh_from_db()
    assert incident.acknowledged_by == bob and incident.resolved_by_user == bob
    page = client.get(f"/incidents/{incident.id}/").content.decode()
    assert page.index("Acknowledged") < page.index("Rolling back") < page.index('data-kind="resolved"')
    assert "incident-acknowledge" not in page  # nothing to do on a resolved incident


def test_viewer_reads_but_sees_no_actions_and_cannot_post(bob, incident) -> None:
    Membership.objects.filter(user=bob).update(role=Membership.Role.VIEWER)
    client = client_for(bob)
    page = client.get(f"/incidents/{incident.id}/")
    assert page.status_code == 200 and b"incident-acknowledge" not in page.content and b"id_body" not in page.content
    for action in ("acknowledge", "comment", "resolve"):
        assert client.post(f"/incidents/{incident.id}/{action}/", {"body": "x"}).status_code == 403
    incident.refresh_from_db()
    assert incident.acknowledged_at is None and incident.events.count() == 1


def test_other_organisation_gets_404(mallory, incident) -> None:
    client = client_for(mallory)
    assert client.get(f"/incidents/{incident.id}/").status_code == 404
    assert client.post(f"/incidents/{incident.id}/acknowledge/").status_code == 404
    assert incident.id not in {i.id for i in client.get("/incidents/").context["page"].object_list}
