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
from alerts.channels import EVENT_TEST, AlertEvent
from alerts.exceptions import DeliveryError
from alerts.models import Channel, new_message_id
from alerts.validators import validate_email_target, validate_webhook_secret, validate_webhook_url

logger = logging.getLogger(__name__)

SECRET_BYTES = 32
UPDATABLE_FIELDS = ("name", "target", "secret", "disabled")


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
    if "target" not in errors:
        try:
            if channel.kind == Channel.Kind.EMAIL:
                validate_email_target(channel.target)
            elif channel.kind == Channel.Kind.WEBHOOK:
                validate_webhook_url(channel.target)
        except ValidationError as exc:
            errors["target"] = [exc]
    if channel.kind == Channel.Kind.WEBHOOK:
        try:
            validate_webhook_secret(channel.secret)
        except ValidationError as exc:
            errors["secret"] = [exc]
    elif channel.secret:
        errors["secret"] = [ValidationError("Only webhook channels have a secret.", code="not_allowed")]
    if errors:
        raise ValidationError(errors)


def channel_create(
    *, organization: Organization, kind: str, name: str, target: str, secret: str = "", actor: Actor | None = None
) -> Channel:
    """Create a channel; a webhook without a given secret gets a fresh one. Raises ValidationError."""
    channel = Channel(organization=organization, kind=kind, name=name.strip(), target=target.strip())
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
    """Change name, target, secret or disabled; the kind never changes. Raises ValidationError.

    Enabling a channel again clears its last error. The audit row names the changed fields,
    never their values (a secret, or a URL that may carry a token).
    """
    unknown = set(fields) - set(UPDATABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown channel fields: {sorted(unknown)}")
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(id=channel.id)
        was_disabled = channel.disabled
        changed = []
        for name, value in fields.items():
            value = value.strip() if isinstance(value, str) else value
            if getattr(channel, name) != value:
                changed.append(name)
            setattr(channel, name, value)
        if channel.kind == Channel.Kind.WEBHOOK and not channel.secret:
            raise ValidationError({"secret": ["A webhook needs a secret."]})
        _validate(channel)
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
    event = AlertEvent(type=EVENT_TEST, message_id=new_message_id(), occurred_at=now)
    try:
        channels.send(channel=channel, event=event, now=now)
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
