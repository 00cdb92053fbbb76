"""A new user's first minutes, in a real browser: sign up, verify, log in, add a monitor, see it.

Debian's Chromium, driven by Playwright's sync API, against pytest-django's live server.
The check target is a real HTTP server on 127.0.0.1 (ALLOW_PRIVATE_TARGETS is on in tests).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from checks.services import check_execute
from monitors.models import Monitor
from tests.servers import HttpTarget

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "carol@example.com"
PASSWORD = "a long enough passphrase 42"


def submit(page: Page) -> None:
    page.locator("main form button[type=submit]").click()


def test_signup_verify_login_create_monitor_and_see_it_on_the_dashboard(
    page: Page, live_server, mailoutbox, http_target: HttpTarget
) -> None:
    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    submit(page)
    expect(page.locator("main h1")).to_contain_text("Verify Your Email Address")

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [EMAIL]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mailoutbox[0].body).group(0)
    page.goto(link)
    expect(page.locator("main")).to_contain_text(EMAIL)
    submit(page)  # allauth confirms on POST only (ACCOUNT_CONFIRM_EMAIL_ON_GET is False)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    submit(page)
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator("main")).to_contain_text("No monitors yet")

    page.goto(f"{live_server.url}/monitors/new/")
    page.fill("input[name=name]", "Local health")
    page.fill("input[name=url]", f"{http_target.url}/health")
    page.fill("textarea[name=headers]", "Accept: application/json")
    page.fill("input[name=interval_seconds]", "60")
    submit(page)
    expect(page.locator("main h1")).to_contain_text("Local health")
    expect(page.locator(".flash-success")).to_contain_text("created")

    page.goto(f"{live_server.url}/")
    row = page.locator("#monitor-table tbody tr", has_text="Local health")
    expect(row).to_be_visible()
    expect(row.locator(".badge")).to_have_text("pending")

    # One check, run as the worker would, turns the badge green and fills in the numbers.
    monitor = Monitor.objects.get(name="Local health")
    assert monitor.organization.memberships.get().user.email == EMAIL
    check_execute(monitor=monitor, due_at=monitor.next_check_at)
    page.reload()
    expect(row.locator(".badge")).to_have_text("up")
    expect(row).to_contain_text("100.00 %")
    assert http_target.requests[-1].headers.get("Accept") == "application/json"

    # The detail page draws the latency chart from the vendored uPlot.
    row.locator("a", has_text="Local health").click()
    expect(page.locator("#latency-chart canvas")).to_be_visible()
    expect(page.locator("#results-table tbody tr")).to_have_count(1)
