"""The alert rule API: create/read/update/delete, 400 with field errors, roles, keys, tenants, audit."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Membership
from accounts.services import api_key_create
from alerts.models import AlertRule, Channel
from alerts.services import channel_create
from alerts.services.rules import alert_rule_create
from conftest import organization_of

pytestmark = pytest.mark.django_db

RULES = "/api/v1/alert-rules/"


def test_owner_creates_an_organisation_default_latency_rule(api_client_for, alice, email_channel) -> None:
    payload = {"condition": "latency", "threshold_ms": 800, "window_minutes": 10, "channels": [email_channel.id]}
    response = api_client_for(alice).post(RULES, payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["monitor"], body["threshold_ms"], body["channels"]) == (None, 800, [email_channel.id])
    rule = AlertRule.objects.get(id=body["id"])
    assert rule.organization == organization_of(alice) and list(rule.channels.all()) == [email_channel]
    assert AuditEvent.objects.filter(action="alert_rule.created", target_id=str(rule.id)).exists()


def test_monitor_rule_and_list_filters(api_client_for, alice, monitor) -> None:
    client = api_client_for(alice)
    own = client.post(RULES, {"condition": "down", "monitor": monitor.id, "reminder_hours": 4}, format="json").json()
    default = client.post(RULES, {"condition": "uptime", "slo_percent": "99.9"}, format="json").json()
    assert [r["id"] for r in client.get(RULES).json()["results"]] == [default["id"], own["id"]]
    assert [r["id"] for r in client.get(RULES, {"monitor": monitor.id}).json()["results"]] == [own["id"]]
    assert [r["id"] for r in client.get(RULES, {"defaults": "true"}).json()["results"]] == [default["id"]]
    assert default["slo_percent"] == 99.9


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"condition": "latency"}, "threshold_ms"),
        ({"condition": "uptime", "slo_percent": "100"}, "slo_percent"),
        ({"condition": "uptime", "slo_percent": "0"}, "slo_percent"),
        ({"condition": "uptime"}, "slo_percent"),
        ({"condition": "tls_expiry"}, "days_before_expiry"),
        ({"condition": "weather"}, "condition"),
        ({"condition": "down", "reminder_hours": 0}, "reminder_hours"),
        ({"condition": "down", "channels": "all"}, "channels"),
        ({"condition": "latency", "threshold_ms": 100, "window_minutes": 0}, "window_minutes"),
        ({"condition": "down", "monitor": 999999}, "monitor"),
    ],
)
def test_bad_input_is_400_with_the_field(api_client_for, alice, payload, field) -> None:
    response = api_client_for(alice).post(RULES, payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not AlertRule.objects.exists()


def test_another_organisations_channel_or_monitor_is_400_not_500(api_client_for, alice, mallory) -> None:
    from alerts.tests.factories import make_monitor  # noqa: PLC0415

    theirs = Channel.objects.get(organization=organization_of(mallory))
    their_monitor = make_monitor(organization=organization_of(mallory))
    client = api_client_for(alice)
    response = client.post(RULES, {"condition": "down", "channels": [theirs.id]}, format="json")
    assert response.status_code == 400 and "channels" in response.json()
    response = client.post(RULES, {"condition": "down", "monitor": their_monitor.id}, format="json")
    assert response.status_code == 400 and response.json() == {"monitor": ["No such monitor."]}


def test_patch_changes_fields_and_channels(api_client_for, alice, organization, email_channel) -> None:
    pager = channel_create(organization=organization, kind="email", name="pager", target="pager@example.com")
    rule = alert_rule_create(organization=organization, condition="latency", threshold_ms=500, channels=[email_channel])
    client = api_client_for(alice)
    response = client.patch(f"{RULES}{rule.id}/", {"threshold_ms": 900, "channels": [pager.id]}, format="json")
    assert response.status_code == 200 and response.json()["channels"] == [pager.id]
    rule.refresh_from_db()
    assert rule.threshold_ms == 900 and list(rule.channels.all()) == [pager]
    bad = client.patch(f"{RULES}{rule.id}/", {"threshold_ms": None}, format="json")
    assert bad.status_code == 400 and "threshold_ms" in bad.json()
    rule.refresh_from_db()
    assert rule.threshold_ms == 900


def test_delete_is_audited(api_client_for, alice, organization) -> None:
    rule = alert_rule_create(organization=organization, condition="down")
    assert api_client_for(alice).delete(f"{RULES}{rule.id}/").status_code == 204
    assert not AlertRule.objects.filter(id=rule.id).exists()
    assert AuditEvent.objects.filter(action="alert_rule.deleted").exists()


def test_member_reads_but_only_admins_write(api_client_for, bob, organization) -> None:
    rule = alert_rule_create(organization=organization, condition="down")
    client = api_client_for(bob)  # a member: rules are MANAGE_CHANNELS, like channels
    assert client.get(f"{RULES}{rule.id}/").status_code == 200
    assert client.post(RULES, {"condition": "down"}, format="json").status_code == 403
    assert client.patch(f"{RULES}{rule.id}/", {"enabled": False}, format="json").status_code == 403
    assert client.delete(f"{RULES}{rule.id}/").status_code == 403
    Membership.objects.filter(user=bob).update(role=Membership.Role.ADMIN)
    assert client.patch(f"{RULES}{rule.id}/", {"enabled": False}, format="json").status_code == 200


def test_read_key_cannot_write(alice, organization) -> None:
    client = APIClient()
    client.credentials(
        HTTP_X_API_KEY=api_key_create(organization=organization, created_by=alice, name="r", scope="read").key
    )
    assert client.get(RULES).status_code == 200
    assert client.post(RULES, {"condition": "down"}, format="json").status_code == 403


def test_other_organisation_gets_404(api_client_for, mallory, organization) -> None:
    rule = alert_rule_create(organization=organization, condition="down")
    client = api_client_for(mallory)
    assert client.get(f"{RULES}{rule.id}/").status_code == 404
    assert client.patch(f"{RULES}{rule.id}/", {"enabled": False}, format="json").status_code == 404
    assert client.delete(f"{RULES}{rule.id}/").status_code == 404
    assert client.get(RULES).json()["count"] == 0
    rule.refresh_from_db()
    assert rule.enabled


def test_heartbeat_missed_rule_on_an_http_monitor_is_400(api_client_for, alice, monitor) -> None:
    response = api_client_for(alice).post(
        RULES, {"condition": "heartbeat_missed", "monitor": monitor.id}, format="json"
    )
    assert response.status_code == 400 and "condition" in response.json()
