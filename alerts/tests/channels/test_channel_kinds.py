"""Slack, Discord, Teams and Telegram: each kind's body, sent to a real local receiver.

The real hosts can't be reached from tests: ALERTS_CHANNEL_URL_OVERRIDES and ALERTS_TELEGRAM_API_URL
point the kinds at tests.servers.HttpTarget, the way an operator would point them at a proxy.
"""

from __future__ import annotations

import json
import re

import pytest

from alerts.models import Incident, Notification
from alerts.services import channel_create, channel_send_test, notification_deliver, notifications_create
from alerts.tests.factories import record_change

pytestmark = pytest.mark.django_db

TOKEN = "123456789:AAE_abcdefghijklmnopqrstuvwxyz0123"


@pytest.fixture
def local_hosts(settings, http_target):
    base = re.escape(http_target.url)
    settings.ALERTS_CHANNEL_URL_OVERRIDES = {
        "slack": rf"{base}/services/\S+",
        "discord": rf"{base}/api/webhooks/\S+",
        "teams": rf"{base}/webhookb2/\S+",
    }
    settings.ALERTS_TELEGRAM_API_URL = http_target.url
    return http_target


def _make(organization, kind: str, http_target, **config):
    targets = {
        "slack": f"{http_target.url}/services/T1/B2/secret",
        "discord": f"{http_target.url}/api/webhooks/1/secret",
        "teams": f"{http_target.url}/webhookb2/abc@def/IncomingWebhook/x/y",
        "telegram": TOKEN,
    }
    return channel_create(
        organization=organization, kind=kind, name=f"{kind} ops", target=targets[kind], config=config or None
    )


def _down(monitor, channel) -> Notification:
    change = record_change(monitor=monitor, old="up", new="down", cause="HTTP 503")
    incident = Incident.objects.create(monitor=monitor, opened_at=change.created_at, cause=change.cause)
    notifications_create(status_change=change, incident=incident, event="monitor.down")
    return Notification.objects.get(status_change=change, channel=channel)


def test_slack_gets_text_and_blocks(organization, monitor, local_hosts) -> None:
    channel = _make(organization, "slack", local_hosts)
    outcome = notification_deliver(notification_id=_down(monitor, channel).id)

    assert outcome.status == "sent"
    [request] = local_hosts.requests
    assert request.path == "/services/T1/B2/secret"
    body = json.loads(request.body)
    assert body["text"] == "🔴 Orders API is DOWN"
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "context"]
    assert "Cause: HTTP 503" in body["blocks"][1]["text"]["text"]
    assert f"/monitors/{monitor.id}/" in body["blocks"][2]["elements"][0]["text"]


def test_discord_gets_content_and_an_embed_without_mentions(organization, monitor, local_hosts) -> None:
    channel = _make(organization, "discord", local_hosts)
    notification_deliver(notification_id=_down(monitor, channel).id)

    body = json.loads(local_hosts.requests[0].body)
    assert body["content"] == "🔴 Orders API is DOWN"
    [embed] = body["embeds"]
    assert embed["title"] == "🔴 Orders API is DOWN" and embed["color"] == 0xD93F0B
    assert "https://api.example.com/orders" in embed["description"]
    assert body["allowed_mentions"] == {"parse": []}


def test_teams_gets_a_message_card(organization, monitor, local_hosts) -> None:
    channel = _make(organization, "teams", local_hosts)
    notification_deliver(notification_id=_down(monitor, channel).id)

    body = json.loads(local_hosts.requests[0].body)
    assert body["@type"] == "MessageCard" and body["summary"] == "🔴 Orders API is DOWN"
    assert body["potentialAction"][0]["targets"][0]["uri"].endswith(f"/monitors/{monitor.id}/")


def test_telegram_calls_send_message_with_the_chat_id(organization, monitor, local_hosts) -> None:
    channel = _make(organization, "telegram", local_hosts, chat_id="-1001234")
    assert (channel.target, channel.config) == (TOKEN, {"chat_id": "-1001234"})
    notification_deliver(notification_id=_down(monitor, channel).id)

    [request] = local_hosts.requests
    assert request.path == f"/bot{TOKEN}/sendMessage"
    body = json.loads(request.body)
    assert body["chat_id"] == "-1001234"
    assert body["text"].startswith("🔴 Orders API is DOWN\n")


def test_telegram_token_may_be_typed_as_the_bot_url(settings, organization, local_hosts) -> None:
    channel = channel_create(
        organization=organization,
        kind="telegram",
        name="tg",
        target=f"{local_hosts.url}/bot{TOKEN}/",
        config={"chat_id": "@ops_alerts"},
    )
    assert channel.target == TOKEN


@pytest.mark.parametrize("kind", ["slack", "discord", "teams", "telegram"])
def test_send_test_works_for_every_chat_kind(organization, local_hosts, kind) -> None:
    channel = _make(organization, kind, local_hosts, **({"chat_id": "42"} if kind == "telegram" else {}))
    assert channel_send_test(channel=channel).ok is True
    assert "Driftwatch test notification" in local_hosts.requests[0].body.decode()


@pytest.mark.parametrize("kind", ["slack", "discord", "teams", "telegram"])
def test_a_chat_kind_answering_500_is_retried_and_410_disables_the_channel(
    organization, monitor, local_hosts, kind
) -> None:
    channel = _make(organization, kind, local_hosts, **({"chat_id": "42"} if kind == "telegram" else {}))
    notification = _down(monitor, channel)
    local_hosts.set_reply(status=500)
    assert notification_deliver(notification_id=notification.id).status == "pending"

    local_hosts.set_reply(status=410)
    Notification.objects.filter(id=notification.id).update(next_attempt_at=notification.created_at)
    assert notification_deliver(notification_id=notification.id).status == "failed"
    channel.refresh_from_db()
    assert channel.disabled is True


def test_the_payload_is_frozen_when_the_row_is_created(organization, monitor, local_hosts) -> None:
    channel = _make(organization, "slack", local_hosts)
    notification = _down(monitor, channel)
    monitor.name = "Renamed later"
    monitor.save(update_fields=["name"])
    local_hosts.set_reply(status=500)
    notification_deliver(notification_id=notification.id)
    local_hosts.set_reply(status=200)
    Notification.objects.filter(id=notification.id).update(next_attempt_at=notification.created_at)
    notification_deliver(notification_id=notification.id)

    first, second = local_hosts.requests
    assert first.body == second.body
    assert b"Orders API" in second.body and b"Renamed later" not in second.body
