"""Organizers on Telegram: their own command menu, and a broadcast sent from the chat.

The menu goes through python-telegram-bot to the fake Bot API; the broadcast goes through
`serve`'s webhook, with the Send button pressed as Telegram delivers a press.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import delete, select
from telegram import Bot

from bot.channels.telegram import make_bot, set_commands
from bot.config import Settings
from bot.i18n import I18n
from bot.messages import Address, ChannelName
from bot.runtime import Runtime
from bot.store import contacts as contact_store
from bot.store import subscriptions
from bot.store.tables import broadcasts, outbox
from tests.support.fake_telegram import FakeTelegram, callback_update, text_update
from tests.support.server import RunningServer, running_server

TOKEN = "123456:organizer-menu-token"
ORGANIZER = 4242
SUBSCRIBERS = ("101", "102")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as server:
        yield server


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    bot = make_bot(Settings(telegram_bot_token=TOKEN, telegram_api_base_url=fake.base_url))
    await bot.initialize()
    try:
        yield bot
    finally:
        await bot.shutdown()


async def test_organizers_get_broadcast_in_their_own_menu_and_nobody_else_does(
    bot: Bot, fake: FakeTelegram
) -> None:
    await set_commands(bot, I18n(), organizers=frozenset({str(ORGANIZER), "+15550104242"}))

    def names(commands: list[dict[str, Any]]) -> list[str]:
        return [command["command"] for command in commands]

    assert set(fake.commands) == {None, "en", "es", "ar"}
    for commands in fake.commands.values():
        assert "broadcast" not in names(commands)
    # Only the Telegram id gets a menu (a phone number has no chat), in every language.
    assert set(fake.chat_commands) == {(ORGANIZER, lang) for lang in (None, "en", "es", "ar")}
    for (_, language), commands in fake.chat_commands.items():
        assert names(commands)[-2:] == ["broadcast", "stop"]
        default = fake.commands[language]
        assert commands[: len(default) - 1] == default[:-1]
    english = {c["command"]: c["description"] for c in fake.chat_commands[(ORGANIZER, "en")]}
    assert english["broadcast"] == "Send an announcement (organizers)"


async def test_without_organizers_only_the_default_menus_are_set(
    bot: Bot, fake: FakeTelegram
) -> None:
    await set_commands(bot, I18n())
    assert len(fake.calls_of("setMyCommands")) == 4
    assert fake.chat_commands == {}


@pytest.fixture
async def server(runtime: Runtime) -> AsyncIterator[RunningServer]:
    async with runtime.engine.begin() as connection:
        await connection.execute(delete(broadcasts))
        for chat in SUBSCRIBERS:
            contact = await contact_store.touch(
                connection, Address(ChannelName.TELEGRAM, chat), runtime.clock()
            )
            await subscriptions.subscribe(connection, contact.id, "*", runtime.clock())
    organized = runtime.with_settings(
        replace(runtime.settings, organizers=frozenset({str(ORGANIZER)}))
    )
    async with running_server(organized) as running:
        yield running
    async with runtime.engine.begin() as connection:
        await connection.execute(delete(broadcasts))


async def answer_to(server: RunningServer, update: dict[str, Any]) -> dict[str, Any]:
    """Post one update; the last message the organizer then received."""
    before = len(server.telegram.sent)
    response = await server.post_update(update)
    assert response.status == 200
    await server.services.inbox.close()
    sent = [m for m in server.telegram.sent[before:] if m["chat_id"] == ORGANIZER]
    assert sent, f"no answer to {update}"
    return sent[-1]


async def test_an_organizer_broadcasts_from_telegram_and_confirms_with_the_button(
    server: RunningServer, runtime: Runtime
) -> None:
    assert "English" in (await answer_to(server, text_update(1, ORGANIZER, "/broadcast")))["text"]
    await answer_to(server, text_update(2, ORGANIZER, "Garden day on Saturday!"))
    await answer_to(server, text_update(3, ORGANIZER, "skip"))
    preview = await answer_to(server, text_update(4, ORGANIZER, "skip"))
    assert "reaches 2 people" in preview["text"]
    assert "No text in Spanish and Arabic" in preview["text"]
    keyboard = preview["reply_markup"]["inline_keyboard"]
    payloads = [button["callback_data"] for row in keyboard for button in row]
    assert payloads == ["/broadcast send", "/broadcast discard"]

    sending = await answer_to(server, callback_update(5, ORGANIZER, "/broadcast send"))
    assert "Sending to 2 people." in sending["text"]
    async with runtime.engine.connect() as connection:
        queued = await connection.execute(
            select(outbox.c.address).where(outbox.c.kind == "broadcast")
        )
        assert sorted(queued.scalars()) == sorted(SUBSCRIBERS)


async def test_anyone_else_on_telegram_is_refused(server: RunningServer) -> None:
    other = 5550101
    response = await server.post_update(text_update(1, other, "/broadcast"))
    assert response.status == 200
    await server.services.inbox.close()
    [reply] = [m for m in server.telegram.sent if m["chat_id"] == other]
    assert "only organizers" in reply["text"]
