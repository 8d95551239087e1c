"""A few hundred subscribers from the browser: one broadcast watched to 100 %, one cancelled
while it is on its way."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from bot.messages import ChannelName
from bot.runtime import Runtime
from tests.support.browser import Console, chromium, console, console_server
from tests.support.console_people import add_person
from tests.support.server import RunningServer

__all__ = ["chromium", "console", "console_server"]

PEOPLE = 300
LOCALES = ("en", "es", "ar")


async def compose_and_preview(page: Page, console: Console, words: str) -> None:
    await page.goto(console.url("/admin/broadcasts/new"))
    await page.fill("#text-en", f"{words} this Friday at the library.")
    await page.fill("#text-es", f"{words}: este viernes en la biblioteca.")
    await page.fill("#text-ar", f"{words}: يوم الجمعة في المكتبة.")
    await page.click("#preview-button")
    await expect(page).to_have_url(re.compile(r"/admin/broadcasts/\d+$"))
    await expect(page.locator("#recipients-total")).to_have_text(str(PEOPLE))


async def test_a_broadcast_to_hundreds_reaches_everyone_and_another_is_cancelled_midway(
    console: Console, console_server: RunningServer, runtime: Runtime
) -> None:
    for n in range(PEOPLE):
        await add_person(runtime, ChannelName.TELEGRAM, str(700_000 + n), locale=LOCALES[n % 3])
    page = console.page
    await console.sign_in()

    # Telegram's 30 messages a second: the first takes about ten seconds to arrive.
    await compose_and_preview(page, console, "Family reading night")
    await page.click("#send-button")
    await expect(page.locator("#progress-percent")).to_have_text("100%", timeout=60_000)
    await expect(page.locator("#progress-sent")).to_have_text(str(PEOPLE))
    assert len(console_server.telegram.sent) == PEOPLE

    await compose_and_preview(page, console, "Reminder")
    await page.click("#send-button")
    await expect(page.locator("#progress-sent")).not_to_have_text("0")
    await page.click("#cancel-button")
    await expect(page.locator("#result")).to_contain_text("will not be sent")
    await expect(page.locator("#broadcast-status")).to_have_attribute("data-status", "cancelled")
    await console.screenshot("broadcast-cancelled")
    cancelled = int(re.sub(r"\D", "", await page.locator("#progress-cancelled").inner_text()))
    assert 0 < cancelled < PEOPLE
    second = len(console_server.telegram.sent) - PEOPLE
    assert second + cancelled <= PEOPLE, "nothing cancelled was sent"
