"""WH-08: a chat kind's URL must be the service's own host; webhook URLs are redacted in logs and for others."""

from __future__ import annotations

import logging
import re

import pytest

from alerts.channels import discord, slack, teams
from alerts.models import Channel, Incident
from alerts.services import notification_deliver, notifications_create
from alerts.tests.factories import record_change

pytestmark = pytest.mark.django_db

CHANNELS = "/api/v1/channels/"


@pytest.mark.parametrize(
    ("kind", "target"),
    [
        ("slack", "https://hooks.example.com/services/T1/B2/x"),
        ("slack", "http://hooks.slack.com/services/T1/B2/x"),
        ("slack", "https://hooks.slack.com.evil.com/services/T1/B2/x"),
        ("slack", "https://hooks.slack.com/api/other"),
        ("discord", "https://discord.gg/api/webhooks/1/x"),
        ("discord", "https://evil.com/?u=https://discord.com/api/webhooks/1/x"),
        ("teams", "https://webhook.office.com.evil.com/x"),
        ("teams", "https://tenant.webhook.office.co/x"),
        ("telegram", "https://api.telegram.org/sendMessage"),
        ("telegram", "not a token"),
    ],
)
def test_wh_08_a_chat_url_of_another_host_is_400(api_client_for, alice, kind, target) -> None:
    response = api_client_for(alice).post(
        CHANNELS, {"kind": kind, "name": "x", "target": target, "config": {"chat_id": "1"}}, format="json"
    )
    assert response.status_code == 400
    assert "target" in response.json()
    assert not Channel.objects.filter(kind=kind).exists()


def test_wh_08_telegram_needs_a_chat_id(api_client_for, alice) -> None:
    response = api_client_for(alice).post(
        CHANNELS, {"kind": "telegram", "name": "x", "target": "123456:" + "A" * 30}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"chat_id"}


@pytest.mark.parametrize(
    ("module", "url"),
    [
        (slack, "https://hooks.slack.com/services/T000/B000/XXXXXXXX"),
        (discord, "https://discord.com/api/webhooks/123/abc-DEF_1"),
        (discord, "https://discordapp.com/api/webhooks/123/abc"),
        (teams, "https://contoso.webhook.office.com/webhookb2/a@b/IncomingWebhook/c/d"),
        (teams, "https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=x"),
    ],
)
def test_wh_08_the_real_service_hosts_match_by_default(module, url) -> None:
    # The default patterns, without the tests' overrides (validated here without a DNS lookup).
    assert any(re.fullmatch(pattern, url) for pattern in module.URL_PATTERNS)


def test_wh_08_a_member_sees_a_chat_url_redacted_in_the_api_and_the_page(
    settings, api_client_for, client, alice, bob, organization, http_target
) -> None:
    settings.ALERTS_CHANNEL_URL_OVERRIDES = {"slack": rf"{re.escape(http_target.url)}/services/\S+"}
    secret_path = "T1/B2/very-secret-token"
    created = api_client_for(alice).post(
        CHANNELS, {"kind": "slack", "name": "ops", "target": f"{http_target.url}/services/{secret_path}"}, format="json"
    )
    assert created.status_code == 201
    channel_id = created.json()["id"]

    as_owner = api_client_for(alice).get(f"{CHANNELS}{channel_id}/").json()["target"]
    as_member = api_client_for(bob).get(f"{CHANNELS}{channel_id}/").json()["target"]
    assert as_owner.endswith(secret_path)
    assert as_member == f"{http_target.url}/services/…"
    client.force_login(bob)
    page = client.get("/channels/").content.decode()
    assert "very-secret-token" not in page and f"{http_target.url}/services/…" in page


def test_wh_08_delivery_logs_never_carry_the_url(settings, caplog, organization, monitor, http_target) -> None:
    from alerts.services import channel_create  # noqa: PLC0415

    settings.ALERTS_CHANNEL_URL_OVERRIDES = {"discord": rf"{re.escape(http_target.url)}/api/webhooks/\S+"}
    channel = channel_create(
        organization=organization, kind="discord", name="d", target=f"{http_target.url}/api/webhooks/1/tok-SECRET"
    )
    # What production logs (INFO), and every level of our own loggers. (urllib3 names the path at
    # DEBUG: LOG_LEVEL=DEBUG is for debugging, not production.)
    caplog.set_level(logging.INFO)
    for name in ("alerts", "core", "checks"):
        caplog.set_level(logging.DEBUG, logger=name)
    change = record_change(monitor=monitor, old="up", new="down")
    incident = Incident.objects.create(monitor=monitor, opened_at=change.created_at, cause="x")
    notifications_create(status_change=change, incident=incident, event="monitor.down")
    for status in (500, 200):
        http_target.set_reply(status=status)
        notification = channel.notifications.get()
        type(notification).objects.filter(id=notification.id).update(next_attempt_at=change.created_at)
        notification_deliver(notification_id=notification.id)
    assert channel.notifications.get().status == "sent"
    assert "tok-SECRET" not in caplog.text
