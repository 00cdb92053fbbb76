"""Telegram channel: the Bot API's sendMessage with the bot token (target) and a chat id (config)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError

from alerts.channels.base import JSON, ChannelKind, encode, post_json, summarize

if TYPE_CHECKING:
    from alerts.models import Channel

TOKEN = re.compile(r"\d{3,20}:[A-Za-z0-9_-]{20,100}")
CHAT_ID = re.compile(r"-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,64}")


def api_base() -> str:
    """https://api.telegram.org, or ALERTS_TELEGRAM_API_URL (tests point it at a local receiver)."""
    return settings.ALERTS_TELEGRAM_API_URL.rstrip("/")


def clean(target: str, config: JSON) -> tuple[str, JSON]:
    """The target is the bot token, typed alone or as https://api.telegram.org/bot<token>/."""
    errors: dict[str, list[ValidationError]] = {}
    token = target.strip()
    prefix = f"{api_base()}/bot"
    if token.startswith(prefix):
        token = token[len(prefix) :].split("/")[0]
    if not TOKEN.fullmatch(token):
        errors["target"] = [
            ValidationError(
                "Expected a bot token (123456:ABC…) or https://api.telegram.org/bot<token>/.", code="invalid"
            )
        ]
    chat_id = str((config or {}).get("chat_id", "")).strip()
    if not CHAT_ID.fullmatch(chat_id):
        errors["chat_id"] = [ValidationError("A chat id (a number, -100… for groups) or @channelname.", code="invalid")]
    if errors:
        raise ValidationError(errors)
    return token, {"chat_id": chat_id}


def render(payload: JSON, channel: Channel) -> JSON:
    summary = summarize(payload)
    text = "\n".join([summary.title, *summary.lines, summary.link])
    return {"chat_id": channel.config.get("chat_id"), "text": text[:4096], "disable_web_page_preview": True}


def send(*, channel: Channel, payload: JSON, message_id: str, now: datetime) -> None:
    url = f"{api_base()}/bot{channel.target}/sendMessage"
    post_json(url=url, body=encode(render(payload, channel)), headers={}, now=now)


def redact(target: str) -> str:
    return target.split(":")[0] + ":…" if ":" in target else "…"


KIND = ChannelKind(
    kind="telegram",
    label="Telegram",
    target_help="The bot token from @BotFather (123456:ABC…); the chat id goes in the field below.",
    clean=clean,
    render=render,
    send=send,
    config_fields=("chat_id",),
)
