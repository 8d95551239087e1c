"""The simulator: an organizer talks to the bot as a parent, through the real conversation,
outbox and dispatcher, and sees what SMS and Telegram would make of every answer."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html import unescape
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.admin.simulator_contact import COOKIE, PREFIX
from bot.admin.simulator_preview import Previewer, telegram_preview
from bot.channels.sms_text import AccentMode, segment_report
from bot.i18n import I18n
from bot.messages import Button, ChannelName
from bot.runtime import Runtime
from bot.store.tables import contacts, inbound_log, outbox
from tests.support.console import page_token, signed_in
from tests.support.fake_telegram import text_update
from tests.support.server import RunningServer, running_server

PAGE = "/admin/simulator"
API = "/admin/api/simulator"
ARABIC_NEXT = "متى الجلسة القادمة؟"
BUBBLE_OUT = re.compile(r'<div class="bubble out" dir="auto" lang="(\w+)">([^<]*)</div>')
BUBBLE_IN = re.compile(r'<div class="bubble in" dir="auto">([^<]*)</div>')


@pytest.fixture
async def server(runtime: Runtime) -> AsyncIterator[RunningServer]:
    async with running_server(runtime) as running:
        yield running


async def say(
    client: aiohttp.ClientSession, text: str, language: str = "auto", *, token: str | None = None
) -> tuple[int, dict[str, Any]]:
    """Post to the JSON API as simulator.js does; the CSRF header is the page's token."""
    csrf = token if token is not None else await page_token(client, PAGE)
    async with client.post(
        API, json={"text": text, "language": language}, headers={"X-CSRF-Token": csrf}
    ) as response:
        if response.content_type != "application/json":
            return response.status, {"refusal": await response.text()}
        return response.status, await response.json()


async def post_form(
    client: aiohttp.ClientSession, text: str, language: str = "auto"
) -> tuple[int, str]:
    token = await page_token(client, PAGE)
    async with client.post(
        PAGE,
        data={"csrf_token": token, "text": text, "language": language},
        allow_redirects=False,
    ) as response:
        return response.status, await response.text()


async def page(client: aiohttp.ClientSession) -> str:
    async with client.get(PAGE) as response:
        assert response.status == 200
        return await response.text()


def simulated_address(client: aiohttp.ClientSession) -> str:
    (token,) = [cookie.value for cookie in client.cookie_jar if cookie.key == COOKIE]
    return PREFIX + token


async def test_saying_hola_gets_a_spanish_answer_with_its_sms_segments_and_telegram_html(
    server: RunningServer,
) -> None:
    async with signed_in(server.url) as client:
        status, _ = await post_form(client, "hola")
        assert status == 303
        html = await page(client)
    said = [unescape(text) for text in BUBBLE_IN.findall(html)]
    answers = [(lang, unescape(text)) for lang, text in BUBBLE_OUT.findall(html)]
    assert said == ["hola"]
    assert answers and answers[0][0] == "es"
    assert answers[0][1].startswith("¡Hola!")
    assert re.search(r"SMS: \d+ segments?", html), "the SMS cost of the answer is shown"
    assert re.search(r'<strong class="sim-segments">\d+ segments?</strong>', html)
    assert "GSM-7" in html or "UCS-2" in html
    assert 'class="sim-html"' in html and "Sent with parse mode HTML" in html


async def test_the_previews_are_what_sms_and_telegram_parents_really_get(
    server: RunningServer,
) -> None:
    """The same words from a Telegram chat and from a phone, through the real webhooks and
    the fake providers, arrive exactly as the simulator's panes say: text, HTML, keyboard,
    first SMS page and its segments."""
    script = ["hola", "sesiones", "idioma"]
    async with signed_in(server.url) as client:
        answers = []
        for text in script:
            status, data = await say(client, text)
            assert status == 200
            answers.extend(data["turns"][0]["answers"])
    for number, text in enumerate(script, start=1):
        update = text_update(number, 4242, text, language_code=None)
        assert (await server.post_update(update)).status == 200
        await server.post_sms("+15550004242", text, sid=f"SM{number:032d}")
        await server.services.inbox.close()
    assert [answer["telegram"]["parts"] for answer in answers] == [
        [sent["text"]] for sent in server.telegram.sent
    ]
    assert [answer["telegram"]["keyboard"] for answer in answers] == [
        sent.get("reply_markup", {}).get("inline_keyboard", []) for sent in server.telegram.sent
    ]
    assert any(answer["telegram"]["keyboard"] for answer in answers)
    assert [answer["sms"]["pages"][0]["text"] for answer in answers] == [
        sent["Body"] for sent in server.twilio.sent
    ]
    assert [answer["sms"]["pages"][0]["segments"] for answer in answers] == [
        segment_report(sent["Body"]).segments for sent in server.twilio.sent
    ]


