"""Channel use cases: create, change, delete and send a test notification."""

from __future__ import annotations

import base64
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from accounts.services import Actor, audit_record
from alerts import channels
from alerts.channels import EVENT_TEST, private_config, public_config
from alerts.channels.webhook import secret_rotation_start
from alerts.exceptions import DeliveryError
from alerts.models import Channel, new_message_id
from alerts.services.payloads import payload_build
from alerts.validators import validate_webhook_secret

logger = logging.getLogger(__name__)

SECRET_BYTES = 32
UPDATABLE_FIELDS = ("name", "target", "secret", "disabled", "config")


def webhook_secret_generate() -> str:
    """A fresh `whsec_<base64 of 32 random bytes>` signing secret."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _validate(channel: Channel) -> None:
    """Raise a ValidationError keyed by field for anything wrong with the channel."""
    errors: dict[str, list[ValidationError]] = {}
    try:
        channel.full_clean(exclude=["organization", "secret", "last_error"])
    except ValidationError as exc:
        errors.update(exc.error_dict)
    kind = channels.kind_get(channel.kind)
    if "target" not in errors and kind is not None:
        # The kind's own rules (alerts.channels.<kind>.clean) normalise target and config.
        try:
            channel.target, channel.config = kind.clean(channel.target, channel.config or {})
        except ValidationError as exc:
            errors.update(exc.error_dict if hasattr(exc, "error_dict") else {"target": exc.error_list})
    if kind is not None and kind.has_secret:
        try:
            validate_webhook_secret(channel.secret)
        except ValidationError as exc:
            errors["secret"] = [exc]
    elif channel.secret:
        errors["secret"] = [ValidationError("Only webhook channels have a secret.", code="not_allowed")]
    if errors:
        raise ValidationError(errors)


def channel_create(
    *,
    organization: Organization,
    kind: str,
    name: str,
    target: str,
    secret: str = "",
    config: dict[str, object] | None = None,
    actor: Actor | None = None,
) -> Channel:
    """Create a channel; a webhook without a given secret gets a fresh one. Raises ValidationError.

    `config` holds a kind's options besides the target (a Telegram chat_id); the kind's module checks both.
    """
    channel = Channel(
        organization=organization,
        kind=kind,
        name=name.strip(),
        target=target.strip(),
        config=public_config(config or {}),
    )
    if kind == Channel.Kind.WEBHOOK:
        channel.secret = secret.strip() or webhook_secret_generate()
    else:
        channel.secret = secret.strip()
    _validate(channel)
    with transaction.atomic():
        channel.save()
        audit_record(
            organization=organization, actor=actor, action="channel.created", target=channel, data={"kind": kind}
        )
    logger.info("channel created channel=%s organization=%s kind=%s", channel.id, organization.id, kind)
    return channel


def channel_update(*, channel: Channel, actor: Actor | None = None, **fields: object) -> Channel:
    """Change name, target, secret, config or disabled; the kind never changes. Raises ValidationError.

    A new webhook secret starts a rotation: for ALERTS_SECRET_ROTATION_HOURS deliveries carry the
    signatures of both secrets (WH-01). Enabling a channel again clears its last error. The audit row
    names the changed fields, never their values (a secret, or a URL that may carry a token).
    """
    unknown = set(fields) - set(UPDATABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown channel fields: {sorted(unknown)}")
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(id=channel.id)
        was_disabled, old_secret = channel.disabled, channel.secret
        changed = []
        for name, value in fields.items():
            value = value.strip() if isinstance(value, str) else value
            if name == "config":  # what people may set; a rotation in progress stays as it is
                value = {**public_config(value or {}), **private_config(channel.config)}
            if getattr(channel, name) != value:
                changed.append(name)
            setattr(channel, name, value)
        if channel.kind == Channel.Kind.WEBHOOK and not channel.secret:
            raise ValidationError({"secret": ["A webhook needs a secret."]})
        _validate(channel)
        if old_secret and channel.secret != old_secret:
            channel.config = secret_rotation_start(config=channel.config, old_secret=old_secret, now=timezone.now())
        if was_disabled and not channel.disabled:
            channel.last_error = ""
        channel.save()
        audit_record(
            organization=channel.organization,
            actor=actor,
            action="channel.updated",
            target=channel,
            data={"fields": sorted(changed)},
        )
    logger.info("channel updated channel=%s fields=%s", channel.id, ",".join(sorted(fields)))
    return channel


def channel_delete(*, channel: Channel, actor: Actor | None = None) -> None:
    """Delete a channel and its notifications (pending ones are never sent)."""
    channel_id = channel.id
    with transaction.atomic():
        audit_record(organization=channel.organization, actor=actor, action="channel.deleted", target=channel)
        channel.delete()
    logger.info("channel deleted channel=%s", channel_id)


@dataclass(frozen=True)
class ChannelTestResult:
    ok: bool
    error: str = ""


def channel_send_test(*, channel: Channel, now: datetime | None = None) -> ChannelTestResult:
    """Send a "test" message now, in this process; the outcome is returned and stored as last_error.

    A 410 from a webhook disables the channel, as for a real notification.
    """
    now = now or timezone.now()
    payload = payload_build(monitor=None, event=EVENT_TEST, now=now)
    try:
        channels.send(channel=channel, payload=payload, message_id=new_message_id(), now=now)
    except DeliveryError as exc:
        channel.last_error = exc.message[:500]
        channel.disabled = channel.disabled or exc.disable_channel
        Channel.objects.filter(id=channel.id).update(last_error=channel.last_error, disabled=channel.disabled)
        logger.info("channel test failed channel=%s error=%s", channel.id, exc.message)
        return ChannelTestResult(ok=False, error=exc.message)
    channel.last_error = ""
    Channel.objects.filter(id=channel.id).update(last_error="")
    logger.info("channel test sent channel=%s", channel.id)
    return ChannelTestResult(ok=True)
