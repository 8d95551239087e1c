"""A parent on Telegram or SMS gets the same answers the terminal gives.

The same conversation is held three times: in the terminal's channel, over the Telegram
webhook and over the SMS webhook. Telegram's texts, once their HTML escaping and bidi
isolates are undone, and SMS texts, compared with the terminal's after the SMS folding,
must say the same thing (SMS sending the first page of a long answer).
"""

from __future__ import annotations

import html

import pytest

from bot.channels.sms_text import AccentMode
from bot.messages import Reply
from bot.runtime import Runtime
from bot.sms_paging import first_pages
from tests.support.chat import Chat
from tests.support.fake_telegram import text_update
from tests.support.server import running_server

SCRIPTS = {
    "en": ["hi", "next", "2", "resources", "safety", "help", "thanks"],
    "es": ["hola", "próxima", "2", "recursos", "seguridad", "ayuda", "gracias"],
    "ar": ["مرحبا", "القادمة", "2", "الموارد", "السلامة", "مساعدة", "شكرا"],
}


def plain(telegram_html: str) -> str:
    return html.unescape(telegram_html).replace("\u2066", "").replace("\u2069", "")


@pytest.mark.parametrize("language", SCRIPTS)
async def test_telegram_and_sms_say_what_the_terminal_says(
    runtime: Runtime, chat: Chat, language: str
) -> None:
    script = SCRIPTS[language]
    terminal = [[m.text for m in await chat.say(text)] for text in script]
    chat_id = 880000 + len(language)
    phone = f"+1555000{len(language):04d}"
    async with running_server(runtime) as server:
        for number, text in enumerate(script):
            update = text_update(number + 1, chat_id, text, language_code=None)
            assert (await server.post_update(update)).status == 200
            await server.post_sms(phone, text, sid=f"SM{language}{number:029d}")
            await server.services.inbox.close()
        telegram = [plain(m["text"]) for m in server.telegram.sent if m["chat_id"] == chat_id]
        sms = [m["Body"] for m in server.twilio.sent if m["To"] == phone]
    expected = [text for replies in terminal for text in replies]
    assert telegram == expected
    # SMS shows the first page of a long answer (the rest comes on MORE).
    tr = runtime.i18n[language]
    pages = [first_pages([Reply(text)], tr, AccentMode.AUTO, {})[0].text for text in expected]
    assert sms == pages
