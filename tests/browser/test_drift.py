"""The Contract section in a real browser: the diff's colours (removed red, added green, retyped both) and the
accept button, under the strict CSP (no inline styles or scripts: no CSP violation)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from checks.models import ContractBaseline, DriftEvent
from checks.tests.drift.helpers import respond, tracked_monitor
from conftest import make_user, organization_of
from tests.browser.test_incidents import PASSWORD, log_in
from tests.servers import HttpTarget

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RED_BG, RED = "rgb(254, 226, 226)", "rgb(185, 28, 28)"  # --down-bg, --down
GREEN_BG, GREEN = "rgb(220, 252, 231)", "rgb(21, 128, 61)"  # --up-bg, --up


def test_contract_diff_colours_and_accept(page: Page, live_server, http_target: HttpTarget) -> None:
    user = make_user(email="gail@example.com", password=PASSWORD, organization_name="Gail Ops")
    monitor = tracked_monitor(organization_of(user), http_target, contract_baseline_samples=2)
    respond(monitor, http_target, {"id": 1, "status": "paid", "total": 12.5}, times=2)
    respond(monitor, http_target, {"id": 1, "total": "12.50", "currency": "EUR"}, times=2)
    event = DriftEvent.objects.get()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))

    log_in(page, live_server.url, user.email)
    page.goto(f"{live_server.url}/monitors/{monitor.id}/")
    panel = page.locator("#contract-panel")
    expect(panel.locator("#contract-status")).to_contain_text("version 1")
    expect(panel.locator("#contract-tree")).to_contain_text("status")
    diff = panel.locator(f"#drift-event-{event.id} table.drift-diff")

    removed = diff.locator("tr[data-change=removed] td").nth(2)
    expect(removed).to_have_text("string")
    expect(removed).to_have_css("background-color", RED_BG)
    expect(removed).to_have_css("color", RED)
    added = diff.locator("tr[data-change=added] td").nth(3)
    expect(added).to_have_text("string")
    expect(added).to_have_css("background-color", GREEN_BG)
    expect(added).to_have_css("color", GREEN)
    retyped = diff.locator("tr[data-change=type_changed] td")
    expect(retyped.nth(2)).to_have_text("number")
    expect(retyped.nth(2)).to_have_css("background-color", RED_BG)
    expect(retyped.nth(3)).to_have_text("string")
    expect(retyped.nth(3)).to_have_css("background-color", GREEN_BG)

    page.locator(f"#accept-{event.id}").click()
    expect(page.locator("#contract-status")).to_contain_text("version 2 (Accepted)")
    expect(page.locator(f"#drift-event-{event.id}")).to_contain_text("by gail@example.com")
    expect(page.locator(f"#accept-{event.id}")).to_have_count(0)
    expect(page.locator("#baseline-history tbody tr")).to_have_count(2)
    assert ContractBaseline.objects.get(monitor=monitor, status="active").version == 2
    assert [text for text in errors if "Content Security Policy" in text] == []
