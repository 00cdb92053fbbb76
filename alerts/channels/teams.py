"""Microsoft Teams channel: an incoming webhook or a Workflows URL, a MessageCard JSON body."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alerts.channels.base import JSON, service_webhook_kind, summarize

if TYPE_CHECKING:
    from alerts.models import Channel

URL_PATTERNS = (
    r"https://[A-Za-z0-9-]+\.webhook\.office\.com/\S+",
    r"https://[A-Za-z0-9.-]+\.logic\.azure\.com(?::443)?/\S+",
)
COLOURS = {"down": "D93F0B", "up": "2DA44E", "warning": "F0A020", "info": "3B82F6"}


def render(payload: JSON, channel: Channel | None = None) -> JSON:
    summary = summarize(payload)
    return {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": summary.title,
        "themeColor": COLOURS.get(summary.severity, COLOURS["info"]),
        "title": summary.title,
        "text": "\n\n".join(summary.lines) or summary.title,
        "potentialAction": [
            {"@type": "OpenUri", "name": "Open in Driftwatch", "targets": [{"os": "default", "uri": summary.link}]}
        ],
    }


KIND = service_webhook_kind(
    kind="teams",
    label="Microsoft Teams",
    example="https://<tenant>.webhook.office.com/webhookb2/…",
    url_patterns=URL_PATTERNS,
    render=render,
)