async def test_choosing_arabic_gets_an_arabic_answer_shown_right_to_left(
    server: RunningServer,
) -> None:
    async with signed_in(server.url) as client:
        status, data = await say(client, ARABIC_NEXT, "ar")
        assert status == 200
        assert data["direction"] == "rtl" and data["language"] == "ar"
        answers = data["turns"][0]["answers"]
        assert answers and all(answer["locale"] == "ar" for answer in answers)
        assert re.search(r"[\u0600-\u06ff]", answers[0]["text"])
        assert 'class="bubble out" dir="auto" lang="ar"' in data["html"]
        html = await page(client)
    assert re.search(r'id="sim-transcript"[^>]*dir="rtl"[^>]*lang="ar"', html)
    assert '<option value="ar" lang="ar" selected>' in html
    assert unescape(BUBBLE_IN.findall(html)[0]) == ARABIC_NEXT


async def test_choosing_arabic_answers_in_arabic_even_to_english_words(
    server: RunningServer,
) -> None:
    async with signed_in(server.url) as client:
        _, data = await say(client, "next", "ar")
        _, detected = await say(client, "hola", "auto")
    assert data["turns"][0]["answers"][0]["locale"] == "ar"
    assert detected["language"] == "auto"
    assert detected["turns"][0]["answers"][0]["locale"] == "es"
    assert detected["direction"] == "ltr"


async def test_the_replies_are_sent_on_the_console_channel_and_reach_no_provider(
    server: RunningServer,
) -> None:
    async with signed_in(server.url) as client:
        await say(client, "hola")
        await say(client, ARABIC_NEXT, "ar")
        address = simulated_address(client)
    async with server.services.runtime.engine.connect() as connection:
        rows = (
            await connection.execute(
                select(outbox.c.channel, outbox.c.address, outbox.c.status, outbox.c.provider_id)
            )
        ).all()
        words = (await connection.execute(select(inbound_log.c.text))).scalars().all()
    assert len(rows) >= 2
    assert {(row.channel, row.address, row.status) for row in rows} == {
        (ChannelName.CONSOLE.value, address, "sent")
    }
    assert all(row.provider_id.startswith("simulator-") for row in rows)
    assert words == ["hola", ARABIC_NEXT]
    assert server.telegram.sent == [] and server.twilio.sent == []


async def test_the_json_api_needs_the_csrf_header(server: RunningServer) -> None:
    async with signed_in(server.url) as client:
        async with client.post(API, json={"text": "hola", "language": "es"}) as response:
            assert response.status == 403
        status, _ = await say(client, "hola", token="forged")
        assert status == 403
        status, data = await say(client, "hola")
        assert status == 200 and data["turns"][0]["said"] == "hola"
    async with server.services.runtime.engine.connect() as connection:
        words = (await connection.execute(select(inbound_log.c.text))).scalars().all()
    assert words == ["hola"], "the refused requests reached nobody"


async def test_a_stranger_gets_401_from_the_json_api(server: RunningServer) -> None:
    async with server.client.post(
        server.url + API, json={"text": "hola", "language": "es"}
    ) as response:
        assert response.status == 401


@pytest.mark.parametrize(
    ("text", "language", "message"),
    [
        ("   ", "auto", "Type a message first"),
        ("x" * 2001, "es", "2001 characters long"),
        ("hola", "fr", "Choose a language from the list"),
    ],
)
async def test_bad_input_is_refused_with_a_reason_and_reaches_nobody(
    server: RunningServer, text: str, language: str, message: str
) -> None:
    async with signed_in(server.url) as client:
        status, data = await say(client, text, language)
        assert status == 400 and message in data["error"]
        form_status, html = await post_form(client, text, language)
        assert form_status == 400
        assert message in unescape(html) and 'id="sim-error"' in html
    async with server.services.runtime.engine.connect() as connection:
        assert (await connection.execute(select(inbound_log.c.id))).all() == []
        assert (await connection.execute(select(outbox.c.id))).all() == []


async def test_a_request_that_is_not_json_is_refused(server: RunningServer) -> None:
    async with signed_in(server.url) as client:
        token = await page_token(client, PAGE)
        for body in ("not json", "[1, 2]", '{"text": 5}'):
            async with client.post(
                API,
                data=body,
                headers={"X-CSRF-Token": token, "Content-Type": "application/json"},
            ) as response:
                assert response.status == 400
                assert "error" in await response.json()


async def test_a_reload_shows_the_whole_conversation_in_order_with_quick_replies(
    server: RunningServer,
) -> None:
    """In order even though the test's clock stands still: each answer knows its turn."""
    async with signed_in(server.url) as client:
        for text in ("hola", "idioma", "sesiones"):
            assert (await post_form(client, text))[0] == 303
        html = await page(client)
    said = [unescape(text) for text in BUBBLE_IN.findall(html)]
    assert said == ["hola", "idioma", "sesiones"]
    positions = [html.index(f'<div class="bubble in" dir="auto">{text}</div>') for text in said]
    answers = [match.start() for match in BUBBLE_OUT.finditer(html)]
    assert len(answers) >= 3
    assert positions[0] < answers[0] < positions[1] < answers[1] < positions[2] < answers[-1]
    assert 'form="sim-chip-form" name="text" value="Español" class="chip"' in html
    assert html.count('<details class="sim-channels" dir="ltr" open>') == 1


