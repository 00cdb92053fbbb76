"""The Content-Security-Policy in a real browser: no page of ours trips it.

Chromium reports every blocked script, style, image or form target as a
`securitypolicyviolation` event and a console error; both are collected and must stay empty
on the dashboard, the monitor detail page (uPlot chart), the TOTP set-up page (QR code as a
data: image) and the API docs (Swagger UI).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from checks.services import check_execute
from conftest import make_user, organization_of
from monitors.services import monitor_create
from tests.browser.chromium import new_page
from tests.servers import HttpTarget

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"
COLLECT = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def page(browser: Browser) -> Page:
    return new_page(browser, init_script=COLLECT)


def violations(page: Page) -> list[str]:
    return page.evaluate("window.__cspViolations")


def test_no_csp_violation_on_dashboard_monitor_chart_totp_setup_and_api_docs(
    page: Page, live_server, http_target: HttpTarget
) -> None:
    console_errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    user = make_user(email="dora@example.com", password=PASSWORD)
    monitor = monitor_create(organization=organization_of(user), name="Local health", url=f"{http_target.url}/health")
    check_execute(monitor=monitor, due_at=monitor.next_check_at)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator("#monitor-table")).to_contain_text("Local health")
    assert violations(page) == []

    page.goto(f"{live_server.url}/monitors/{monitor.id}/")
    expect(page.locator("#latency-chart canvas")).to_be_visible()
    assert violations(page) == []

    page.goto(f"{live_server.url}/accounts/2fa/totp/activate/")
    page.fill("input[name=password]", PASSWORD)  # setting up MFA asks for the password again
    page.locator("main form button[type=submit]").click()
    qr = page.locator("main img[src^='data:image/svg+xml']")
    expect(qr).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth > 0", qr.element_handle())
    assert violations(page) == []

    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info")).to_be_visible()
    assert violations(page) == []

    assert [text for text in console_errors if "Content Security Policy" in text] == []

    # The collector works: an inline style the policy refuses is reported (nothing is fetched).
    page.goto(f"{live_server.url}/settings/account/")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<style>body{color:red}</style>')")
    for _ in range(50):
        if violations(page):
            break
        page.wait_for_timeout(100)
    assert violations(page)[0].startswith("style-src")
