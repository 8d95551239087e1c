"""Chatting with the bot from the console's simulator, as an Arabic-speaking parent would."""

from __future__ import annotations

from playwright.async_api import expect

from tests.support.browser import Console, chromium, console, console_server
from tests.support.server import RunningServer

__all__ = ["chromium", "console", "console_server"]


async def test_an_arabic_chat_in_the_simulator_reads_right_to_left(
    console: Console, console_server: RunningServer
) -> None:
    await console.sign_in()
    await console.page.goto(console.url("/admin/simulator"))
    await console.page.select_option("#sim-language", "ar")
    await console.page.fill("#sim-text", "متى الجلسة القادمة؟")
    await console.page.click("#sim-send")

    reply = console.page.locator("#sim-transcript .bubble.out").last
    await expect(reply).to_be_visible()
    await expect(reply).to_contain_text("الجلس")
    await expect(console.page.locator("#sim-transcript")).to_have_attribute("dir", "rtl")
    await expect(console.page.locator("#sim-transcript")).to_contain_text("SMS")
    await expect(console.page.locator("#sim-transcript")).to_contain_text("Telegram")
    await console.screenshot("simulator")
    assert console_server.telegram.sent == [] and console_server.twilio.sent == [], (
        "the simulator's replies reach no provider"
    )
