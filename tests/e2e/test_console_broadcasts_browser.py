"""A trilingual announcement from the browser: counted while typed, priced, watched arriving.

The counter and the progress are the page's own script talking to the server; the test
proves they update without a reload by leaving a mark on the window that a navigation
would wipe.
"""

from __future__ import annotations

import re

from playwright.async_api import Browser, expect

from bot.messages import ChannelName
from bot.runtime import Runtime
from tests.support.browser import PHONE, Console, chromium, console, console_server, console_tab
from tests.support.console_people import add_person
from tests.support.server import RunningServer

__all__ = ["chromium", "console", "console_server"]

ENGLISH = "Family reading night moved to the library, Friday 6 pm."
SPANISH = "La noche de lectura familiar pasa a la biblioteca, el viernes."
ARABIC = "أمسية القراءة العائلية انتقلت إلى المكتبة يوم الجمعة الساعة السادسة مساء"
LOCALES = ("en", "es", "ar")


async def test_an_organizer_sends_a_trilingual_announcement_and_watches_it_arrive(
    console: Console, console_server: RunningServer, runtime: Runtime
) -> None:
    for n in range(6):
        await add_person(runtime, ChannelName.TELEGRAM, str(8000 + n), locale=LOCALES[n % 3])
        await add_person(runtime, ChannelName.SMS, f"+1555030{n:04d}", locale=LOCALES[n % 3])
    page = console.page
    await console.sign_in()
    await page.goto(console.url("/admin/broadcasts"))
    await page.click("#new-broadcast")

    await page.fill("#text-en", ENGLISH)
    await expect(page.locator("#count-en")).to_have_text(
        f"{len(ENGLISH)} characters · GSM-7 · 1 SMS segment"
    )
    await expect(page.locator("#count-es")).to_contain_text("gets the English one")
    await page.fill("#text-es", SPANISH)
    await expect(page.locator("#count-es")).to_have_text(
        f"{len(SPANISH)} characters · GSM-7 · 1 SMS segment"
    )
    await page.fill("#text-ar", ARABIC)
    await expect(page.locator("#count-ar")).to_contain_text("Unicode (UCS-2) · 2 SMS segments")
    await expect(page.locator("#text-ar")).to_have_attribute("dir", "rtl")
    await console.screenshot("broadcast-compose")

    await page.click("#preview-button")
    await expect(page).to_have_url(re.compile(r"/admin/broadcasts/\d+$"))
    await expect(page.locator("#recipients-total")).to_have_text("12")
    # 2 English and 2 Spanish SMS in one segment, 2 Arabic in two.
    await expect(page.locator("#sms-segments")).to_have_text("8")
    price = console_server.services.settings.sms_price_per_segment
    await expect(page.locator("#cost")).to_have_text(f"${8 * price:.4f}")
    await console.screenshot("broadcast-preview")

    await page.click("#send-button")
    await expect(page.locator("#progress")).to_be_visible()
    await page.evaluate("window.stillThisPage = true")
    await expect(page.locator("#progress-percent")).to_have_text("100%", timeout=30_000)
    await expect(page.locator("#broadcast-status")).to_have_attribute(
        "data-status", "done", timeout=30_000
    )
    assert await page.evaluate("window.stillThisPage === true"), "the page was reloaded"
    await expect(page.locator("#progress-failed")).to_have_text("0")
    await expect(page.locator("#cancel-form")).to_be_hidden()
    await console.screenshot("broadcast-progress")
    assert len(console_server.telegram.sent) == 6
    assert len(console_server.twilio.sent) == 6


async def test_the_compose_form_fits_a_phone_screen(
    console_server: RunningServer, chromium: Browser
) -> None:
    async with console_tab(console_server, chromium, "phone", viewport=PHONE) as phone:
        await phone.sign_in()
        await phone.page.goto(phone.url("/admin/broadcasts/new"))
        await expect(phone.page.locator("#text-ar")).to_be_visible()
        overflow = await phone.page.evaluate(
            "document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0, f"the page is {overflow}px wider than the phone"
