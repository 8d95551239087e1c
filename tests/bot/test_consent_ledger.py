"""STOP / START / HELP (design rule 1): recorded per channel and address, obeyed at send time."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.messages import Address, ChannelName
from bot.outbox import Status
from bot.runtime import Runtime
from bot.store import consent
from bot.store.tables import outbox
from tests.support.chat import Chat

ADDRESS = Address(ChannelName.CONSOLE, "parent-1")


async def ledger(runtime: Runtime) -> list[tuple[str, str]]:
    async with runtime.engine.connect() as connection:
        return [(a, s) for a, s, _ in await consent.history(connection, ADDRESS)]


STOP_WORDS = ["STOP", "stop", " Stop! ", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"]
STOP_WORDS_ES_AR = ["ALTO", "Parar", "BAJA", "توقف", "إلغاء", "الغاء"]


@pytest.mark.parametrize("word", [*STOP_WORDS, *STOP_WORDS_ES_AR])
async def test_every_stop_word_alone_opts_out(chat: Chat, runtime: Runtime, word: str) -> None:
    replies = await chat.say(word)
    assert len(replies) == 1
    assert await ledger(runtime) == [("opt_out", "keyword")]


@pytest.mark.parametrize("text", ["STOP please", "please stop", "stop sending the report"])
async def test_stop_inside_a_sentence_is_not_an_opt_out(
    chat: Chat, runtime: Runtime, text: str
) -> None:
    answer = await chat.reply(text)
    assert "To stop all messages, send only the word STOP." in answer
    assert await ledger(runtime) == []


async def test_nothing_but_help_and_consent_replies_reach_an_opted_out_address(
    chat: Chat, runtime: Runtime
) -> None:
    await chat.say("subscribe")
    await chat.say("STOP")
    assert await chat.say("sessions") == []
    assert await chat.say("restorative") == []
    assert "Here is what you can ask me" in await chat.reply("HELP")
    async with runtime.engine.connect() as connection:
        statuses = (
            await connection.execute(select(outbox.c.status).order_by(outbox.c.id))
        ).scalars()
        assert list(statuses) == [
            Status.SENT,  # subscribe confirmation
            Status.SENT,  # STOP confirmation
            Status.SUPPRESSED,
            Status.SUPPRESSED,
            Status.SENT,  # HELP
        ]


async def test_stop_also_ends_reminder_subscriptions(chat: Chat) -> None:
    await chat.say("subscribe")
    await chat.say("STOP")
    await chat.say("START")
    assert "You have no reminders" in await chat.reply("no reminders")


@pytest.mark.parametrize("word", ["START", "UNSTOP", "YES", "sí", "INICIAR", "ابدأ", "نعم"])
async def test_only_start_words_opt_back_in(chat: Chat, runtime: Runtime, word: str) -> None:
    await chat.say("STOP")
    assert await chat.say("hello") == []
    assert await chat.say(word)
    assert await ledger(runtime) == [("opt_out", "keyword"), ("opt_in", "keyword")]
    assert await chat.say("hello")


async def test_start_without_a_previous_stop_just_greets(chat: Chat, runtime: Runtime) -> None:
    assert "Hello!" in await chat.reply("START")
    assert await ledger(runtime) == []


async def test_opt_out_is_per_channel_and_address(
    chat: Chat, runtime: Runtime, recorder: object
) -> None:
    await chat.say("STOP")
    other = Chat(runtime, chat.channel, "parent-2")
    assert "Hello!" in await other.reply("hi")
