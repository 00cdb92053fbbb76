"""Playwright driving Debian's Chromium (Playwright's own browser download does not work here)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def new_page(browser: Browser, *, init_script: str | None = None) -> Page:
    """A page in a fresh context (its own cookies), 15 s timeouts; closed with the browser."""
    context = browser.new_context()
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page
