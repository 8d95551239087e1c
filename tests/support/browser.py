"""Debian's chromium driven by Playwright, against `serve`'s app with the fake providers.

Playwright's own browser download cannot work here, so the browser is the system's
(`/usr/bin/chromium`, installed by scripts/test.sh; CHROMIUM_PATH points elsewhere). Without
it the browser tests skip with the reason, except under CI=true, where they fail.
With CONSOLE_SCREENSHOTS=<dir>, the tests save a screenshot of each page they visit there
(`scripts/screenshots.sh` refreshes docs/screenshots/ this way).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from bot.runtime import Runtime
from tests.support.required import missing
from tests.support.server import ADMIN_PASSWORD, RunningServer, running_server

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# Headless, no sandbox (root in a container), and nothing that reaches for Google's
# hosts: this machine refuses outside connections, and the loopback guard would too.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"no chromium at {CHROMIUM}: `apt-get install chromium` (scripts/test.sh does)"
    missing(reason)


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    require_chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class Console:
    """A browser tab on the console of a running server."""

    server: RunningServer
    page: Page
    database: str

    def url(self, path: str) -> str:
        return self.server.url + path

    async def sign_in(self, password: str = ADMIN_PASSWORD) -> None:
        """Type the password into the sign-in page (going there first if elsewhere)."""
        if "/admin/login" not in self.page.url:
            await self.page.goto(self.url("/admin/login"))
        await self.page.fill("#password", password)
        await self.page.click("button[type=submit]")

    async def screenshot(self, name: str) -> None:
        """Keep a picture of the page for the README (once, from the SQLite run)."""
        folder = os.environ.get("CONSOLE_SCREENSHOTS")
        if not folder or self.database != "sqlite":
            return
        # Playwright creates the folder.
        await self.page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@asynccontextmanager
async def console_tab(
    server: RunningServer, browser: Browser, database: str, *, viewport: dict[str, int] = DESKTOP
) -> AsyncIterator[Console]:
    context = await browser.new_context(viewport=viewport, locale="en-US")
    context.set_default_timeout(10_000)
    try:
        yield Console(server, await context.new_page(), database)
    finally:
        await context.close()


@pytest.fixture
async def console_server(runtime: Runtime) -> AsyncIterator[RunningServer]:
    async with running_server(runtime) as running:
        yield running


@pytest.fixture
async def console(
    console_server: RunningServer, chromium: Browser, database_url: str
) -> AsyncIterator[Console]:
    """A desktop browser tab on the console, not yet signed in."""
    async with console_tab(console_server, chromium, database_url.split("+")[0]) as tab:
        yield tab
