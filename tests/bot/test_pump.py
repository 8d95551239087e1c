"""The outbox loop of `serve`: drains what is due, recovers orphaned claims, stops cleanly."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.channels.base import SendOutcome
from bot.messages import ChannelName, OutboundKind, OutboundMessage, Priority
from bot.metrics import Metrics
from bot.outbox import Status
from bot.pump import OutboxPump
from bot.runtime import Runtime
from bot.store.tables import outbox
from tests.support.chat import FrozenClock, RecordingChannel


async def add_row(
    runtime: Runtime,
    address: str,
    status: Status,
    claimed_ago: timedelta,
    channel: ChannelName = ChannelName.CONSOLE,
) -> int:
    now = runtime.clock()
    async with runtime.engine.begin() as connection:
        result = await connection.execute(
            outbox.insert().returning(outbox.c.id),
            {
                "channel": channel.value,
                "address": address,
                "kind": OutboundKind.BROADCAST.value,
                "priority": Priority.BULK,
                "locale": "en",
                "body": "news",
                "buttons": [],
                "status": status.value,
                "send_after": now,
                "attempts": 1,
                "claimed_at": now - claimed_ago,
                "created_at": now,
            },
        )
        return int(result.scalar_one())


async def status_of(runtime: Runtime, message_id: int) -> str:
    async with runtime.engine.connect() as connection:
        return str(
            (
                await connection.execute(select(outbox.c.status).where(outbox.c.id == message_id))
            ).scalar_one()
        )


def pump_for(runtime: Runtime, channel: RecordingChannel) -> OutboxPump:
    dispatcher = runtime.dispatcher({ChannelName.CONSOLE: channel})
    return OutboxPump(runtime.engine, dispatcher, Metrics(), runtime.clock, poll_seconds=0.05)


async def test_a_claim_orphaned_by_a_crash_is_sent_after_all(
    runtime: Runtime, recorder: RecordingChannel, clock: FrozenClock
) -> None:
    orphan = await add_row(runtime, "a", Status.SENDING, claimed_ago=timedelta(minutes=10))
    in_flight = await add_row(runtime, "b", Status.SENDING, claimed_ago=timedelta(seconds=5))
    pump = pump_for(runtime, recorder)
    stop = asyncio.Event()
    task = asyncio.create_task(pump.run(stop))
    await asyncio.sleep(0.2)
    stop.set()
    await asyncio.wait_for(task, 2)
    assert [m.id for m in recorder.sent] == [orphan]
    assert await status_of(runtime, orphan) == Status.SENT
    assert await status_of(runtime, in_flight) == Status.SENDING


async def test_orphans_are_looked_for_once_a_minute(
    runtime: Runtime, recorder: RecordingChannel, clock: FrozenClock
) -> None:
    pump = pump_for(runtime, recorder)
    assert await pump.reap() == 0
    await add_row(runtime, "a", Status.SENDING, claimed_ago=timedelta(minutes=10))
    assert await pump.reap() == 0
    clock.now += timedelta(minutes=1)
    assert await pump.reap() == 1


async def test_the_pump_wakes_for_new_work_and_stops_promptly(
    runtime: Runtime, recorder: RecordingChannel
) -> None:
    pump = pump_for(runtime, recorder)
    pump._poll_seconds = 30
    stop = asyncio.Event()
    task = asyncio.create_task(pump.run(stop))
    await asyncio.sleep(0.05)
    queued = await add_row(runtime, "c", Status.QUEUED, claimed_ago=timedelta(0))
    pump.wake.set()
    for _ in range(100):
        if recorder.sent:
            break
        await asyncio.sleep(0.01)
    assert [m.id for m in recorder.sent] == [queued]
    stop.set()
    await asyncio.wait_for(task, 1)


class StuckChannel(RecordingChannel):
    """A provider that takes as long as the test says: a broadcast hours long, in effect."""

    def __init__(self, name: ChannelName) -> None:
        super().__init__(name)
        self.release = asyncio.Event()

    async def send(self, message: OutboundMessage) -> SendOutcome:
        await self.release.wait()
        return await super().send(message)


async def test_a_long_drain_on_one_channel_does_not_hold_up_another(runtime: Runtime) -> None:
    telegram, sms = StuckChannel(ChannelName.TELEGRAM), RecordingChannel(ChannelName.SMS)
    dispatcher = runtime.dispatcher({ChannelName.TELEGRAM: telegram, ChannelName.SMS: sms})
    pump = OutboxPump(runtime.engine, dispatcher, Metrics(), runtime.clock, poll_seconds=30)
    await add_row(runtime, "1", Status.QUEUED, timedelta(0), ChannelName.TELEGRAM)
    stop = asyncio.Event()
    task = asyncio.create_task(pump.run(stop))
    await asyncio.sleep(0.1)  # Telegram's drain is now stuck in its send

    reply = await add_row(runtime, "+15550100000", Status.QUEUED, timedelta(0), ChannelName.SMS)
    pump.wake.set()
    for _ in range(200):
        if sms.sent:
            break
        await asyncio.sleep(0.01)

    assert [m.id for m in sms.sent] == [reply]
    assert telegram.sent == []
    telegram.release.set()
    stop.set()
    await asyncio.wait_for(task, 2)
    assert len(telegram.sent) == 1
