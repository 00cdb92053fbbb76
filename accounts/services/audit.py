"""The audit log: one row per change someone made in an organisation."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models

from accounts.models import ApiKey, AuditEvent, Organization, User
from core.client_ip import client_ip

if TYPE_CHECKING:
    from django.http import HttpRequest

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Actor:
    """Who is acting, and from where: built from the request by the view, passed to services."""

    user: User | None
    ip: str | None = None
    api_key: ApiKey | None = None


def actor_for_request(request: HttpRequest) -> Actor:
    """The acting user (an API key acts for its creator), the key if any, and the client address."""
    auth = getattr(request, "auth", None)
    user = request.user if request.user.is_authenticated else None
    return Actor(user=user, ip=client_ip(request), api_key=auth if isinstance(auth, ApiKey) else None)  # type: ignore[arg-type]


def audit_record(
    *,
    organization: Organization,
    actor: Actor | None,
    action: str,
    target: models.Model | None = None,
    data: dict[str, object] | None = None,
) -> AuditEvent:
    """Add one audit row; `action` is "<entity>.<verb>" (monitor.created, member.removed, …).

    Call it inside the service's transaction so the row exists exactly when the change does.
    `data` must hold no secrets (never a key, token or webhook secret).
    """
    user = actor.user if actor else None
    return AuditEvent.objects.create(
        organization=organization,
        actor=user,
        actor_email=user.email if user else "",
        api_key=actor.api_key if actor else None,
        action=action,
        target_type=target._meta.model_name if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        ip=actor.ip if actor else None,
        data=data or {},
    )
