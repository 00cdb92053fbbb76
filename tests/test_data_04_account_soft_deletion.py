"""DATA-04: account deletion is soft for ACCOUNTS_DELETION_GRACE_DAYS, then hard only after a signed
confirmation token; hard deletion leaves every other account's rows as they were.

Through HTTP and the real services (the email is Django's locmem outbox); it lives in tests/ because
it reaches monitors, checks and alerts rows.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import signing
from django.test import Client
from django.utils import timezone

from accounts.models import Membership, User
from accounts.services.account_deletion import CONFIRM_SALT, deleted_accounts_purge
from conftest import organization_of
from monitors.models import Monitor
from monitors.services import monitor_create
from tests.test_account_deletion import PASSWORD, deletion_links
from tests.test_data_04_deletion_scope import counts_for_organization, populate

pytestmark = pytest.mark.django_db

GRACE = timedelta(days=settings.ACCOUNTS_DELETION_GRACE_DAYS)


def request_deletion(user: User) -> Client:
    client = Client()
    client.force_login(user)
    assert client.post("/settings/account/delete/", {"password": PASSWORD}).status_code == 302
    return client


def can_log_in(email: str) -> bool:
    client = Client()
    client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    return "_auth_user_id" in client.session


def test_data_04_a_deletion_request_blocks_the_account_at_once_and_deletes_nothing(mallory, mailoutbox) -> None:
    organization = organization_of(mallory)
    running = monitor_create(organization=organization, name="Orders", url="https://api.example.com/orders")
    before = counts_for_organization(organization.id)

    client = request_deletion(mallory)

    mallory.refresh_from_db()
    assert not mallory.is_active and mallory.deletion_requested_at is not None
    assert mallory.deletion_confirmed_at is None
    assert not can_log_in(mallory.email)
    assert client.get("/")["Location"].startswith("/accounts/login/")
    # Alone in the organisation: its monitors stop, but nothing is deleted yet.
    running.refresh_from_db()
    assert running.paused
    after = counts_for_organization(organization.id)
    assert after["audit_events"] == before["audit_events"] + 1  # user.deletion_requested
    assert {k: v for k, v in after.items() if k != "audit_events"} == {
        k: v for k, v in before.items() if k != "audit_events"
    }
    links = deletion_links(mailoutbox, mallory.email)
    assert set(links) == {"confirm", "restore"}


def test_data_04_restore_within_the_grace_period_brings_the_account_and_its_monitors_back(mallory, mailoutbox) -> None:
    organization = organization_of(mallory)
    monitor_create(organization=organization, name="Orders", url="https://api.example.com/orders")
    paused_by_hand = monitor_create(organization=organization, name="Old", url="https://api.example.com/old")
    Monitor.objects.filter(id=paused_by_hand.id).update(paused=True)
    request_deletion(mallory)
    links = deletion_links(mailoutbox, mallory.email)
    assert Client().post(links["confirm"]).status_code == 200  # even a confirmed deletion can be undone

    page = Client().get(links["restore"])  # a mail scanner's GET changes nothing
    assert page.status_code == 200
    assert not User.objects.get(id=mallory.id).is_active
    assert Client().post(links["restore"]).status_code == 200

    mallory.refresh_from_db()
    assert mallory.is_active and mallory.deletion_requested_at is None and not mallory.deletion_token
    assert can_log_in(mallory.email)
    assert dict(Monitor.objects.filter(organization=organization).values_list("name", "paused")) == {
        "Orders": False,
        "Old": True,  # it was paused before the request: the restore leaves it paused
    }
    # A restored account is not purged, even with an old confirmation in hand.
    assert deleted_accounts_purge(now=timezone.now() + GRACE * 2) == 0
    assert User.objects.filter(id=mallory.id).exists()
    # The links of that request are dead now.
    assert Client().post(links["confirm"]).status_code == 400


def test_data_04_hard_deletion_waits_for_the_grace_period_and_a_confirmation(alice, mallory, mailoutbox) -> None:
    populate(organization_of(alice), monitors=2)
    populate(organization_of(mallory), monitors=2)
    alice_before = counts_for_organization(organization_of(alice).id)
    mallory_org = organization_of(mallory).id
    request_deletion(mallory)
    now = timezone.now()

    # Unconfirmed: blocked, never hard-deleted, however long it waits.
    assert deleted_accounts_purge(now=now + GRACE * 3) == 0
    assert User.objects.filter(id=mallory.id).exists()

    assert Client().post(deletion_links(mailoutbox, mallory.email)["confirm"]).status_code == 200
    assert deleted_accounts_purge(now=now + GRACE - timedelta(hours=1)) == 0
    assert User.objects.filter(id=mallory.id).exists()

    assert deleted_accounts_purge(now=now + GRACE + timedelta(minutes=1)) == 1
    assert not User.objects.filter(id=mallory.id).exists()
    assert all(count == 0 for count in counts_for_organization(mallory_org).values())
    assert counts_for_organization(organization_of(alice).id) == alice_before


def test_data_04_a_row_flagged_without_a_valid_signed_token_is_never_hard_deleted(alice, bob, mallory, caplog) -> None:
    long_ago = timezone.now() - GRACE * 2
    # A bug or a bad data fix marks accounts as deleted: no token, a forged one, one of another user,
    # one of an earlier request.
    flagged = {
        alice.id: "",
        bob.id: "forged:token",
        mallory.id: signing.dumps({"u": alice.id, "r": long_ago.isoformat()}, salt=CONFIRM_SALT),
    }
    for user_id, token in flagged.items():
        User.objects.filter(id=user_id).update(
            is_active=False, deletion_requested_at=long_ago, deletion_confirmed_at=long_ago, deletion_token=token
        )
    earlier = signing.dumps({"u": alice.id, "r": (long_ago - timedelta(days=1)).isoformat()}, salt=CONFIRM_SALT)
    User.objects.filter(id=alice.id).update(deletion_token=earlier)

    with caplog.at_level(logging.ERROR, logger="accounts.services.account_deletion"):
        assert deleted_accounts_purge() == 0

    assert User.objects.filter(id__in=flagged).count() == 3
    refused = [r for r in caplog.records if "account purge refused" in r.getMessage()]
    assert len(refused) == 3


def test_data_04_deletion_links_are_signed_and_expire(mallory, mailoutbox) -> None:
    request_deletion(mallory)
    links = deletion_links(mailoutbox, mallory.email)

    tampered = links["confirm"].replace(links["confirm"].split("/")[-2], links["confirm"].split("/")[-2][:-2] + "xx")
    response = Client().post(tampered)
    assert response.status_code == 400
    assert b"not valid" in response.content
    # A restore token does not confirm, and the other way round (different salts).
    swapped = links["confirm"].replace("/confirm/", "/restore/")
    assert Client().post(swapped).status_code == 400
    mallory.refresh_from_db()
    assert mallory.deletion_confirmed_at is None and not mallory.is_active


def test_data_04_deletion_of_a_member_keeps_the_organisation_running(alice, bob, mailoutbox) -> None:
    organization = organization_of(alice)
    monitor = monitor_create(organization=organization, name="Orders", url="https://api.example.com/orders")

    request_deletion(alice)

    monitor.refresh_from_db()
    assert not monitor.paused  # bob is still there: the organisation keeps working
    assert Membership.objects.get(organization=organization, user=bob).role == Membership.Role.OWNER
