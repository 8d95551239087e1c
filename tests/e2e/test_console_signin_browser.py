"""Signing in to the console in a real browser, on a desk and on a phone."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.support.browser import PHONE, Console, chromium, console, console_server, console_tab
from tests.support.server import RunningServer

__all__ = ["chromium", "console", "console_server"]


async def test_a_wrong_password_is_refused_and_the_right_one_opens_the_dashboard(
    console: Console,
) -> None:
    await console.page.goto(console.url("/admin/subscribers"))
    await expect(console.page).to_have_url(console.url("/admin/login?next=/admin/subscribers"))
    await console.screenshot("sign-in")
    await console.sign_in("not the password")
    await expect(console.page.locator("#login-error")).to_be_visible()
    await console.sign_in()
    await expect(console.page).to_have_url(console.url("/admin/subscribers"))
    await expect(console.page.locator("nav a[aria-current=page]")).to_have_text("Subscribers")


async def test_the_console_fits_a_phone_screen(
    console_server: RunningServer, chromium: Browser
) -> None:
    async with console_tab(console_server, chromium, "phone", viewport=PHONE) as phone:
        await phone.sign_in()
        await expect(phone.page.locator("nav")).to_be_visible()
        overflow = await phone.page.evaluate(
            "document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0, f"the page is {overflow}px wider than the phone"


async def test_the_console_switches_to_spanish(console: Console) -> None:
    await console.sign_in()
    await console.page.click("a[lang=es]")
    await expect(console.page.locator("html")).to_have_attribute("lang", "es")
