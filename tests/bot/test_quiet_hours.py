"""Quiet hours (rule 4): bulk reaches people 08:00–21:00 their time, deferred, never dropped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bot import broadcasts
from bot.broadcasts import Draft
from bot.config import Settings
from bot.messages import Address, ChannelName, OutboundKind
from bot.outbox import Status
from bot.quiet_hours import is_quiet, last_allowed_before, next_allowed
from bot.reminder_times import send_time
from bot.runtime import Runtime
from bot.scheduler import Scheduler
from bot.store import catalog_repo, subscriptions
from bot.store import contacts as contact_store
from bot.store.tables import contacts, outbox
from catalog.models import Catalog, Localized, Session
from tests.support.chat import FrozenClock, RecordingChannel

LA = ZoneInfo("America/Los_Angeles")
NY = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")


def make_session(session_id: str, starts_at: datetime) -> Session:
    return Session(
        id=session_id,
        starts_at=starts_at.astimezone(UTC),
        timezone="America/Los_Angeles",
        duration_minutes=60,
        title=Localized({"en": f"Session {session_id}"}),
        summary=Localized({"en": "About it"}),
        link=Localized({"en": "https://meet.example/x"}),
    )


async def save(runtime: Runtime, *sessions: Session) -> None:
    async with runtime.engine.begin() as connection:
        await catalog_repo.save(connection, Catalog.of(sessions, ()), runtime.clock())


async def person(
    runtime: Runtime, name: str, zone: str | None = None, leads: Sequence[int] = ()
) -> int:
    now = runtime.clock()
    async with runtime.engine.begin() as connection:
        contact = await contact_store.touch(connection, Address(ChannelName.TELEGRAM, name), now)
        await subscriptions.subscribe(connection, contact.id, "*", now)
        await connection.execute(
            update(contacts).where(contacts.c.id == contact.id).values(timezone=zone)
        )
        if leads:
            await subscriptions.set_lead_minutes(connection, contact.id, leads)
    return contact.id


async def send_times(runtime: Runtime, kind: OutboundKind) -> dict[str, datetime]:
    async with runtime.engine.connect() as connection:
        rows = await connection.execute(
            select(outbox.c.address, outbox.c.send_after).where(outbox.c.kind == kind.value)
        )
        found: dict[str, datetime] = {}
        for address, send_after in rows:
            assert address not in found, f"two {kind} rows for {address}"
            found[address] = send_after
        return found


def scheduler(runtime: Runtime) -> Scheduler:
    settings = Settings(database_url=runtime.settings.database_url)
    return Scheduler(runtime.engine, runtime.i18n, settings, runtime.clock)


def local(day: int, hour: int, minute: int = 0, zone: ZoneInfo = LA) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=zone)


def test_the_window_is_eight_to_nine_on_the_local_clock() -> None:
    assert is_quiet(local(25, 7, 59), LA)
    assert not is_quiet(local(25, 8, 0), LA)
    assert not is_quiet(local(25, 20, 59), LA)
    assert is_quiet(local(25, 21, 0), LA)
    assert is_quiet(local(25, 12, 0).astimezone(UTC), TOKYO)  # 05:00 in Tokyo
    assert not is_quiet(local(25, 12, 0).astimezone(UTC), NY)


def test_next_allowed_defers_to_the_next_morning() -> None:
    assert next_allowed(local(25, 12, 0), LA) == local(25, 12, 0)
    assert next_allowed(local(25, 6, 30), LA) == local(25, 8, 0)
    assert next_allowed(local(25, 22, 0), LA) == local(26, 8, 0)
    assert next_allowed(local(25, 21, 0), LA) == local(26, 8, 0)
    # The same instant is a different morning elsewhere.
    assert next_allowed(local(25, 22, 0), NY) == local(26, 8, 0, NY)


def test_last_allowed_before_goes_back_to_the_evening_before() -> None:
    assert last_allowed_before(local(25, 6, 30), LA) == local(24, 20, 59)
    assert last_allowed_before(local(25, 22, 0), LA) == local(25, 20, 59)
    assert last_allowed_before(local(25, 9, 0), LA) == local(25, 9, 0)


def test_a_reminder_due_at_0630_for_a_0900_session_waits_for_0800() -> None:
    assert send_time(local(25, 6, 30), local(25, 9, 0), LA) == local(25, 8, 0)


def test_a_reminder_due_at_0630_for_a_0730_session_goes_at_2059_the_evening_before() -> None:
    # The documented decision in `send_time`: early beats after the start.
    assert send_time(local(25, 6, 30), local(25, 7, 30), LA) == local(24, 20, 59)


def test_a_reminder_due_inside_the_window_goes_when_due() -> None:
    assert send_time(local(25, 17, 0), local(25, 18, 0), LA) == local(25, 17, 0)
    # Someone in New York reads a 06:30 California reminder at 09:30: no need to wait.
    assert send_time(local(25, 6, 30), local(25, 9, 0), NY) == local(25, 6, 30)


async def test_reminder_due_0630_for_a_0900_session_is_queued_for_0800(
    runtime: Runtime, clock: FrozenClock
) -> None:
    await save(runtime, make_session("morning", local(25, 9, 0)))
    await person(runtime, "la", leads=[150])  # 2 h 30 before: 06:30
    await person(runtime, "ny", "America/New_York", leads=[150])
    ticker = scheduler(runtime)

    clock.now = local(25, 6, 29)
    await ticker.tick()
    # 09:29 in New York: that one goes when due; California is asleep.
    assert await send_times(runtime, OutboundKind.REMINDER) == {"ny": local(25, 6, 30)}
    clock.now = local(25, 6, 31)
    await ticker.tick()
    assert "la" not in await send_times(runtime, OutboundKind.REMINDER)

    clock.now = local(25, 7, 59)
    await ticker.tick()
    assert await send_times(runtime, OutboundKind.REMINDER) == {
        "ny": local(25, 6, 30),
        "la": local(25, 8, 0),
    }


async def test_reminder_due_0630_for_a_0730_session_is_sent_the_evening_before(
    runtime: Runtime, clock: FrozenClock
) -> None:
    await save(runtime, make_session("early", local(25, 7, 30)))
    await person(runtime, "la", leads=[60])
    await person(runtime, "ny", "America/New_York", leads=[60])
    ticker = scheduler(runtime)

    clock.now = local(24, 20, 58)
    await ticker.tick()
    assert await send_times(runtime, OutboundKind.REMINDER) == {"la": local(24, 20, 59)}
    clock.now = local(25, 6, 29)
    await ticker.tick()
    times = await send_times(runtime, OutboundKind.REMINDER)
    assert times == {"la": local(24, 20, 59), "ny": local(25, 6, 30)}
    async with runtime.engine.connect() as connection:
        body = await connection.scalar(select(outbox.c.body).where(outbox.c.address == "la"))
    assert body is not None
    assert "tomorrow" in body


async def test_a_broadcast_at_2200_waits_for_each_recipients_morning(
    runtime: Runtime, clock: FrozenClock
) -> None:
    clock.now = local(22, 22, 0)
    await person(runtime, "la")
    await person(runtime, "ny", "America/New_York")
    await person(runtime, "tokyo", "Asia/Tokyo")
    settings = Settings(database_url=runtime.settings.database_url)
    async with runtime.engine.begin() as connection:
        bid = await broadcasts.create(connection, Draft({"en": "News"}), clock.now)
        await broadcasts.send(connection, bid, settings, clock.now)
    assert await send_times(runtime, OutboundKind.BROADCAST) == {
        "la": local(23, 8, 0),
        "ny": local(23, 8, 0, NY),  # 01:00 there: the same night's morning
        "tokyo": local(22, 22, 0),  # 15:00 in Tokyo: at once
    }


async def test_notices_in_the_night_are_deferred_and_then_sent(
    runtime: Runtime, clock: FrozenClock
) -> None:
    await save(runtime, make_session("moved", local(25, 18, 0)))
    await person(runtime, "la")
    await person(runtime, "ny", "America/New_York")
    clock.now = local(22, 22, 0)
    await save(runtime, make_session("moved", local(25, 19, 0)))
    report = await scheduler(runtime).tick()
    assert report.notices == 2
    assert await send_times(runtime, OutboundKind.NOTICE) == {
        "la": local(23, 8, 0),
        "ny": local(23, 8, 0, NY),
    }

    channel = RecordingChannel(ChannelName.TELEGRAM)
    dispatcher = runtime.dispatcher({ChannelName.TELEGRAM: channel})
    assert await dispatcher.drain(ChannelName.TELEGRAM) == 0
    clock.now = local(23, 8, 0, NY)
    assert await dispatcher.drain(ChannelName.TELEGRAM) == 1
    clock.now = local(23, 8, 0)
    assert await dispatcher.drain(ChannelName.TELEGRAM) == 1
    assert [m.address.id for m in channel.sent] == ["ny", "la"]
    async with runtime.engine.connect() as connection:
        statuses = await connection.execute(
            select(outbox.c.status).where(outbox.c.kind == OutboundKind.NOTICE.value)
        )
        assert sorted(statuses.scalars()) == [Status.SENT.value, Status.SENT.value]
