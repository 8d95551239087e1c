"""Broadcasts from a chat: an organizer in ORGANIZERS writes, previews, sends, follows, cancels.

The dialogue runs through the real conversation turn (router, dialogue state, outbox) on
both databases; the people it reaches are seeded as subscribed contacts on Telegram and
SMS in each language.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from sqlalchemy import delete, func, select, update

from bot.conversation import is_organizer
from bot.messages import Address, ChannelName, InboundMessage, OutboundMessage
from bot.outbox import Status
from bot.runtime import Runtime
from bot.store import contacts as contact_store
from bot.store import subscriptions
from bot.store.tables import broadcasts, contacts, outbox
from handlers.context import AWAITING
from handlers.organizer import COMPOSING, DISCARD_PAYLOAD, SEND_PAYLOAD

ORGANIZER_CHAT = "4242"
ORGANIZER_PHONE = "+15550104242"
ENGLISH = "Potluck on Friday at 6pm in the school garden. Bring a dish to share!"
SPANISH = "Comida compartida el viernes a las 6pm en el jardin de la escuela."
ARABIC = "حفلة طعام مشتركة يوم الجمعة الساعة السادسة مساءً في حديقة المدرسة."

# (channel, address, language): everyone subscribed to reminders, so in the audience.
AUDIENCE = [
    (ChannelName.TELEGRAM, "101", "en"),
    (ChannelName.TELEGRAM, "102", "en"),
    (ChannelName.SMS, "+15550000001", "en"),
    (ChannelName.TELEGRAM, "103", "es"),
    (ChannelName.SMS, "+15550000002", "es"),
    (ChannelName.TELEGRAM, "104", "ar"),
    (ChannelName.SMS, "+15550000003", "ar"),
]


class Person:
    """Someone writing to the bot on Telegram or SMS; returns the texts of the replies."""

    def __init__(self, runtime: Runtime, channel: ChannelName, address: str) -> None:
        self.runtime = runtime
        self.address = Address(channel, address)

    async def say(self, text: str) -> list[OutboundMessage]:
        message = InboundMessage(self.address, text, self.runtime.clock())
        return await self.runtime.conversation.handle(message)

    async def reply(self, text: str) -> str:
        replies = await self.say(text)
        assert replies, f"no reply to {text!r}"
        return "\n".join(m.text for m in replies)

    async def state(self) -> dict[str, object]:
        async with self.runtime.engine.connect() as connection:
            contact = await contact_store.find(connection, self.address)
        assert contact is not None
        return contact.state


@pytest.fixture
async def organized(runtime: Runtime) -> AsyncIterator[Runtime]:
    """The test's runtime with ORGANIZERS set, its audience seeded and no broadcasts left."""
    async with runtime.engine.begin() as connection:
        await connection.execute(delete(broadcasts))
        for channel, address, language in AUDIENCE:
            where = Address(channel, address)
            await contact_store.choose_language(connection, where, language, runtime.clock())
            contact = await contact_store.find(connection, where)
            assert contact is not None
            await subscriptions.subscribe(connection, contact.id, "*", runtime.clock())
        # Neither of these is in the audience: one never subscribed, one opted out.
        await contact_store.touch(
            connection, Address(ChannelName.SMS, "+15550000009"), runtime.clock()
        )
        gone = await contact_store.touch(
            connection, Address(ChannelName.TELEGRAM, "109"), runtime.clock()
        )
        await subscriptions.subscribe(connection, gone.id, "*", runtime.clock())
        await connection.execute(
            update(contacts).where(contacts.c.id == gone.id).values(opted_out=True)
        )
    settings = replace(
        runtime.settings, organizers=frozenset({ORGANIZER_CHAT, "+1 (555) 010-4242"})
    )
    yield runtime.with_settings(settings)
    async with runtime.engine.begin() as connection:
        await connection.execute(delete(broadcasts))


@pytest.fixture
def organizer(organized: Runtime) -> Person:
    return Person(organized, ChannelName.TELEGRAM, ORGANIZER_CHAT)


async def broadcast_rows(runtime: Runtime) -> list[tuple[str, str, str, str]]:
    """(channel, address, body, status) of every broadcast message in the outbox."""
    async with runtime.engine.connect() as connection:
        rows = await connection.execute(
            select(outbox.c.channel, outbox.c.address, outbox.c.body, outbox.c.status)
            .where(outbox.c.kind == "broadcast")
            .order_by(outbox.c.address)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def broadcast_count(runtime: Runtime) -> int:
    async with runtime.engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(broadcasts)) or 0)


