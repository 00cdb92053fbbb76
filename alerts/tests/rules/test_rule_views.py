"""Alert rule pages: organisation defaults, a monitor's own rules, the form (only the condition's fields)."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Membership
from alerts.models import AlertRule
from alerts.services.rules import alert_rule_create

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # noqa: ANN001
    client = Client()
    client.force_login(user)
    return client


def test_owner_adds_an_organisation_default_through_the_form(alice, email_channel) -> None:
    client = client_for(alice)
    form = client.get("/alerts/rules/new/")
    assert form.status_code == 200
    assert b'data-shown-for="latency uptime"' in form.content  # the window belongs to two conditions
    response = client.post(
        "/alerts/rules/new/",
        {
            "condition": "latency",
            "threshold_ms": "700",
            "window_minutes": "10",
            "suppression_minutes": "30",
            "channels": [email_channel.id],
            "enabled": "on",
            "slo_percent": "12",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/alerts/rules/"
    rule = AlertRule.objects.get()
    assert (rule.monitor, rule.threshold_ms, rule.window_minutes, rule.suppression_minutes) == (None, 700, 10, 30)
    assert rule.slo_percent is None  # a hidden field of another condition is ignored
    assert list(rule.channels.all()) == [email_channel]
    listing = client.get("/alerts/rules/")
    assert b"p95 &gt; 700 ms over 10 min" in listing.content


def test_bad_input_keeps_what_was_typed(alice) -> None:
    response = client_for(alice).post(
        "/alerts/rules/new/",
        {
            "condition": "uptime",
            "slo_percent": "150",
            "window_minutes": "60",
            "name": "SLO",
            "suppression_minutes": "0",
        },
    )
    assert response.status_code == 200
    assert b"between 0 and 100" in response.content
    assert b'value="150"' in response.content and b'value="SLO"' in response.content
    assert not AlertRule.objects.exists()


def test_monitor_rules_page_shows_own_rules_and_replaced_defaults(alice, organization, monitor) -> None:
    alert_rule_create(organization=organization, condition="down", name="org pager")
    client = client_for(alice)
    response = client.post(
        f"/alerts/rules/new/?monitor={monitor.id}", {"condition": "down", "suppression_minutes": "0", "enabled": "on"}
    )
    assert response["Location"] == f"/alerts/rules/?monitor={monitor.id}"
    assert AlertRule.objects.get(monitor=monitor).condition == "down"
    page = client.get(f"/alerts/rules/?monitor={monitor.id}").content.decode()
    assert "This monitor&#x27;s rules" in page or "This monitor's rules" in page
    assert "replaced" in page


def test_edit_and_delete(alice, organization) -> None:
    rule = alert_rule_create(organization=organization, condition="latency", threshold_ms=100)
    client = client_for(alice)
    assert b'value="100"' in client.get(f"/alerts/rules/{rule.id}/edit/").content
    client.post(
        f"/alerts/rules/{rule.id}/edit/",
        {"condition": "latency", "threshold_ms": "250", "window_minutes": "5", "suppression_minutes": "0"},
    )
    rule.refresh_from_db()
    assert (rule.threshold_ms, rule.enabled) == (250, False)
    assert client.post(f"/alerts/rules/{rule.id}/delete/").status_code == 302
    assert not AlertRule.objects.exists()


def test_member_reads_rules_but_cannot_change_them(bob, organization) -> None:
    rule = alert_rule_create(organization=organization, condition="down")
    client = client_for(bob)
    page = client.get("/alerts/rules/")
    assert page.status_code == 200 and b"New rule" not in page.content
    assert client.get("/alerts/rules/new/").status_code == 403
    assert client.post(f"/alerts/rules/{rule.id}/delete/").status_code == 403
    assert AlertRule.objects.filter(id=rule.id).exists()
    Membership.objects.filter(user=bob).update(role=Membership.Role.ADMIN)
    assert client.post(f"/alerts/rules/{rule.id}/delete/").status_code == 302


def test_other_organisation_gets_404(mallory, organization, monitor) -> None:
    rule = alert_rule_create(organization=organization, condition="down")
    client = client_for(mallory)
    assert client.get(f"/alerts/rules/{rule.id}/edit/").status_code == 404
    assert client.post(f"/alerts/rules/{rule.id}/delete/").status_code == 404
    assert client.get(f"/alerts/rules/?monitor={monitor.id}").status_code == 404
    assert AlertRule.objects.filter(id=rule.id).exists()


def test_admin_rule_form_applies_the_same_rules(organization) -> None:
    from accounts.models import User  # noqa: PLC0415

    root = User.objects.create_superuser(email="root@example.com", password="correct horse battery")
    client = client_for(root)
    fields = {
        "organization": organization.id,
        "condition": "latency",
        "window_minutes": "15",
        "min_severity": "breaking",
        "suppression_minutes": "0",
        "enabled": "on",
    }
    response = client.post("/admin/alerts/alertrule/add/", fields)
    assert response.status_code == 200 and b"needs a threshold" in response.content
    assert not AlertRule.objects.exists()
    response = client.post("/admin/alerts/alertrule/add/", fields | {"threshold_ms": "300"})
    assert response.status_code == 302
    assert AlertRule.objects.get().threshold_ms == 300