async def test_a_quick_reply_sends_its_payload(server: RunningServer) -> None:
    async with signed_in(server.url) as client:
        _, menu = await say(client, "idioma")
        buttons = [b for answer in menu["turns"][0]["answers"] for b in answer["buttons"]]
        arabic = next(button for button in buttons if button["label"] == "العربية")
        assert menu["turns"][0]["answers"][-1]["telegram"]["keyboard"], "an inline keyboard"
        _, chosen = await say(client, arabic["payload"])
    assert chosen["turns"][0]["said"] == arabic["payload"]
    assert chosen["direction"] == "rtl"
    assert chosen["turns"][0]["answers"][0]["locale"] == "ar"


async def test_a_long_answer_shows_the_sms_pages_a_parent_reads_with_more(
    server: RunningServer,
) -> None:
    async with signed_in(server.url) as client:
        _, data = await say(client, "sesiones", "es")
        html = await page(client)
    pages = data["turns"][0]["answers"][0]["sms"]["pages"]
    assert len(pages) > 1
    assert all(page["segments"] <= 3 for page in pages)
    assert "MAS" in pages[0]["text"].upper() or "MÁS" in pages[0]["text"].upper()
    assert "sent when the parent replies MORE" in html


async def test_answers_that_are_not_sent_after_stop_say_so(server: RunningServer) -> None:
    async with signed_in(server.url) as client:
        _, stopped = await say(client, "STOP")
        _, silenced = await say(client, "hola")
        html = await page(client)
    assert [answer["status"] for answer in stopped["turns"][0]["answers"]] == ["sent"]
    assert {answer["status"] for answer in silenced["turns"][0]["answers"]} == {"suppressed"}
    assert "Not sent: this contact has opted out (STOP)" in html
    assert [unescape(text) for text in BUBBLE_IN.findall(html)] == ["STOP", "hola"]
    assert server.telegram.sent == [] and server.twilio.sent == []


def test_an_answer_of_nothing_but_emoji_would_send_no_sms() -> None:
    preview = Previewer(I18n(), AccentMode.AUTO)("🎉🎉", "en", ())
    assert preview.sms.pages == () and preview.sms.segments == 0
    assert [part.shown for part in preview.telegram.parts] == ["🎉🎉"]


def test_a_button_telegram_would_refuse_is_shown_with_the_reason() -> None:
    preview = telegram_preview("Pick one", "en", (Button("Long", "x" * 65),))
    assert preview.error is not None and "64" in preview.error
    assert preview.keyboard == ()


def test_an_arabic_answer_keeps_its_numbers_isolated_on_telegram() -> None:
    preview = telegram_preview("الجلسة في 4:00 <مهم>", "ar", (Button("١", "1"),))
    (part,) = preview.parts
    assert "\u20664:00\u2069" in part.html and "&lt;مهم&gt;" in part.html
    assert part.shown == "الجلسة في \u20664:00\u2069 <مهم>"
    assert preview.keyboard == ((Button("١", "1"),),)


async def test_starting_over_gives_a_fresh_conversation(server: RunningServer) -> None:
    async with signed_in(server.url) as client:
        await say(client, ARABIC_NEXT, "ar")
        before = simulated_address(client)
        token = await page_token(client, PAGE)
        async with client.post(
            "/admin/simulator/restart", data={"csrf_token": token}, allow_redirects=False
        ) as response:
            assert response.status == 303
        after = simulated_address(client)
        html = await page(client)
        assert after != before
        assert 'id="sim-empty"' in html and BUBBLE_OUT.findall(html) == []
        assert '<option value="auto" selected>' in html
        _, data = await say(client, "hola")
    assert data["direction"] == "ltr" and data["turns"][0]["answers"][0]["locale"] == "es"
    async with server.services.runtime.engine.connect() as connection:
        addresses = (await connection.execute(select(contacts.c.address))).scalars().all()
    assert addresses == [after], "the old simulated parent is forgotten"


async def test_each_browser_talks_as_its_own_parent(server: RunningServer) -> None:
    async with signed_in(server.url) as first, signed_in(server.url) as second:
        await say(first, ARABIC_NEXT, "ar")
        html = await page(second)
        assert BUBBLE_IN.findall(html) == []
        assert simulated_address(first) != simulated_address(second)


async def test_a_forged_cookie_cannot_talk_as_another_contact(server: RunningServer) -> None:
    async with signed_in(server.url) as client:
        token = await page_token(client, PAGE)
        async with client.post(
            API,
            json={"text": "hola", "language": "es"},
            headers={"X-CSRF-Token": token, "Cookie": f"{COOKIE}=terminal"},
        ) as response:
            assert response.status in (200, 401)
    async with server.services.runtime.engine.connect() as connection:
        addresses = (await connection.execute(select(contacts.c.address))).scalars().all()
    assert all(re.fullmatch(rf"{PREFIX}[\w-]{{16,64}}", address) for address in addresses)
