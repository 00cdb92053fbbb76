"""Channel kinds: a registry where each kind is one module (alerts.channels.<kind>).

A module builds a `ChannelKind` (base.py): `clean` validates target and config for the forms, the
API and the services; `render` turns the frozen event payload into the body it sends; `send`
delivers it through core.http (or Django's email backend) and raises DeliveryError. Adding a kind
is one module plus its name in KIND_MODULES (and in Channel.Kind).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING

from alerts.channels.base import (
    EVENT_DELIVERY_DEAD,
    EVENT_DIGEST,
    EVENT_DOWN,
    EVENT_DRIFT,
    EVENT_FLAPPING,
    EVENT_STABLE,
    EVENT_TEST,
    EVENT_UP,
    JSON,
    ChannelKind,
    isoformat,
    redact_url,
)

if TYPE_CHECKING:
    from alerts.models import Channel

KIND_MODULES = ("email", "webhook", "slack", "discord", "teams", "telegram")

__all__ = [
    "EVENT_DELIVERY_DEAD",
    "EVENT_DIGEST",
    "EVENT_DOWN",
    "EVENT_DRIFT",
    "EVENT_FLAPPING",
    "EVENT_STABLE",
    "EVENT_TEST",
    "EVENT_UP",
    "ChannelKind",
    "isoformat",
    "kind_get",
    "kinds",
    "private_config",
    "public_config",
    "redact_target",
    "send",
]


@cache
def kinds() -> dict[str, ChannelKind]:
    """Every registered kind by name (imported on first use: the modules import models and selectors)."""
    registry: dict[str, ChannelKind] = {}
    for name in KIND_MODULES:
        kind: ChannelKind = import_module(f"alerts.channels.{name}").KIND
        registry[kind.kind] = kind
    return registry


def kind_get(kind: str) -> ChannelKind | None:
    return kinds().get(kind)


def send(*, channel: Channel, payload: JSON, message_id: str, now: datetime) -> None:
    """Deliver `payload` through the sender of `channel.kind`; raises DeliveryError."""
    from alerts.exceptions import DeliveryError  # noqa: PLC0415

    kind = kind_get(channel.kind)
    if kind is None:
        raise DeliveryError(f"No sender for channel kind {channel.kind!r}.", permanent=True)
    kind.send(channel=channel, payload=payload, message_id=message_id, now=now)


def public_config(config: JSON) -> JSON:
    """A channel's options as people see and set them: never the secret kept during a rotation."""
    from alerts.channels.webhook import PRIVATE_CONFIG  # noqa: PLC0415

    return {key: value for key, value in config.items() if key not in PRIVATE_CONFIG}


def private_config(config: JSON) -> JSON:
    from alerts.channels.webhook import PRIVATE_CONFIG  # noqa: PLC0415

    return {key: value for key, value in config.items() if key in PRIVATE_CONFIG}


def redact_target(channel: Channel) -> str:
    """The target as people without MANAGE_CHANNELS and the logs see it: URL tokens hidden (WH-08)."""
    if channel.kind == "email":
        return channel.target
    if channel.kind == "telegram":
        from alerts.channels.telegram import redact  # noqa: PLC0415

        return redact(channel.target)
    return redact_url(channel.target)
