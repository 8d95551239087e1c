"""Deleting a person's data on request: all of it goes, nobody else's, and they stay unmessaged."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot import broadcasts
from bot.broadcasts import Draft
from bot.erasure import ErasureReport, erase
from bot.messages import Address, ChannelName, InboundMessage, OutboundKind
from bot.outbox import Status
from bot.runtime import Runtime
from bot.store import consent
from bot.store import contacts as contact_store
from bot.store.tables import consent_events, contacts, inbound_log, outbox, subscriptions
from tests.support.chat import RecordingChannel

SMS = ChannelName.SMS
ANA = Address(SMS, "+15550123456")
BEN = Address(SMS, "+15550987654")


class Phones:
    """Two parents texting the bot through the real conversation, outbox and dispatcher."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.channel = RecordingChannel(SMS)
        self.dispatcher = runtime.dispatcher({SMS: self.channel})

    async def say(self, address: Address, text: str, name: str | None = None) -> list[str]:
        before = len(self.channel.sent)
        message = InboundMessage(address, text, self.runtime.clock(), display_name=name)
        await self.dispatcher.deliver(await self.runtime.conversation.handle(message))
        return [m.text for m in self.channel.sent[before:] if m.address == address]

    async def drain(self) -> list[Address]:
        """Send everything due; who got something."""
        before = len(self.channel.sent)
        await self.dispatcher.drain(SMS)
        return [m.address for m in self.channel.sent[before:]]


@pytest.fixture
async def phones(runtime: Runtime) -> Phones:
    phones = Phones(runtime)
    for address, name in ((ANA, "Ana Pérez"), (BEN, "Ben")):
        await phones.say(address, "hola", name)
        await phones.say(address, "subscribe")
        await phones.say(address, "remind me 2 hours before")
    # Ana once stopped and came back: her consent history has two entries.
    await phones.say(ANA, "STOP")
    await phones.say(ANA, "START")
    await phones.say(ANA, "subscribe")
    async with runtime.engine.begin() as connection:
        await connection.execute(
            update(contacts)
            .where(contacts.c.address == ANA.id)
            .values(timezone="America/Chicago", delivery_problem="30003")
        )
    return phones


async def broadcast(runtime: Runtime, text: str) -> int:
    """Queue a broadcast to every subscriber; returns how many messages it queued."""
    async with runtime.engine.begin() as connection:
        bid = await broadcasts.create(connection, Draft({"en": text}), runtime.clock())
        await broadcasts.send(connection, bid, runtime.settings, runtime.clock())
        return int(
            await connection.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.item == str(bid))
            )
        )


async def erase_now(runtime: Runtime, address: Address) -> ErasureReport:
    async with runtime.engine.begin() as connection:
        return await erase(connection, address, runtime.clock())


async def footprint(runtime: Runtime, address: Address) -> dict[str, int]:
    """How many rows of each kind are about `address`."""
    async with runtime.engine.connect() as connection:
        contact_ids = select(contacts.c.id).where(
            contacts.c.channel == address.channel.value, contacts.c.address == address.id
        )

        async def count(table: Any, *where: Any) -> int:
            return int(
                await connection.scalar(select(func.count()).select_from(table).where(*where))
            )

        return {
            "subscriptions": await count(
                subscriptions, subscriptions.c.contact_id.in_(contact_ids)
            ),
            "inbound": await count(inbound_log, inbound_log.c.contact_id.in_(contact_ids)),
            "outbox": await count(
                outbox, outbox.c.channel == address.channel.value, outbox.c.address == address.id
            ),
            "consent": await count(
                consent_events,
                consent_events.c.channel == address.channel.value,
                consent_events.c.address == address.id,
            ),
        }


