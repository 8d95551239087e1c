"""Properties of a conversation turn that hold for every channel."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.messages import Address, ChannelName, InboundMessage, Reply
from bot.router import Intent
from bot.runtime import Runtime
from bot.store.tables import outbox
from handlers import HANDLERS
from tests.support.chat import Chat, RecordingChannel


async def test_a_provider_retry_with_the_same_message_id_is_answered_once(chat: Chat) -> None:
    first = await chat.say("hi", external_id="tg-1001")
    second = await chat.say("hi", external_id="tg-1001")
    assert len(first) == 1
    assert second == []
    assert await chat.say("hi", external_id="tg-1002")


async def test_a_failing_handler_costs_an_apology_and_rolls_back_its_writes(
    runtime: Runtime, chat: Chat, monkeypatch: object
) -> None:
    async def broken(message: InboundMessage, match: object, ctx: object) -> list[Reply]:
        raise RuntimeError("feature bug")

    handlers = dict(HANDLERS)
    handlers[Intent.GREETING] = broken
    runtime.conversation._handlers = handlers
    try:
        answer = await chat.reply("hi")
    finally:
        runtime.conversation._handlers = HANDLERS
    assert answer == "Sorry, something went wrong on our side. Please try again in a moment."
    assert "Hello!" in await chat.reply("hi")


async def test_replies_are_stored_claimed_in_the_outbox_before_they_are_sent(
    runtime: Runtime, chat: Chat
) -> None:
    outgoing = await runtime.conversation.handle(
        InboundMessage(chat.address, "sessions", runtime.clock())
    )

    async def statuses() -> list[str]:
        async with runtime.engine.connect() as connection:
            rows = await connection.execute(select(outbox.c.status).order_by(outbox.c.id))
            return list(rows.scalars())

    assert await statuses() == ["sending"]
    assert chat.channel.sent == []
    await chat.dispatcher.deliver(outgoing)
    assert [m.id for m in chat.channel.sent] == [m.id for m in outgoing]
    assert await statuses() == ["sent"]


@pytest.mark.parametrize(
    ("text", "name"),
    [("hola\x00", "Ana\x00"), ("hola \ud800", "\udc00Ana"), ("\x00", None)],
    ids=["nul", "lone-surrogates", "only-nul"],
)
async def test_characters_no_database_can_store_still_get_an_answer(
    runtime: Runtime, text: str, name: str | None
) -> None:
    """NUL (PostgreSQL refuses it) and lone surrogates (UTF-8 cannot hold them) arrive in
    JSON as "\\u0000" and "\\ud800": the turn must not fail on them and apologise."""
    channel = RecordingChannel(ChannelName.TELEGRAM)
    message = InboundMessage(
        Address(ChannelName.TELEGRAM, "31337"), text, runtime.clock(), display_name=name
    )
    replies = await runtime.conversation.handle(message)
    await runtime.dispatcher({ChannelName.TELEGRAM: channel}).deliver(replies)
    assert [m.text for m in channel.sent]
    assert not any("something went wrong" in m.text for m in channel.sent)
