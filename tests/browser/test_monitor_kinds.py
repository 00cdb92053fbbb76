"""The monitor form in a real browser: each kind shows only its fields; a TCP monitor's failure reason reaches its page.

Debian's Chromium, driven by Playwright's sync API, against pytest-django's live server. The
check runs synchronously in the test process (check_execute), as a worker would; the browser
only views the pages. The TCP target is a closed port on 127.0.0.1.
"""

from __future__ import annotations

import socket

import pytest
from playwright.sync_api import Page, expect

from checks.services import check_execute
from monitors.models import Monitor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"  # conftest.make_user's default

# For each kind: fields that must be visible, and fields of other kinds that must be hidden.
VISIBLE = {
    "http": (
        ["url", "method", "headers", "auth_kind", "expected_status", "interval_seconds"],
        ["host", "period_seconds"],
    ),
    "tcp": (["host", "port", "interval_seconds", "degraded_latency_ms"], ["url", "record_type", "period_seconds"]),
    "ping": (["host", "ping_count"], ["port", "url", "days_before_expiry"]),
    "dns": (["host", "record_type", "expected", "dns_resolver"], ["port", "url", "ping_count"]),
    "tls": (["host", "port", "days_before_expiry"], ["url", "record_type", "degraded_latency_ms"]),
    "heartbeat": (["period_seconds", "grace_seconds"], ["url", "host", "interval_seconds", "timeout_seconds"]),
}


def log_in(page: Page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")


def field(page: Page, name: str):  # noqa: ANN201 - a Playwright Locator
    return page.locator(f"#monitor-form [name={name}]").first


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_monitor_form_shows_only_the_chosen_kinds_fields(page: Page, live_server, alice) -> None:
    log_in(page, live_server, alice.email)
    page.goto(f"{live_server.url}/monitors/new/")
    expect(field(page, "url")).to_be_visible()  # http by default

    for kind, (shown, hidden) in VISIBLE.items():
        page.select_option("#monitor-form select[name=kind]", kind)
        for name in shown:
            expect(field(page, name)).to_be_visible()
        for name in hidden:
            expect(field(page, name)).to_be_hidden()
        expect(field(page, "name")).to_be_visible()
        expect(field(page, "failure_threshold")).to_be_visible()


def test_tcp_monitor_against_a_closed_port_shows_why_it_is_down(page: Page, live_server, alice) -> None:
    port = closed_port()
    log_in(page, live_server, alice.email)
    page.goto(f"{live_server.url}/monitors/new/")
    field(page, "name").fill("Closed port")
    page.select_option("#monitor-form select[name=kind]", "tcp")
    field(page, "host").fill("127.0.0.1")
    field(page, "port").fill(str(port))
    field(page, "timeout_seconds").fill("3")
    field(page, "failure_threshold").fill("1")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main h1")).to_contain_text("Closed port")
    expect(page.locator("#monitor-target")).to_have_text(f"127.0.0.1:{port}")

    monitor = Monitor.objects.get(name="Closed port")
    assert (monitor.kind, monitor.host, monitor.port, monitor.url) == ("tcp", "127.0.0.1", port, "")
    result = check_execute(monitor=monitor, due_at=monitor.next_check_at)
    assert not result.ok and result.error
    monitor.refresh_from_db()
    assert monitor.state == Monitor.State.DOWN

    page.reload()
    expect(page.locator("h1 .badge")).to_have_text("down")
    expect(page.locator("#why-down")).to_contain_text("Why it is down:")
    expect(page.locator("#why-down")).to_contain_text(monitor.last_error)
    expect(page.locator("#results-table tbody tr").first).to_contain_text(result.error)

    page.goto(f"{live_server.url}/")
    row = page.locator("#monitor-table tbody tr", has_text="Closed port")
    expect(row).to_contain_text(f"127.0.0.1:{port}")
    expect(row.locator(".badge")).to_have_text("down")
