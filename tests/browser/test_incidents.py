"""Incidents in a real browser: a local target goes down, the incident is listed, a member
acknowledges it and comments on the page, and the timeline shows both; the rule form shows only
the chosen condition's fields (CSP strict: the script is a static file)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from alerts.models import Incident
from alerts.services import status_changes_process
from checks.services import check_execute
from conftest import make_user, organization_of
from monitors.services import monitor_create
from tests.browser.chromium import new_page
from tests.servers import HttpTarget

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"
COLLECT_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(e.violatedDirective));
"""


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}/")


def test_outage_is_listed_acknowledged_and_commented_in_the_page(
    page: Page, live_server, http_target: HttpTarget
) -> None:
    user = make_user(email="erin@example.com", password=PASSWORD, organization_name="Erin Ops")
    monitor = monitor_create(
        organization=organization_of(user), name="Checkout API", url=f"{http_target.url}/health", failure_threshold=2
    )
    http_target.set_reply(status=503)
    due = monitor.next_check_at
    for n in range(2):  # two failed runs in a row: DOWN
        check_execute(monitor=monitor, due_at=due + timedelta(minutes=n), sleep=lambda s: None)
    status_changes_process()
    incident = Incident.objects.get(monitor=monitor)

    log_in(page, live_server.url, user.email)
    page.get_by_role("link", name="Incidents").click()
    row = page.locator(f"#incident-table tr[data-incident-id='{incident.id}']")
    expect(row).to_contain_text("Checkout API")
    expect(row).to_contain_text("open")
    page.locator("#incident-filters select[name=state]").select_option("resolved")
    page.locator("#incident-filters button[type=submit]").click()
    expect(page.locator("#incident-table")).to_have_count(0)
    page.locator("#incident-filters select[name=state]").select_option("open")
    page.locator("#incident-filters button[type=submit]").click()
    row.get_by_role("link", name="Checkout API").click()

    timeline = page.locator("#incident-timeline")
    expect(timeline.locator("li[data-kind=opened]")).to_contain_text("503")
    page.locator("#incident-acknowledge").click()
    expect(page.locator("#incident-state")).to_contain_text("acknowledged")
    expect(timeline.locator("li[data-kind=acknowledged]")).to_contain_text("erin@example.com")
    page.fill("#id_body", "Rolling back release 42")
    page.locator("#incident-comment").click()
    expect(timeline.locator("li[data-kind=comment]")).to_contain_text("Rolling back release 42")
    expect(page.locator("#incident-tta")).not_to_have_text("—")

    incident.refresh_from_db()
    assert incident.acknowledged_at is not None
    assert list(incident.events.values_list("kind", flat=True))[-2:] == ["acknowledged", "comment"]


def test_rule_form_shows_only_the_chosen_conditions_fields(browser: Browser, live_server) -> None:
    page = new_page(browser, init_script=COLLECT_CSP)
    user = make_user(email="finn@example.com", password=PASSWORD, organization_name="Finn Ops")
    log_in(page, live_server.url, user.email)
    page.goto(f"{live_server.url}/alerts/rules/new/")
    form = page.locator("#rule-form")
    form.locator("select[name=condition]").select_option("latency")
    expect(form.locator("#id_threshold_ms")).to_be_visible()
    expect(form.locator("#id_slo_percent")).to_be_hidden()
    form.locator("select[name=condition]").select_option("uptime")
    expect(form.locator("#id_slo_percent")).to_be_visible()
    expect(form.locator("#id_threshold_ms")).to_be_hidden()
    expect(form.locator("#id_window_minutes")).to_be_visible()
    form.locator("select[name=condition]").select_option("down")
    expect(form.locator("legend", has_text="When")).to_be_hidden()  # nothing to ask for a plain outage
    form.locator("select[name=condition]").select_option("uptime")
    form.locator("#id_slo_percent").fill("99.5")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/alerts/rules/")
    expect(page.locator("#rule-table-defaults")).to_contain_text("99.5 %")
    assert page.evaluate("window.__cspViolations") == []
