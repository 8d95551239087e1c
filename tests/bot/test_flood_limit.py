"""The flood limit: past 10 messages a minute one "please slow down", then silence until calm."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.messages import ChannelName
from bot.runtime import Runtime
from bot.store import contacts as contact_store
from bot.store.tables import inbound_log
from tests.support.chat import Chat, FrozenClock, RecordingChannel

SLOW_DOWN = {
    "en": "You are sending messages very quickly",
    # SMS keeps Spanish in GSM-7: "Estás … rápido" arrives as "Estas … rapido".
    "es": "enviando mensajes muy",
    "ar": "أنت ترسل الرسائل بسرعة كبيرة",
}


def phone(runtime: Runtime, number: str = "+15550104444") -> Chat:
    return Chat(runtime, RecordingChannel(ChannelName.SMS), contact=number)


async def flood(chat: Chat, clock: FrozenClock, text: str, count: int) -> list[str]:
    """`count` messages two seconds apart; the replies they got, in order."""
    replies: list[str] = []
    for _ in range(count):
        clock.now += timedelta(seconds=2)
        replies += [m.text for m in await chat.say(text)]
    return replies


async def logged(runtime: Runtime, chat: Chat) -> int:
    async with runtime.engine.connect() as connection:
        contact = await contact_store.find(connection, chat.address)
        assert contact is not None
        return int(
            await connection.scalar(
                select(func.count()).where(inbound_log.c.contact_id == contact.id)
            )
            or 0
        )


@pytest.mark.parametrize(
    ("channel", "address"),
    [(ChannelName.SMS, "+15550104444"), (ChannelName.TELEGRAM, "4444")],
)
async def test_the_eleventh_message_in_a_minute_gets_one_warning_and_then_silence(
    runtime: Runtime, clock: FrozenClock, channel: ChannelName, address: str
) -> None:
    chat = Chat(runtime, RecordingChannel(channel), contact=address)
    answered = await flood(chat, clock, "next", 10)
    assert len(answered) == 10
    assert not any(SLOW_DOWN["en"] in text for text in answered)

    over = await flood(chat, clock, "next", 10)

    assert len(over) == 1
    assert SLOW_DOWN["en"] in over[0]
    # Silenced messages are still kept: they are what keeps a flood silenced.
    assert await logged(runtime, chat) == 20


@pytest.mark.parametrize("language", ["es", "ar"])
async def test_the_warning_is_in_the_senders_language(
    runtime: Runtime, clock: FrozenClock, language: str
) -> None:
    chat = phone(runtime)
    text = {"es": "¿cuándo es la próxima sesión?", "ar": "متى الجلسة القادمة؟"}[language]
    replies = await flood(chat, clock, text, 12)
    assert len(replies) == 11
    assert SLOW_DOWN[language] in replies[-1]


async def test_a_calm_minute_brings_the_answers_back(runtime: Runtime, clock: FrozenClock) -> None:
    chat = phone(runtime)
    await flood(chat, clock, "hello", 15)
    clock.now += timedelta(seconds=61)
    back = await chat.reply("next")
    assert SLOW_DOWN["en"] not in back
    # And a second flood gets a second warning: the first one was forgiven.
    again = await flood(chat, clock, "next", 10)
    assert sum(SLOW_DOWN["en"] in text for text in again) == 1


async def test_a_steady_auto_responder_stays_silenced(runtime: Runtime, clock: FrozenClock) -> None:
    """One message every 5 s is 12 a minute: never calm enough to be answered again."""
    chat = phone(runtime)
    await flood(chat, clock, "Thanks for your message! We will get back to you soon.", 11)
    later: list[str] = []
    for _ in range(60):
        clock.now += timedelta(seconds=5)
        later += [
            m.text for m in await chat.say("Thanks for your message! We will get back to you soon.")
        ]
    assert later == []


async def test_another_sender_is_answered_during_a_flood(
    runtime: Runtime, clock: FrozenClock
) -> None:
    noisy, calm = phone(runtime, "+15550100001"), phone(runtime, "+15550100002")
    await flood(noisy, clock, "hi", 15)
    assert SLOW_DOWN["en"] not in await calm.reply("next")


async def test_stop_is_honoured_while_silenced(runtime: Runtime, clock: FrozenClock) -> None:
    chat = phone(runtime)
    await flood(chat, clock, "hi", 15)
    confirmation = await chat.reply("STOP")
    assert "You will not get any more messages" in confirmation
    async with runtime.engine.connect() as connection:
        contact = await contact_store.find(connection, chat.address)
    assert contact is not None and contact.opted_out


async def test_the_terminal_and_organizers_are_not_limited(
    runtime: Runtime, clock: FrozenClock
) -> None:
    terminal = Chat(runtime, RecordingChannel(), contact="someone-at-the-terminal")
    assert len(await flood(terminal, clock, "next", 15)) == 15

    organizer_phone = "+15550109999"
    as_organizer = runtime.with_settings(
        replace(runtime.settings, organizers=frozenset({organizer_phone}))
    )
    organizer = phone(as_organizer, organizer_phone)
    assert len(await flood(organizer, clock, "next", 15)) == 15


async def test_a_limit_of_zero_turns_it_off(runtime: Runtime, clock: FrozenClock) -> None:
    unlimited = runtime.with_settings(replace(runtime.settings, flood_limit_per_minute=0))
    assert len(await flood(phone(unlimited), clock, "next", 15)) == 15


async def test_the_count_is_shared_by_every_process(runtime: Runtime, clock: FrozenClock) -> None:
    """Two conversations on one database (two web replicas) see one count, not two."""
    first = phone(runtime)
    second = phone(runtime.with_settings(runtime.settings))
    assert len(await flood(first, clock, "next", 6)) == 6
    replies = await flood(second, clock, "next", 6)
    assert len(replies) == 5 and SLOW_DOWN["en"] in replies[-1]