async def compose(person: Person, texts: tuple[str, str, str]) -> list[OutboundMessage]:
    """/broadcast, then the three answers; returns the replies to the last (the preview)."""
    assert "English" in await person.reply("/broadcast")
    assert "Spanish" in await person.reply(texts[0])
    assert "Arabic" in await person.reply(texts[1])
    return await person.say(texts[2])


# -- who may ---------------------------------------------------------------------------------


async def test_someone_not_in_organizers_is_refused_and_nothing_is_stored(
    organized: Runtime,
) -> None:
    parent = Person(organized, ChannelName.TELEGRAM, "5550101")
    assert "only organizers" in await parent.reply("/broadcast")
    assert "only organizers" in await parent.reply("/broadcast send")
    # The next message is not taken as an announcement: it is an ordinary question.
    assert "Potluck" not in await parent.reply("when is the next session?")
    state = await parent.state()
    assert COMPOSING not in state
    assert AWAITING not in state
    assert await broadcast_count(organized) == 0
    assert await broadcast_rows(organized) == []


def test_organizers_are_telegram_ids_and_phone_numbers_however_they_are_written() -> None:
    listed = frozenset({"4242", "+1 (555) 010-4242"})
    assert is_organizer(Address(ChannelName.TELEGRAM, "4242"), listed)
    assert is_organizer(Address(ChannelName.SMS, "+15550104242"), listed)
    assert not is_organizer(Address(ChannelName.TELEGRAM, "42"), listed)
    assert not is_organizer(Address(ChannelName.SMS, "+15550104243"), listed)
    assert not is_organizer(Address(ChannelName.SMS, "4242"), listed)
    assert not is_organizer(Address(ChannelName.CONSOLE, "4242"), listed)


# -- writing and previewing ------------------------------------------------------------------


async def test_the_preview_counts_people_per_language_and_channel_and_names_the_fallbacks(
    organizer: Person, organized: Runtime
) -> None:
    [preview] = await compose(organizer, (ENGLISH, SPANISH, "skip"))
    text = preview.text
    assert "reaches 7 people" in text
    assert "English: 2 on Telegram, 1 by SMS; 1 SMS segment (GSM-7)" in text
    assert "Spanish: 1 on Telegram, 1 by SMS; 1 SMS segment (GSM-7)" in text
    assert "Arabic: 1 on Telegram, 1 by SMS; 1 SMS segment (GSM-7)" in text
    assert "No text in Arabic: they get the English one." in text
    cost = re.search(r"SMS: 3 segments, about \$(\d+\.\d+)", text)
    assert cost is not None and float(cost.group(1)) > 0
    assert "Sending takes about 3 seconds." in text
    assert [(b.label, b.payload) for b in preview.buttons] == [
        ("Send", SEND_PAYLOAD),
        ("Discard", DISCARD_PAYLOAD),
    ]
    # A draft only: nothing is queued before the organizer presses Send.
    assert await broadcast_rows(organized) == []
    state = await organizer.state()
    assert COMPOSING not in state and AWAITING not in state


async def test_texts_that_read_like_requests_or_arabic_are_taken_as_the_announcement(
    organizer: Person,
) -> None:
    """ "next session…" is text, not a question, and an Arabic text does not switch the
    organizer's replies to Arabic."""
    [preview] = await compose(organizer, ("Next session is on Monday, see you!", SPANISH, ARABIC))
    assert "reaches 7 people" in preview.text
    assert "Arabic: 1 on Telegram, 1 by SMS; 1 SMS segment (UCS-2)" in preview.text
    assert "No text in" not in preview.text


async def test_the_english_text_cannot_be_skipped(organizer: Person) -> None:
    await organizer.reply("/broadcast")
    assert "cannot be skipped" in await organizer.reply("SKIP")
    assert "Spanish" in await organizer.reply(ENGLISH)
    # Spanish speakers may skip: OMITIR works like SKIP.
    assert "Arabic" in await organizer.reply("omitir")


async def test_stop_during_a_draft_still_opts_out_and_help_still_answers(
    organizer: Person, organized: Runtime
) -> None:
    await organizer.reply("/broadcast")
    assert "Here is what you can ask me" in await organizer.reply("HELP")
    assert "You will not get any more messages" in await organizer.reply("STOP")
    async with organized.engine.connect() as connection:
        contact = await contact_store.find(connection, organizer.address)
    assert contact is not None and contact.opted_out
    assert await organizer.say(ENGLISH) == []  # opted out: silence, and not taken as text
    assert "Welcome back" in await organizer.reply("START")
    # Back in: the question is still open, and the draft carries on where it was.
    assert "Spanish" in await organizer.reply(ENGLISH)
    assert await broadcast_count(organized) == 0


