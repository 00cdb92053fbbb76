"""Discord channel: a channel webhook (https://discord.com/api/webhooks/…), JSON `content` + `embeds`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alerts.channels.base import JSON, service_webhook_kind, summarize

if TYPE_CHECKING:
    from alerts.models import Channel

URL_PATTERNS = (r"https://(?:discord|discordapp)\.com/api/webhooks/[A-Za-z0-9_/-]+",)
COLOURS = {"down": 0xD93F0B, "up": 0x2DA44E, "warning": 0xF0A020, "info": 0x3B82F6}


def render(payload: JSON, channel: Channel | None = None) -> JSON:
    summary = summarize(payload)
    embed: JSON = {
        "title": summary.title[:256],
        "description": "\n".join(summary.lines)[:4000],
        "url": summary.link,
        "color": COLOURS.get(summary.severity, COLOURS["info"]),
    }
    if payload.get("timestamp"):
        embed["timestamp"] = payload["timestamp"]
    # No mentions from monitor names or causes: they are data, not pings.
    return {"content": summary.title[:2000], "embeds": [embed], "allowed_mentions": {"parse": []}}


KIND = service_webhook_kind(
    kind="discord",
    label="Discord",
    example="https://discord.com/api/webhooks/…/…",
    url_patterns=URL_PATTERNS,
    render=render,
)