async def test_erasure_deletes_everything_about_the_person(
    runtime: Runtime, phones: Phones
) -> None:
    before = await footprint(runtime, ANA)
    assert all(before.values()), before

    report = await erase_now(runtime, ANA)

    assert report.contact
    assert report.subscriptions == before["subscriptions"]
    assert report.messages_in == before["inbound"]
    assert report.messages_out == before["outbox"]
    assert report.consent_events == before["consent"] == 2
    assert await footprint(runtime, ANA) == {
        "subscriptions": 0,
        "inbound": 0,
        "outbox": 0,
        "consent": 1,
    }
    async with runtime.engine.connect() as connection:
        row = (await connection.execute(select(contacts).where(contacts.c.address == ANA.id))).one()
        ledger = await consent.history(connection, ANA)
    assert (row.display_name, row.locale, row.state, row.timezone) == (None, None, {}, None)
    assert (row.reminder_minutes, row.delivery_problem, row.opted_out) == (None, None, True)
    assert [(action, source) for action, source, _ in ledger] == [("opt_out", "erasure")]


async def test_erasure_leaves_everyone_else_untouched(runtime: Runtime, phones: Phones) -> None:
    before = await footprint(runtime, BEN)
    async with runtime.engine.connect() as connection:
        ben_before = (
            await connection.execute(select(contacts).where(contacts.c.address == BEN.id))
        ).one()

    await erase_now(runtime, ANA)

    assert await footprint(runtime, BEN) == before
    async with runtime.engine.connect() as connection:
        ben_after = (
            await connection.execute(select(contacts).where(contacts.c.address == BEN.id))
        ).one()
    assert ben_after == ben_before


async def test_messages_queued_for_them_are_never_sent(runtime: Runtime, phones: Phones) -> None:
    assert await broadcast(runtime, "Reading night on Friday") == 2

    report = await erase_now(runtime, ANA)

    assert report.unsent == 1
    assert await phones.drain() == [BEN]


async def test_a_broadcast_after_the_erasure_does_not_reach_them(
    runtime: Runtime, phones: Phones
) -> None:
    await erase_now(runtime, ANA)
    assert await broadcast(runtime, "Reading night on Friday") == 1
    assert await phones.drain() == [BEN]


async def test_an_erased_person_who_writes_again_stays_opted_out_until_start(
    runtime: Runtime, phones: Phones
) -> None:
    await erase_now(runtime, ANA)

    assert await phones.say(ANA, "hello") == []
    assert await phones.say(ANA, "sessions") == []
    async with runtime.engine.connect() as connection:
        contact = await contact_store.find(connection, ANA)
        suppressed = await connection.scalar(
            select(func.count())
            .select_from(outbox)
            .where(outbox.c.address == ANA.id, outbox.c.status == Status.SUPPRESSED.value)
        )
    assert contact is not None and contact.opted_out
    assert suppressed == 2

    welcome = await phones.say(ANA, "START")
    assert welcome and "Welcome back" in welcome[0]
    assert await phones.say(ANA, "hello")


async def test_erasing_an_address_never_seen_still_keeps_it_opted_out(runtime: Runtime) -> None:
    stranger = Address(ChannelName.TELEGRAM, "987654321")
    report = await erase_now(runtime, stranger)
    assert not report.contact
    assert (report.messages_in, report.messages_out, report.consent_events) == (0, 0, 0)
    async with runtime.engine.connect() as connection:
        contact = await contact_store.find(connection, stranger)
    assert contact is not None and contact.opted_out


async def test_erasure_removes_replies_stored_without_a_contact(
    runtime: Runtime, phones: Phones
) -> None:
    """Rows written by address only (no contact id) are theirs too."""
    async with runtime.engine.begin() as connection:
        await connection.execute(
            outbox.insert().values(
                channel=SMS.value,
                address=ANA.id,
                contact_id=None,
                kind=OutboundKind.NOTICE.value,
                priority=5,
                locale="es",
                body="Aviso",
                buttons=[],
                status=Status.QUEUED.value,
                send_after=runtime.clock(),
                created_at=runtime.clock(),
            )
        )
    await erase_now(runtime, ANA)
    assert (await footprint(runtime, ANA))["outbox"] == 0
    assert await phones.drain() == []