async def test_discard_drops_the_text_being_written_or_the_draft(
    organizer: Person, organized: Runtime
) -> None:
    await organizer.reply("/broadcast")
    await organizer.reply(ENGLISH)
    assert "dropped" in await organizer.reply("/broadcast discard")
    assert AWAITING not in await organizer.state()
    assert "no draft" in await organizer.reply("/broadcast send")

    await compose(organizer, (ENGLISH, "skip", "skip"))
    assert "dropped" in await organizer.reply(DISCARD_PAYLOAD)
    # The Send button under the old preview still works, and says why nothing happens.
    assert "already cancelled" in await organizer.reply(SEND_PAYLOAD)
    assert await broadcast_rows(organized) == []


async def test_an_unknown_sub_command_gets_the_usage(organizer: Person) -> None:
    assert "BROADCAST SEND" in await organizer.reply("/broadcast frobnicate")


# -- sending, following, cancelling ----------------------------------------------------------


async def test_send_queues_one_broadcast_message_per_recipient_in_their_language(
    organizer: Person, organized: Runtime
) -> None:
    await compose(organizer, (ENGLISH, SPANISH, "skip"))
    assert "Sending to 7 people." in await organizer.reply(SEND_PAYLOAD)
    rows = await broadcast_rows(organized)
    assert len(rows) == len(AUDIENCE)
    bodies = {address: body for _, address, body, _ in rows}
    assert bodies["103"] == bodies["+15550000002"] == SPANISH
    assert bodies["104"] == bodies["+15550000003"] == ENGLISH  # Arabic falls back
    assert {status for *_, status in rows} == {Status.QUEUED}
    # A second press sends nothing twice.
    assert "already sending" in await organizer.reply(SEND_PAYLOAD)
    assert len(await broadcast_rows(organized)) == len(AUDIENCE)


async def test_status_shows_sent_delivered_failed_opted_out_and_to_go(
    organizer: Person, organized: Runtime
) -> None:
    await compose(organizer, (ENGLISH, "skip", "skip"))
    await organizer.reply(SEND_PAYLOAD)
    settled = {
        "101": Status.SENT,
        "102": Status.DELIVERED,
        "+15550000001": Status.FAILED,
        "103": Status.SUPPRESSED,
    }
    async with organized.engine.begin() as connection:
        for address, status in settled.items():
            await connection.execute(
                update(outbox)
                .where(outbox.c.kind == "broadcast", outbox.c.address == address)
                .values(status=status.value)
            )
    answer = await organizer.reply("/broadcast status")
    assert "(sending), 7 recipients" in answer
    assert "1 sent, 1 delivered, 1 failed, 1 opted out during it, 3 to go." in answer


async def test_cancel_leaves_queued_messages_unsent(organizer: Person, organized: Runtime) -> None:
    await compose(organizer, (ENGLISH, "skip", "skip"))
    await organizer.reply(SEND_PAYLOAD)
    async with organized.engine.begin() as connection:
        await connection.execute(
            update(outbox)
            .where(outbox.c.kind == "broadcast", outbox.c.address == "101")
            .values(status=Status.SENT.value)
        )
    assert "6 queued messages will not be sent" in await organizer.reply("/broadcast cancel")
    statuses = sorted(status for *_, status in await broadcast_rows(organized))
    assert statuses == [Status.CANCELLED] * 6 + [Status.SENT]
    answer = await organizer.reply("/broadcast status")
    assert "(cancelled)" in answer and "6 not sent: cancelled." in answer
    assert "already cancelled" in await organizer.reply("/broadcast cancel")


async def test_an_organizer_phone_number_does_the_same_over_sms(organized: Runtime) -> None:
    phone = Person(organized, ChannelName.SMS, ORGANIZER_PHONE)
    assert "English" in await phone.reply("BROADCAST")
    assert "Spanish" in await phone.reply(ENGLISH)
    assert "Arabic" in await phone.reply("SKIP")
    preview = await phone.reply("تخطي")
    while "MORE" in preview.splitlines()[-1]:  # a long preview comes in SMS pages
        preview = preview + "\n" + await phone.reply("MORE")
    assert "reaches 7 people" in preview
    assert "No text in Spanish and Arabic: they get the English one." in preview
    assert "BROADCAST SEND" in preview  # SMS has no buttons: the text says what to reply
    assert "Sending to 7 people." in await phone.reply("broadcast send")
    assert len(await broadcast_rows(organized)) == len(AUDIENCE)
    assert "7 recipients" in await phone.reply("difundir estado")
