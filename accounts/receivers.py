"""Audit rows for MFA changes (allauth.mfa signals). Only MFA here: other modules own other signals."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.db import transaction
from django.dispatch import receiver

from accounts.selectors import organization_list_for_user
from accounts.services import Actor, actor_for_request, audit_record

if TYPE_CHECKING:
    from django.http import HttpRequest

    from accounts.models import User

logger = logging.getLogger(__name__)

# Recovery codes come and go with the authenticator app; the app is the change worth auditing.
_AUDITED_TYPES = {Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN}


def _record(*, request: HttpRequest | None, user: User, authenticator: Authenticator, action: str) -> None:
    if authenticator.type not in _AUDITED_TYPES:
        return
    actor = actor_for_request(request) if request is not None else Actor(user=user)
    with transaction.atomic():
        for organization in organization_list_for_user(user=user):
            audit_record(
                organization=organization,
                actor=actor,
                action=action,
                target=user,
                data={"type": authenticator.type},
            )
    logger.info("%s user=%s type=%s", action, user.pk, authenticator.type)


@receiver(authenticator_added, dispatch_uid="accounts.mfa_activated_audit")
def mfa_activated_audit(
    sender: Any, request: HttpRequest | None, user: User, authenticator: Authenticator, **kwargs: Any
) -> None:
    _record(request=request, user=user, authenticator=authenticator, action="mfa.activated")


@receiver(authenticator_removed, dispatch_uid="accounts.mfa_deactivated_audit")
def mfa_deactivated_audit(
    sender: Any, request: HttpRequest | None, user: User, authenticator: Authenticator, **kwargs: Any
) -> None:
    _record(request=request, user=user, authenticator=authenticator, action="mfa.deactivated")
