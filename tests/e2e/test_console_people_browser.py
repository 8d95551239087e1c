"""The dashboard and the subscribers pages in a real browser, with a week of traffic."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import expect

from bot.messages import Address, ChannelName
from bot.outbox import Status
from bot.runtime import Runtime
from tests.support.browser import Console, chromium, console, console_server
from tests.support.console_people import add_inbound, add_outbound, add_person

__all__ = ["chromium", "console", "console_server"]

NUMBER = "+15550104567"


async def seed_a_week(runtime: Runtime) -> None:
    now = runtime.clock()
    people = [
        (ChannelName.SMS, NUMBER, "Rosa Pérez", "es"),
        (ChannelName.TELEGRAM, "81234567", "Fatima", "ar"),
        (ChannelName.SMS, "+15550109999", "John", "en"),
    ]
    for day in range(7):
        for channel, address, name, locale in people:
            at = now - timedelta(days=day, hours=1)
            contact = await add_person(runtime, channel, address, name=name, locale=locale)
            for _ in range(day + 1):
                await add_inbound(runtime, contact, channel, "when is the next session?", at)
                await add_outbound(
                    runtime, contact, Address(channel, address), "Thursday 5 pm.", Status.SENT, at
                )


async def test_the_dashboard_charts_the_week_and_subscribers_show_only_masked_numbers(
    console: Console, runtime: Runtime
) -> None:
    await seed_a_week(runtime)
    page = console.page
    await console.sign_in()
    await expect(page.locator("#subscribers-total")).to_have_text("3")
    await expect(page.locator("svg.chart")).to_be_visible()
    await console.screenshot("dashboard")

    await page.goto(console.url("/admin/subscribers"))
    await page.fill("#q", "4567")
    await page.press("#q", "Enter")
    results = page.locator("#results")
    await expect(results).to_contain_text("Rosa Pérez")
    assert NUMBER not in await page.content()
    await console.screenshot("subscribers")
    await results.locator("tr", has_text="Rosa Pérez").locator("a").click()
    await expect(page.locator("#masked-address")).to_contain_text("4567")
    await expect(page.locator("#timeline")).to_contain_text("when is the next session?")
    assert NUMBER not in await page.content()
    await console.screenshot("subscriber")
