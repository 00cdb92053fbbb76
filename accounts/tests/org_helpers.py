"""Small helpers shared by the organisation, member, invitation and audit tests."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client

from accounts.models import AuditEvent, Membership, Organization, User
from conftest import make_user, organization_of

TEST_IP = "203.0.113.7"  # sent as REMOTE_ADDR, so the audit rows carry a known address


def web(user: User | None = None) -> Client:
    client = Client(REMOTE_ADDR=TEST_IP)
    if user is not None:
        client.force_login(user)
    return client


def member_of(organization: Organization, *, email: str, role: str) -> User:
    """A verified user whose only organisation is `organization`, with `role`."""
    user = make_user(email=email)
    Membership.objects.filter(user=user).delete()
    Membership.objects.create(user=user, organization=organization, role=role)
    return user


def membership(user: User, organization: Organization | None = None) -> Membership:
    organization = organization or organization_of(user)
    return Membership.objects.get(user=user, organization=organization)


def last_event(organization: Organization, action: str) -> AuditEvent:
    event = AuditEvent.objects.filter(organization=organization, action=action).order_by("-id").first()
    assert event is not None, f"no {action} audit event"
    return event


def assert_audited(organization: Organization, action: str, actor: User, **data: object) -> AuditEvent:
    """The newest `action` row names the actor, the client address and a time; `data` is a subset."""
    event = last_event(organization, action)
    assert event.actor == actor
    assert event.actor_email == actor.email
    assert event.ip == TEST_IP
    assert event.created_at is not None
    for key, value in data.items():
        assert event.data.get(key) == value, (key, event.data)
    return event


def invitation_link(message_index: int = -1) -> str:
    body = mail.outbox[message_index].body
    found = re.search(r"https?://\S+/invitations/[A-Za-z0-9_-]+/", body)
    assert found, body
    return found.group(0)


def link_path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def api_as(api_client_for, user: User):  # noqa: ANN001, ANN201 - the conftest fixture and its APIClient
    client = api_client_for(user)
    client.defaults["REMOTE_ADDR"] = TEST_IP
    return client
