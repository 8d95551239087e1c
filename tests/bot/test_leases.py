"""Sender leases: one process sends on a channel; another takes over when it stops."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.dispatcher import Dispatcher
from bot.messages import ChannelName, OutboundKind, Priority
from bot.metrics import Metrics
from bot.outbox import Status
from bot.pump import OutboxPump, lease_name
from bot.runtime import Runtime
from bot.store import leases
from bot.store.tables import leases as lease_table
from bot.store.tables import outbox
from tests.support.chat import FrozenClock, RecordingChannel

TTL = timedelta(seconds=15)
NAME = "sender:test"


async def hold(runtime: Runtime, holder: str, name: str = NAME) -> bool:
    async with runtime.engine.begin() as connection:
        return await leases.hold(connection, name, holder, runtime.clock(), TTL)


async def release(runtime: Runtime, holder: str) -> None:
    async with runtime.engine.begin() as connection:
        await leases.release(connection, NAME, holder, runtime.clock())


async def test_the_first_holder_keeps_it_until_it_expires(
    runtime: Runtime, clock: FrozenClock
) -> None:
    assert await hold(runtime, "a")
    assert not await hold(runtime, "b")
    clock.now += TTL - timedelta(seconds=1)
    assert not await hold(runtime, "b")
    clock.now += timedelta(seconds=2)  # a never renewed: expired
    assert await hold(runtime, "b")
    assert not await hold(runtime, "a")


async def test_renewing_pushes_the_expiry_on(runtime: Runtime, clock: FrozenClock) -> None:
    assert await hold(runtime, "a")
    for _ in range(5):
        clock.now += timedelta(seconds=10)
        assert await hold(runtime, "a")
        assert not await hold(runtime, "b")


async def test_leases_are_named_apart(runtime: Runtime) -> None:
    assert await hold(runtime, "a", "sender:sms")
    assert await hold(runtime, "b", "sender:telegram")
    assert not await hold(runtime, "b", "sender:sms")


async def test_release_lets_a_successor_in_at_once(runtime: Runtime, clock: FrozenClock) -> None:
    assert await hold(runtime, "a")
    await release(runtime, "b")  # not b's to give
    assert not await hold(runtime, "b")
    await release(runtime, "a")
    assert await hold(runtime, "b")
    assert not await hold(runtime, "a")


# --- the pump ---------------------------------------------------------------------------


def pump(runtime: Runtime, worker: str, channel: RecordingChannel) -> OutboxPump:
    dispatcher = Dispatcher(runtime.engine, {ChannelName.CONSOLE: channel}, worker, runtime.clock)
    return OutboxPump(runtime.engine, dispatcher, Metrics(), runtime.clock, lease=TTL)


async def add_claimed(runtime: Runtime, worker: str, channel: ChannelName) -> int:
    now = runtime.clock()
    async with runtime.engine.begin() as connection:
        result = await connection.execute(
            outbox.insert().returning(outbox.c.id),
            {
                "channel": channel.value,
                "address": "someone",
                "kind": OutboundKind.BROADCAST.value,
                "priority": Priority.BULK,
                "locale": "en",
                "body": "news",
                "buttons": [],
                "status": Status.SENDING.value,
                "send_after": now,
                "attempts": 1,
                "claimed_by": worker,
                "claimed_at": now,
                "created_at": now,
            },
        )
        return int(result.scalar_one())


async def status_of(runtime: Runtime, message_id: int) -> str:
    async with runtime.engine.connect() as connection:
        found = await connection.scalar(select(outbox.c.status).where(outbox.c.id == message_id))
        return str(found)


async def test_holds_is_false_until_the_leases_are_taken(
    runtime: Runtime, clock: FrozenClock
) -> None:
    first = pump(runtime, "worker-a", RecordingChannel())
    assert not first.holds(ChannelName.CONSOLE)
    await first.take_leases()
    assert first.holds(ChannelName.CONSOLE)
    assert not first.holds(ChannelName.SMS)  # not one of its channels
    # Unrenewed, it stops believing it holds the lease before the lease really ends.
    clock.now += TTL * 2 / 3
    assert not first.holds(ChannelName.CONSOLE)
    clock.now -= TTL * 2 / 3
    await first.release()
    assert not first.holds(ChannelName.CONSOLE)


async def test_a_second_pump_waits_then_takes_over_and_requeues_the_orphans(
    runtime: Runtime, clock: FrozenClock
) -> None:
    first = pump(runtime, "worker-a", RecordingChannel())
    second = pump(runtime, "worker-b", RecordingChannel())
    await first.take_leases()
    await second.take_leases()
    assert first.holds(ChannelName.CONSOLE)
    assert not second.holds(ChannelName.CONSOLE)

    # The first one claims a batch and dies; its lease runs out.
    orphan = await add_claimed(runtime, "worker-a", ChannelName.CONSOLE)
    elsewhere = await add_claimed(runtime, "worker-a", ChannelName.SMS)
    clock.now += timedelta(seconds=5)
    await second.take_leases()
    assert not second.holds(ChannelName.CONSOLE)
    assert await status_of(runtime, orphan) == Status.SENDING

    clock.now += TTL
    await second.take_leases()
    assert second.holds(ChannelName.CONSOLE)
    assert await status_of(runtime, orphan) == Status.QUEUED
    assert await status_of(runtime, elsewhere) == Status.SENDING  # another channel's lease

    # Renewing is not a take-over: its own claims stay put.
    mine = await add_claimed(runtime, "worker-b", ChannelName.CONSOLE)
    clock.now += TTL / 2
    await second.take_leases()
    assert second.holds(ChannelName.CONSOLE)
    assert await status_of(runtime, mine) == Status.SENDING


async def test_a_clean_stop_hands_the_lease_over_at_once(
    runtime: Runtime, clock: FrozenClock
) -> None:
    first = pump(runtime, "worker-a", RecordingChannel())
    second = pump(runtime, "worker-b", RecordingChannel())
    await first.take_leases()
    await first.release()
    assert not first.holds(ChannelName.CONSOLE)
    await second.take_leases()
    assert second.holds(ChannelName.CONSOLE)
    async with runtime.engine.connect() as connection:
        holder = await connection.scalar(
            select(lease_table.c.holder).where(
                lease_table.c.name == lease_name(ChannelName.CONSOLE)
            )
        )
    assert holder == "worker-b"
