"""Slack channel: an incoming webhook (https://hooks.slack.com/services/…), JSON `text` + `blocks`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alerts.channels.base import JSON, service_webhook_kind, summarize

if TYPE_CHECKING:
    from alerts.models import Channel

URL_PATTERNS = (r"https://hooks\.slack\.com/services/[A-Za-z0-9_/-]+",)


def render(payload: JSON, channel: Channel | None = None) -> JSON:
    summary = summarize(payload)
    body = "\n".join(summary.lines)
    blocks: list[JSON] = [{"type": "header", "text": {"type": "plain_text", "text": summary.title[:150]}}]
    if body:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": body[:2900]}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{summary.link}|Open in Driftwatch>"}]})
    return {"text": summary.title, "blocks": blocks}


KIND = service_webhook_kind(
    kind="slack",
    label="Slack",
    example="https://hooks.slack.com/services/T…/B…/…",
    url_patterns=URL_PATTERNS,
    render=render,
)
