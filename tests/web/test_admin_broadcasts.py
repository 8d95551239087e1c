"""Broadcasts in the console: count while typing, preview with cost, send, follow, cancel.

Everything goes through `serve`'s real app and its pump, to the fake Telegram and Twilio,
as an organizer's browser would drive it (forms with the CSRF token, JSON with the header).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.broadcasts import language_previews
from bot.channels.sms_text import sms_safe
from bot.messages import ChannelName
from bot.runtime import Runtime
from bot.store.tables import broadcasts, outbox
from tests.support.chat import FrozenClock
from tests.support.console import page_token, signed_in
from tests.support.console_people import add_person
from tests.support.server import RunningServer, running_server

ENGLISH = "Family reading night moved to the library, Friday 6 pm."
SPANISH = "La noche de lectura familiar pasa a la biblioteca, viernes 6 pm."
# 75 characters: UCS-2 holds 70 in one segment, so two.
ARABIC = "أمسية القراءة العائلية انتقلت إلى المكتبة يوم الجمعة الساعة السادسة مساء"
TEXTS = {"en": ENGLISH, "es": SPANISH, "ar": ARABIC}
LOCALES = ("en", "es", "ar")
TELEGRAM_PEOPLE = 12
SMS_PEOPLE = 18


@pytest.fixture
async def server(runtime: Runtime) -> AsyncIterator[RunningServer]:
    async with running_server(runtime) as running:
        yield running


@pytest.fixture
async def people(runtime: Runtime) -> dict[str, str]:
    """30 subscribers on both channels in the three languages, and two who must get nothing."""
    reached = {}
    for n in range(TELEGRAM_PEOPLE):
        chat, locale = str(7000 + n), LOCALES[n % 3]
        await add_person(runtime, ChannelName.TELEGRAM, chat, locale=locale)
        reached[chat] = locale
    for n in range(SMS_PEOPLE):
        phone, locale = f"+1555020{n:04d}", LOCALES[n % 3]
        await add_person(runtime, ChannelName.SMS, phone, locale=locale)
        reached[phone] = locale
    await add_person(runtime, ChannelName.TELEGRAM, "7999", locale="en", topics=())
    await add_person(runtime, ChannelName.SMS, "+15550299999", locale="es", opted_out=True)
    return reached


def compose(**fields: str) -> dict[str, str]:
    values = {"text_en": ENGLISH, "text_es": SPANISH, "text_ar": ARABIC, "reach": "subscribed"}
    return values | {"when": "now"} | fields


async def create(client: aiohttp.ClientSession, fields: dict[str, str]) -> tuple[int, str]:
    """Post the compose form; the status and where it led (or the page when refused)."""
    token = await page_token(client, "/admin/broadcasts/new")
    async with client.post(
        "/admin/broadcasts", data={"csrf_token": token, **fields}, allow_redirects=False
    ) as response:
        if response.status == 303:
            return response.status, response.headers["Location"]
        return response.status, await response.text()


async def draft(client: aiohttp.ClientSession, fields: dict[str, str]) -> int:
    status, location = await create(client, fields)
    assert status == 303, location
    match = re.fullmatch(r"/admin/broadcasts/(\d+)", location)
    assert match, location
    return int(match.group(1))


async def post(client: aiohttp.ClientSession, path: str, page: str) -> aiohttp.ClientResponse:
    """Press a button of `page` (its form carries the CSRF token)."""
    token = await page_token(client, page)
    async with client.post(path, data={"csrf_token": token}, allow_redirects=False) as response:
        await response.read()
        return response


async def text_of(client: aiohttp.ClientSession, path: str) -> str:
    async with client.get(path) as page:
        assert page.status == 200, page.status
        return await page.text()


async def progress(client: aiohttp.ClientSession, broadcast_id: int) -> dict[str, Any]:
    async with client.get(f"/admin/api/broadcasts/{broadcast_id}/progress") as response:
        assert response.status == 200
        figures: dict[str, Any] = await response.json()
        return figures


async def stored(runtime: Runtime, table: Any) -> int:
    async with runtime.engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(table)) or 0)


# -- the live counter ------------------------------------------------------------------------


async def test_the_counter_says_gsm7_for_english_and_ucs2_for_arabic_as_the_preview_does(
    server: RunningServer,
) -> None:
    long_english = "Reading night. " * 14  # 210 characters: two GSM-7 segments
    async with signed_in(server.url) as client:
        token = await page_token(client, "/admin/broadcasts/new")
        answers = []
        for texts in ({"en": ENGLISH, "ar": ARABIC}, {"en": long_english, "es": "", "ar": ""}):
            async with client.post(
                "/admin/api/sms-count", json={"texts": texts}, headers={"X-CSRF-Token": token}
            ) as response:
                assert response.status == 200
                answers.append((texts, (await response.json())["languages"]))

    (short, first), (_, second) = answers
    assert first["en"]["encoding"] == "gsm7" and first["en"]["segments"] == 1
    assert first["en"]["characters"] == len(ENGLISH)
    assert first["en"]["label"] == f"{len(ENGLISH)} characters · GSM-7 · 1 SMS segment"
    assert first["ar"]["encoding"] == "ucs2" and first["ar"]["segments"] == 2
    assert "Unicode (UCS-2) · 2 SMS segments" in first["ar"]["label"]
    assert first["es"]["fallback"] is True, "no Spanish text: the English one goes"
    assert second["en"]["segments"] == 2
    settings = server.services.settings
    for texts, answer in ((short, first), ({"en": long_english.strip()}, second)):
        for item in language_previews(texts, settings):
            counted = answer[item.language]
            assert counted["encoding"] == item.encoding.value
            assert counted["segments"] == item.segments
            assert counted["characters"] == item.characters


GARBAGE = ("not json", "[]", '{"texts": []}', '{"texts": {"fr": "x"}}', '{"texts": {"en": 5}}')


async def test_the_counter_answers_garbage_with_a_400_in_json(server: RunningServer) -> None:
    async with signed_in(server.url) as client:
        token = await page_token(client, "/admin/broadcasts/new")
        headers = {"X-CSRF-Token": token, "Content-Type": "application/json"}
        for body in (
            "not json",
            "[]",
            '{"texts": []}',
            '{"texts": {"fr": "x"}}',
            '{"texts": {"en": 5}}',
        ):
            async with client.post("/admin/api/sms-count", data=body, headers=headers) as response:
                assert response.status == 400, body
                assert "error" in await response.json()


async def test_posts_without_the_csrf_token_are_refused_and_store_nothing(
    server: RunningServer, runtime: Runtime
) -> None:
    async with signed_in(server.url) as client:
        async with client.post("/admin/api/sms-count", json={"texts": {"en": "hi"}}) as response:
            assert response.status == 403
        async with client.post(
            "/admin/broadcasts", data=compose(), allow_redirects=False
        ) as response:
            assert response.status == 403
    assert await stored(runtime, broadcasts) == 0


# -- compose and preview -----------------------------------------------------------------------


async def test_a_draft_shows_recipients_per_language_and_channel_and_the_cost(
    server: RunningServer, people: dict[str, str]
) -> None:
    async with signed_in(server.url) as client:
        broadcast_id = await draft(client, compose())
        page = await text_of(client, f"/admin/broadcasts/{broadcast_id}")

    # 12 on Telegram and 18 by SMS, a third of each in every language.
    for name in ("English", "Spanish", "Arabic"):
        assert (
            f'<tr><th scope="row">{name}</th><td class="num">4</td><td class="num">6</td>' in page
        )
    assert '<td class="num" id="recipients-total">30</td>' in page
    # SMS: 6 English and 6 Spanish in one segment each, 6 Arabic in two.
    assert '<div class="stat" id="sms-segments">24</div>' in page
    price = server.services.settings.sms_price_per_segment
    assert f'id="cost">${24 * price:.4f}</div>' in page
    assert 'dir="rtl" lang="ar"' in page and ARABIC in page
    assert "Send now to 30 people" in page


async def test_missing_english_is_refused_next_to_the_field_and_keeps_what_was_typed(
    server: RunningServer, runtime: Runtime
) -> None:
    async with signed_in(server.url) as client:
        status, page = await create(client, compose(text_en="  "))
    assert status == 400
    assert 'id="error-text_en"' in page
    assert SPANISH in page and ARABIC in page
    assert await stored(runtime, broadcasts) == 0


async def test_scheduling_in_the_past_is_refused_next_to_the_time(
    server: RunningServer, runtime: Runtime
) -> None:
    zone = server.services.settings.zone
    past = (runtime.clock() - timedelta(hours=1)).astimezone(zone)
    async with signed_in(server.url) as client:
        status, page = await create(
            client, compose(when="later", send_at=past.strftime("%Y-%m-%dT%H:%M"))
        )
        assert status == 400
        assert 'id="error-send_at"' in page and "That time has passed" in page
        status, page = await create(client, compose(when="later", send_at="tomorrow"))
        assert status == 400 and 'id="error-send_at"' in page
    assert await stored(runtime, broadcasts) == 0


async def test_an_audience_of_nobody_cannot_be_sent(
    server: RunningServer, runtime: Runtime
) -> None:
    async with signed_in(server.url) as client:
        broadcast_id = await draft(client, compose())
        page = await text_of(client, f"/admin/broadcasts/{broadcast_id}")
        assert 'id="nobody"' in page and 'id="send-button"' not in page
        response = await post(
            client, f"/admin/broadcasts/{broadcast_id}/send", f"/admin/broadcasts/{broadcast_id}"
        )
        assert response.status == 409
    async with runtime.engine.connect() as connection:
        assert await connection.scalar(select(broadcasts.c.status)) == "draft"


async def test_editing_a_draft_changes_its_words_and_keeps_its_number(
    server: RunningServer, runtime: Runtime, people: dict[str, str]
) -> None:
    async with signed_in(server.url) as client:
        old = await draft(client, compose(languages="es"))
        form = await text_of(client, f"/admin/broadcasts/{old}/edit")
        assert SPANISH in form and 'value="es" checked' in form
        token = await page_token(client, f"/admin/broadcasts/{old}/edit")
        async with client.post(
            f"/admin/broadcasts/{old}/edit",
            data={"csrf_token": token, **compose(text_es="Cambio: biblioteca central")},
            allow_redirects=False,
        ) as response:
            assert response.status == 303
            assert response.headers["Location"] == f"/admin/broadcasts/{old}"
        page = await text_of(client, f"/admin/broadcasts/{old}")
    assert "Cambio: biblioteca central" in page and SPANISH not in page
    assert '<td class="num" id="recipients-total">30</td>' in page, "no longer only Spanish"
    assert await stored(runtime, broadcasts) == 1


# -- send, follow, cancel ---------------------------------------------------------------------


async def test_sending_reaches_everyone_in_their_language_and_progress_reaches_done(
    server: RunningServer, people: dict[str, str]
) -> None:
    async with signed_in(server.url) as client:
        broadcast_id = await draft(client, compose())
        page = f"/admin/broadcasts/{broadcast_id}"
        response = await post(client, f"{page}/send", page)
        assert response.status == 303 and response.headers["Location"] == page
        assert f'data-progress-url="/admin/api/broadcasts/{broadcast_id}/progress"' in (
            await text_of(client, page)
        )
        telegram = await server.telegram.wait_for_sent(TELEGRAM_PEOPLE, timeout=20)
        sms = await server.twilio.wait_for_sent(SMS_PEOPLE, timeout=20)
        figures = await progress(client, broadcast_id)
        async with asyncio.timeout(30):
            while figures["status"] != "done":
                await asyncio.sleep(0.2)
                figures = await progress(client, broadcast_id)

    got = {str(m["chat_id"]): m["text"] for m in telegram} | {m["To"]: m["Body"] for m in sms}
    expected = {
        address: TEXTS[locale] if address.startswith("7") else sms_safe(TEXTS[locale], locale)
        for address, locale in people.items()
    }
    assert got == expected, "everyone once, in their language, and nobody else"
    assert figures["fraction"] == 1.0 and figures["percent"] == "100%"
    assert figures["recipients"] == 30 and figures["to_go"] == 0
    assert figures["sent"] + figures["delivered"] == 30 and figures["failed"] == 0


async def test_cancelling_a_scheduled_broadcast_leaves_nothing_sent(
    server: RunningServer, runtime: Runtime, people: dict[str, str], clock: FrozenClock
) -> None:
    zone = server.services.settings.zone
    later = (runtime.clock() + timedelta(hours=2)).astimezone(zone)
    async with signed_in(server.url) as client:
        broadcast_id = await draft(
            client, compose(when="later", send_at=later.strftime("%Y-%m-%dT%H:%M"))
        )
        page = f"/admin/broadcasts/{broadcast_id}"
        assert "Schedule for" in await text_of(client, page)
        assert (await post(client, f"{page}/send", page)).status == 303
        assert (await progress(client, broadcast_id))["status"] == "scheduled"
        response = await post(client, f"{page}/cancel", page)
        assert response.status == 303
        result = await text_of(client, response.headers["Location"])
        assert "Cancelled: 0 messages will not be sent." in result
        assert 'id="cancel-form"' not in result
        again = await post(client, f"{page}/cancel", page)
        assert again.status == 409, "a finished broadcast cannot be cancelled twice"
        token = await page_token(client, page)
        async with client.post(
            f"{page}/edit", data={"csrf_token": token, **compose()}, allow_redirects=False
        ) as edited:
            assert edited.status == 409, "only a draft can be edited"

    clock.now = runtime.clock() + timedelta(hours=3)
    await server.services.scheduler.tick()
    assert await stored(runtime, outbox) == 0
    assert server.telegram.sent == [] and server.twilio.sent == []


async def test_cancelling_a_finished_broadcast_says_there_is_nothing_to_cancel(
    server: RunningServer, runtime: Runtime
) -> None:
    async with signed_in(server.url) as client:
        broadcast_id = await draft(client, compose())
        page = f"/admin/broadcasts/{broadcast_id}"
        discarded = await post(client, f"{page}/cancel", page)
        assert discarded.headers["Location"] == f"/admin/broadcasts?discarded={broadcast_id}"
        async with client.get(f"{page}") as shown:
            assert shown.status == 200
        token = await page_token(client, "/admin/broadcasts")
        async with client.post(f"{page}/cancel", data={"csrf_token": token}) as response:
            assert response.status == 409
            assert "nothing left to cancel" in await response.text()


# -- history and bad addresses ------------------------------------------------------------------


async def test_the_history_lists_each_broadcast_with_its_status(server: RunningServer) -> None:
    async with signed_in(server.url) as client:
        first = await draft(client, compose(text_en="Garden day on Saturday"))
        second = await draft(client, compose())
        await post(client, f"/admin/broadcasts/{first}/cancel", f"/admin/broadcasts/{first}")
        page = await text_of(client, "/admin/broadcasts")
    assert page.index(f'data-broadcast-id="{second}"') < page.index(f'data-broadcast-id="{first}"')
    assert "Garden day on Saturday" in page and "Family reading night" in page
    assert '<span class="badge bad">Cancelled</span>' in page
    assert '<span class="badge">Draft</span>' in page
    assert 'href="/admin/broadcasts/new"' in page


@pytest.mark.parametrize(
    "path",
    [
        "/admin/broadcasts/999",
        "/admin/broadcasts/abc",
        "/admin/broadcasts/99999999999999999999999",
        "/admin/broadcasts/0",
        "/admin/broadcasts/999/edit",
        "/admin/api/broadcasts/999/progress",
        "/admin/api/broadcasts/abc/progress",
    ],
)
async def test_an_id_that_is_not_a_broadcast_is_a_404(server: RunningServer, path: str) -> None:
    async with signed_in(server.url) as client, client.get(path) as response:
        assert response.status == 404
        if "/api/" in path:
            assert "error" in await response.json()
        else:
            assert "No such broadcast" in await response.text()
