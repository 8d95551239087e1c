"""The catalog pages in a real browser: moving a session on a desk, reading them on a phone."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, expect

from bot.runtime import Runtime
from bot.store import catalog_repo
from catalog.models import Catalog, Localized, Session
from tests.conftest import NOW
from tests.support.browser import PHONE, Console, chromium, console, console_server, console_tab
from tests.support.server import RunningServer

__all__ = ["chromium", "console", "console_server"]

LA = ZoneInfo("America/Los_Angeles")
SESSION = Session(
    id="family-voice-2026",
    starts_at=datetime(2026, 12, 10, 17, 30, tzinfo=LA).astimezone(UTC),
    timezone="America/Los_Angeles",
    duration_minutes=90,
    title=Localized({"en": "Family Voice", "es": "La voz de las familias"}),
    summary=Localized({"en": "How parents shape decisions."}),
    link=Localized({"en": "https://example.org/live"}),
    topics=("family-engagement",),
)


@pytest.fixture
async def upcoming(runtime: Runtime) -> None:
    async with runtime.engine.begin() as connection:
        topics = (await catalog_repo.load(connection)).topics
        await catalog_repo.save(connection, Catalog.of([SESSION], [], topics), NOW)


async def test_moving_a_session_asks_for_confirmation_with_the_notice_first(
    console: Console, upcoming: None
) -> None:
    await console.sign_in()
    await console.page.goto(console.url("/admin/catalog"))
    await console.screenshot("catalog")
    await console.page.click("text=Family Voice")
    await expect(console.page.locator("#title-ar")).to_have_attribute("dir", "rtl")
    await console.page.fill("#starts_at", "2026-12-17T18:00")
    await console.page.fill("#duration_minutes", "0")
    await console.page.click("button.primary")
    await expect(console.page.locator("#error-duration_minutes")).to_be_visible()
    await console.screenshot("catalog-session-errors")
    await console.page.fill("#duration_minutes", "90")
    await console.page.click("button.primary")
    await expect(console.page.locator("h1")).to_have_text("Check the notice before saving")
    await expect(console.page.locator(".bubble[lang=ar]")).to_have_attribute("dir", "rtl")
    await console.screenshot("catalog-notice")
    await console.page.click("button.primary")
    await expect(console.page.locator("p.success")).to_contain_text("Saved the session")
    await expect(console.page.locator("#session-family-voice-2026")).to_contain_text("Dec 17")


MOVE_AND_ADD = """\
sessions:
  - id: family-voice-2026
    starts_at: 2026-12-17T18:00:00
    timezone: America/Los_Angeles
    duration_minutes: 90
    topics: [family-engagement]
    title: {en: "Family Voice", es: "La voz de las familias"}
    summary:
      en: |
        How parents shape decisions.
        Bring your questions.
    link: {en: "https://example.org/live"}
  - id: spring-2027
    starts_at: 2027-04-08T17:00:00
    timezone: America/Los_Angeles
    title: {en: "Spring session", es: "Sesión de primavera", ar: "جلسة الربيع"}
"""


async def test_an_imported_file_is_previewed_then_applied_as_it_was_checked(
    console: Console, runtime: Runtime, upcoming: None, tmp_path: Path
) -> None:
    file = tmp_path / "catalog.yaml"
    file.write_text(MOVE_AND_ADD, encoding="utf-8")
    await console.sign_in()
    await console.page.goto(console.url("/admin/catalog/import"))
    await console.page.set_input_files("#file", str(file))
    await console.page.click("button.primary")
    await expect(console.page.locator(".counts")).to_contain_text("1new")
    await console.screenshot("catalog-import-preview")
    await console.page.click("button.primary")
    await expect(console.page.locator("h1")).to_contain_text("Imported")
    await expect(console.page.locator("[role=status]")).to_contain_text("1 new, 1 changed")
    async with runtime.engine.connect() as connection:
        catalog = await catalog_repo.load(connection)
    moved = catalog.session("family-voice-2026")
    assert moved is not None
    assert moved.summary.get("en") == "How parents shape decisions.\nBring your questions."
    assert catalog.session("spring-2027") is not None


@pytest.mark.parametrize(
    "path",
    ["/admin/catalog", "/admin/catalog/sessions/family-voice-2026", "/admin/catalog/import"],
)
async def test_the_catalog_pages_fit_a_phone_screen(
    console_server: RunningServer, chromium: Browser, upcoming: None, path: str
) -> None:
    async with console_tab(console_server, chromium, "phone", viewport=PHONE) as phone:
        await phone.sign_in()
        await phone.page.goto(phone.url(path))
        overflow = await phone.page.evaluate(
            "document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0, f"{path} is {overflow}px wider than the phone"
