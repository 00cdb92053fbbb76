"""A team in a real browser: alice invites carol, carol signs up through the emailed link, joins,
switches to alice's organisation and sees its monitors; then alice removes her.

Debian's Chromium, driven by Playwright's sync API, against pytest-django's live server.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from accounts.models import Membership
from conftest import make_user, organization_of
from monitors.services import monitor_create
from tests.browser.chromium import new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALICE_PASSWORD = "correct horse battery"
CAROL = "carol@example.com"
CAROL_PASSWORD = "a long enough passphrase 42"


def log_in(page: Page, email: str, password: str) -> None:
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").click()


def switch_to(page: Page, name: str) -> None:
    page.select_option("#org-switcher-select", label=name)
    page.locator("#org-switcher button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text(name)


def test_invite_sign_up_accept_switch_and_be_removed(browser: Browser, live_server, mailoutbox) -> None:
    alice = make_user(email="alice@example.com", password=ALICE_PASSWORD, organization_name="Alice Inc")
    monitor_create(organization=organization_of(alice), name="Alice orders API", url="http://127.0.0.1:9/orders")

    # alice invites carol from the Members page.
    alice_page = new_page(browser)
    alice_page.goto(f"{live_server.url}/accounts/login/")
    log_in(alice_page, "alice@example.com", ALICE_PASSWORD)
    alice_page.wait_for_url(f"{live_server.url}/")
    alice_page.locator("nav a", has_text="Members").click()
    alice_page.fill("input[name=email]", CAROL)
    alice_page.select_option("select[name=role]", "member")
    alice_page.locator("button", has_text="Send invitation").click()
    expect(alice_page.locator(".flash-success")).to_contain_text(f"Invitation sent to {CAROL}")
    expect(alice_page.locator("#invitation-table")).to_contain_text(CAROL)

    assert len(mailoutbox) == 1 and mailoutbox[0].to == [CAROL]
    invite_link = re.search(r"https?://\S+/invitations/[A-Za-z0-9_-]+/", mailoutbox[0].body).group(0)
    invite_path = "/" + invite_link.split("/", 3)[3]

    # carol opens the link (on the live server), signs up, confirms her address, logs in.
    carol_page = new_page(browser)
    carol_page.goto(f"{live_server.url}{invite_path}")
    expect(carol_page.locator("main h1")).to_contain_text("Join Alice Inc")
    carol_page.locator("main a", has_text="Sign up").click()
    carol_page.fill("input[name=email]", CAROL)
    carol_page.fill("input[name=password1]", CAROL_PASSWORD)
    carol_page.fill("input[name=password2]", CAROL_PASSWORD)
    carol_page.locator("main form button[type=submit]").click()
    expect(carol_page.locator("main h1")).to_contain_text("Verify Your Email Address")
    confirm = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mailoutbox[-1].body).group(0)
    carol_page.goto(confirm)
    carol_page.locator("main form button[type=submit]").click()

    carol_page.goto(f"{live_server.url}{invite_path}")
    carol_page.locator("main a", has_text="Log in").click()
    log_in(carol_page, CAROL, CAROL_PASSWORD)
    carol_page.wait_for_url(f"{live_server.url}{invite_path}")
    carol_page.locator("button", has_text="Accept invitation").click()
    carol_page.wait_for_url(f"{live_server.url}/")
    expect(carol_page.locator(".flash-success")).to_contain_text("Welcome to Alice Inc")

    # The switcher lists both organisations; carol's own has no monitors, alice's has one.
    switcher = carol_page.locator("#org-switcher-select")
    expect(switcher.locator("option")).to_have_count(2)
    expect(switcher).to_contain_text("Alice Inc")
    own = next(m.organization.name for m in Membership.objects.filter(user__email=CAROL, role="owner"))
    switch_to(carol_page, own)
    expect(carol_page.locator("main")).not_to_contain_text("Alice orders API")
    switch_to(carol_page, "Alice Inc")
    expect(carol_page.locator("main")).to_contain_text("Alice orders API")

    # alice removes carol; carol's next page no longer shows alice's organisation or monitors.
    alice_page.goto(f"{live_server.url}/settings/members/")
    row = alice_page.locator("#member-table tbody tr", has_text=CAROL)
    row.locator("button", has_text="Remove").click()
    expect(alice_page.locator(".flash-success")).to_contain_text(f"{CAROL} is removed")
    expect(alice_page.locator("#member-table")).not_to_contain_text(CAROL)
    assert not Membership.objects.filter(user__email=CAROL, organization=organization_of(alice)).exists()

    carol_page.goto(f"{live_server.url}/")
    expect(carol_page.locator("main")).not_to_contain_text("Alice orders API")
    expect(carol_page.locator("#org-switcher-select option")).to_have_count(1)
    expect(carol_page.locator("#org-switcher-select")).not_to_contain_text("Alice Inc")
