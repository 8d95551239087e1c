"""The scheduler tick: reminders exactly once, to the right people; notices of changes."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from sqlalchemy import select, update

from bot.config import Settings
from bot.messages import Address, ChannelName, OutboundKind
from bot.outbox import Status
from bot.runtime import Runtime
from bot.scheduler import GRACE, Scheduler
from bot.store import catalog_repo, consent, subscriptions
from bot.store import contacts as contact_store
from bot.store.consent import ConsentAction, ConsentSource
from bot.store.tables import contacts, outbox
from catalog.models import Catalog, Localized, Session, SessionStatus
from tests.support.chat import FrozenClock, RecordingChannel

LA = ZoneInfo("America/Los_Angeles")
NY = ZoneInfo("America/New_York")
BASE_URL = "https://bot.example"


def local(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=LA)


def make_session(
    session_id: str,
    starts_at: datetime,
    *,
    topics: Sequence[str] = (),
    minutes: int = 60,
    status: SessionStatus = SessionStatus.SCHEDULED,
    link: str | None = "https://meet.example/live",
    title: str | None = None,
) -> Session:
    return Session(
        id=session_id,
        starts_at=starts_at.astimezone(UTC),
        timezone="America/Los_Angeles",
        duration_minutes=minutes,
        title=Localized({"en": title or f"Session {session_id}"}),
        summary=Localized({"en": "What it is about"}),
        link=Localized({"en": link} if link else {}),
        topics=tuple(topics),
        status=status,
    )


async def save(runtime: Runtime, *sessions: Session) -> None:
    async with runtime.engine.begin() as connection:
        await catalog_repo.save(connection, Catalog.of(sessions, ()), runtime.clock())


async def person(
    runtime: Runtime,
    name: str,
    *,
    channel: ChannelName = ChannelName.TELEGRAM,
    locale: str | None = None,
    zone: str | None = None,
    topics: Sequence[str] = ("*",),
) -> int:
    now = runtime.clock()
    async with runtime.engine.begin() as connection:
        contact = await contact_store.touch(connection, Address(channel, name), now)
        for topic in topics:
            await subscriptions.subscribe(connection, contact.id, topic, now)
        await connection.execute(
            update(contacts).where(contacts.c.id == contact.id).values(locale=locale, timezone=zone)
        )
    return contact.id


async def bulk(runtime: Runtime, kind: OutboundKind | None = None) -> list[Any]:
    query = select(outbox).order_by(outbox.c.id)
    if kind is not None:
        query = query.where(outbox.c.kind == kind.value)
    async with runtime.engine.connect() as connection:
        return list(await connection.execute(query))


def scheduler(runtime: Runtime) -> Scheduler:
    settings = Settings(database_url=runtime.settings.database_url, public_base_url=BASE_URL)
    return Scheduler(runtime.engine, runtime.i18n, settings, runtime.clock)


def lead_of(row: Any) -> int:
    return int(row.idempotency_key.split(":")[3])


def version_of(row: Any) -> int:
    return int(row.idempotency_key.split(":")[2])


# --- exactly once ---------------------------------------------------------------------


async def test_repeated_ticks_from_two_schedulers_add_each_reminder_once(
    runtime: Runtime, clock: FrozenClock
) -> None:
    await save(runtime, make_session("s", local(24, 12, 0)))
    for name in ("a", "b", "c"):
        await person(runtime, name)
    first, second = scheduler(runtime), scheduler(runtime)

    clock.now = local(23, 11, 59)
    reports = [await first.tick() for _ in range(3)]
    reports += list(await asyncio.gather(first.tick(), second.tick()))
    reports.append(await second.tick())
    assert sum(r.reminders for r in reports) == 3
    clock.now = local(23, 12, 10)
    assert (await first.tick()).reminders == 0
    assert (await second.tick()).reminders == 0

    clock.now = local(24, 10, 59, 30)
    reports = list(await asyncio.gather(first.tick(), second.tick(), first.tick()))
    assert sum(r.reminders for r in reports) == 3
    rows = await bulk(runtime, OutboundKind.REMINDER)
    assert Counter((r.address, lead_of(r)) for r in rows) == {
        (name, lead): 1 for name in "abc" for lead in (1440, 60)
    }
    assert {r.send_after for r in rows if lead_of(r) == 60} == {local(24, 11, 0)}
    assert {r.item for r in rows} == {"s"}


async def test_a_reminder_missed_by_more_than_the_grace_is_skipped(
    runtime: Runtime, clock: FrozenClock
) -> None:
    # NOW is 10:00 in California. "late": the 1-hour reminder was due 30 minutes ago;
    # "recent": it was due 10 minutes ago, within the grace, so it still goes.
    assert timedelta(minutes=10) < GRACE < timedelta(minutes=30)
    await save(
        runtime,
        make_session("late", local(22, 10, 30)),
        make_session("recent", local(22, 10, 50)),
    )
    await person(runtime, "a")
    report = await scheduler(runtime).tick()
    assert report.reminders == 1
    (row,) = await bulk(runtime, OutboundKind.REMINDER)
    assert (row.item, lead_of(row), row.send_after) == ("recent", 60, local(22, 9, 50))
    # How soon is measured from now, not from the missed due time.
    assert "in 50 minutes" in row.body


async def test_opted_out_and_console_contacts_get_nothing(
    runtime: Runtime, clock: FrozenClock
) -> None:
    await save(runtime, make_session("s", local(22, 11, 0)))
    await person(runtime, "tg")
    await person(runtime, "+15550100", channel=ChannelName.SMS)
    await person(runtime, "terminal", channel=ChannelName.CONSOLE)
    await person(runtime, "stopped")
    async with runtime.engine.begin() as connection:
        await consent.record(
            connection,
            Address(ChannelName.TELEGRAM, "stopped"),
            ConsentAction.OPT_OUT,
            ConsentSource.KEYWORD,
            clock.now,
        )
    clock.now = local(22, 9, 59)
    await scheduler(runtime).tick()
    rows = await bulk(runtime)
    assert sorted((r.channel, r.address) for r in rows) == [
        ("sms", "+15550100"),
        ("telegram", "tg"),
    ]


async def test_topic_subscribers_get_reminders_of_their_topic_only(
    runtime: Runtime, clock: FrozenClock
) -> None:
    await save(
        runtime,
        make_session("math-1", local(22, 11, 0), topics=["math"]),
        make_session("art-1", local(22, 11, 0), topics=["art"]),
        make_session("open-1", local(22, 11, 0)),
    )
    await person(runtime, "math-fan", topics=["math"])
    await person(runtime, "everything", topics=["*"])
    await person(runtime, "both", topics=["*", "math"])
    await person(runtime, "art-and-math", topics=["art", "math"])
    clock.now = local(22, 9, 59)
    await scheduler(runtime).tick()
    rows = await bulk(runtime, OutboundKind.REMINDER)
    got = Counter((r.address, r.item) for r in rows)
    assert got == {
        ("math-fan", "math-1"): 1,
        ("everything", "math-1"): 1,
        ("everything", "art-1"): 1,
        ("everything", "open-1"): 1,
        ("both", "math-1"): 1,
        ("both", "art-1"): 1,
        ("both", "open-1"): 1,
        ("art-and-math", "math-1"): 1,
        ("art-and-math", "art-1"): 1,
    }


async def test_chosen_lead_times_are_honoured(runtime: Runtime, clock: FrozenClock) -> None:
    await save(runtime, make_session("s", local(24, 12, 0)))
    await person(runtime, "default")
    custom = await person(runtime, "custom")
    async with runtime.engine.begin() as connection:
        await subscriptions.set_lead_minutes(connection, custom, [2 * 1440, 30])
    ticker = scheduler(runtime)
    for moment in (local(22, 11, 59), local(23, 11, 59), local(24, 10, 59), local(24, 11, 29)):
        clock.now = moment
        await ticker.tick()
    rows = await bulk(runtime, OutboundKind.REMINDER)
    assert sorted((r.address, lead_of(r)) for r in rows) == [
        ("custom", 30),
        ("custom", 2880),
        ("default", 60),
        ("default", 1440),
    ]


async def test_a_reminder_speaks_the_readers_language_and_links_the_calendar(
    runtime: Runtime, clock: FrozenClock
) -> None:
    await save(runtime, make_session("s", local(22, 11, 0), title="Reading at home"))
    await person(runtime, "en")
    await person(runtime, "es", locale="es")
    await person(runtime, "ar", locale="ar", zone="America/New_York")
    await person(runtime, "fr", locale="fr")  # not a bot language: English
    clock.now = local(22, 9, 59)
    await scheduler(runtime).tick()
    rows = {r.address: r for r in await bulk(runtime, OutboundKind.REMINDER)}
    assert {a: r.locale for a, r in rows.items()} == {
        "en": "en",
        "es": "es",
        "ar": "ar",
        "fr": "en",
    }
    assert "Reading at home" in rows["en"].body
    assert "in 1 hour" in rows["en"].body
    for address, row in rows.items():
        assert f"{BASE_URL}/sessions/s.ics?lang={row.locale}" in row.body, address
    start_ny = local(22, 11, 0).astimezone(NY)
    assert format_date(start_ny, "full", locale="ar") in rows["ar"].body
    assert format_time(start_ny, "short", locale="ar") in rows["ar"].body


# --- notices of changes ---------------------------------------------------------------


async def subscribers_for_notices(runtime: Runtime) -> None:
    await person(runtime, "en")
    await person(runtime, "es", locale="es")
    await person(runtime, "ar", locale="ar", zone="America/New_York")


async def test_a_reschedule_notifies_once_and_reminders_follow_the_new_time(
    runtime: Runtime, clock: FrozenClock
) -> None:
    await save(runtime, make_session("s", local(24, 12, 0)))
    await subscribers_for_notices(runtime)
    ticker = scheduler(runtime)
    clock.now = local(23, 11, 59)
    assert (await ticker.tick()).reminders == 3

    moved = local(24, 14, 30)
    await save(runtime, make_session("s", moved))
    old = await bulk(runtime, OutboundKind.REMINDER)
    assert {r.status for r in old} == {Status.CANCELLED.value}

    reports = [await ticker.tick(), await ticker.tick(), await scheduler(runtime).tick()]
    assert [r.notices for r in reports] == [3, 0, 0]
    assert sum(r.reminders for r in reports) == 0
    notices = {r.address: r for r in await bulk(runtime, OutboundKind.NOTICE)}
    assert {a: r.locale for a, r in notices.items()} == {"en": "en", "es": "es", "ar": "ar"}
    for address, zone in (("en", LA), ("es", LA), ("ar", NY)):
        body = notices[address].body
        shown = moved.astimezone(zone)
        assert format_date(shown, "full", locale=address) in body, address
        assert format_time(shown, "short", locale=address) in body, address
        assert f"s.ics?lang={address}" in body
    assert "14:30" in notices["es"].body
    assert "2:30" in notices["en"].body
    assert "5:30" in notices["ar"].body  # New York time
    assert {r.send_after for r in notices.values()} == {clock.now}

    # Nothing at the old times any more; the new ones at the new times.
    clock.now = local(23, 12, 5)
    assert (await ticker.tick()).reminders == 0
    clock.now = local(23, 14, 29)
    assert (await ticker.tick()).reminders == 3
    clock.now = local(24, 11, 0)
    assert (await ticker.tick()).reminders == 0
    clock.now = local(24, 13, 29)
    assert (await ticker.tick()).reminders == 3
    live = [r for r in await bulk(runtime, OutboundKind.REMINDER) if r.status == "queued"]
    assert Counter(r.send_after for r in live) == {local(23, 14, 30): 3, local(24, 13, 30): 3}
    assert {version_of(r) for r in live} == {2}


async def test_rescheduling_twice_before_a_tick_sends_only_the_newest(
    runtime: Runtime, clock: FrozenClock
) -> None:
    await save(runtime, make_session("s", local(24, 12, 0)))
    await subscribers_for_notices(runtime)
    await save(runtime, make_session("s", local(24, 13, 15)))
    await save(runtime, make_session("s", local(25, 16, 45)))
    assert (await scheduler(runtime).tick()).notices == 3
    notices = await bulk(runtime, OutboundKind.NOTICE)
    assert sorted(r.address for r in notices) == ["ar", "en", "es"]
    for row in notices:
        zone = NY if row.address == "ar" else LA
        assert (
            format_date(local(25, 16, 45).astimezone(zone), "full", locale=row.locale) in row.body
        )
        assert format_time(local(24, 13, 15).astimezone(zone), "short", locale=row.locale) not in (
            row.body
        )
    assert (await scheduler(runtime).tick()).notices == 0


async def test_a_cancellation_notifies_once_and_stops_the_reminders(
    runtime: Runtime, clock: FrozenClock
) -> None:
    session = make_session("s", local(24, 12, 0))
    await save(runtime, session)
    await subscribers_for_notices(runtime)
    ticker = scheduler(runtime)
    clock.now = local(23, 11, 59)
    assert (await ticker.tick()).reminders == 3

    cancelled = make_session("s", local(24, 12, 0), status=SessionStatus.CANCELLED)
    await save(runtime, cancelled)
    assert {r.status for r in await bulk(runtime, OutboundKind.REMINDER)} == {"cancelled"}
    assert (await ticker.tick()).notices == 3
    assert (await ticker.tick()).notices == 0
    notices = {r.address: r for r in await bulk(runtime, OutboundKind.NOTICE)}
    assert set(notices) == {"en", "es", "ar"}
    assert "Cancelled" in notices["en"].body
    for address, row in notices.items():
        zone = NY if address == "ar" else LA
        assert format_date(local(24, 12, 0).astimezone(zone), "full", locale=address) in row.body

    for moment in (local(24, 10, 59), local(24, 11, 0)):
        clock.now = moment
        assert (await ticker.tick()).reminders == 0
    # Saving the cancelled session again says nothing new.
    await save(runtime, cancelled)
    assert (await ticker.tick()).notices == 0


async def test_a_recording_link_after_the_session_sends_one_notice(
    runtime: Runtime, clock: FrozenClock
) -> None:
    await save(runtime, make_session("past", local(21, 18, 0), link=None))
    await subscribers_for_notices(runtime)
    await person(runtime, "art-fan", topics=["art"])
    ticker = scheduler(runtime)
    assert (await ticker.tick()).queued == 0

    await save(runtime, make_session("past", local(21, 18, 0), link="https://video.example/r"))
    assert (await ticker.tick()).notices == 3
    assert (await ticker.tick()).notices == 0
    notices = await bulk(runtime, OutboundKind.NOTICE)
    assert sorted(r.address for r in notices) == ["ar", "en", "es"]
    assert all("https://video.example/r" in r.body for r in notices)
    assert "recording" in next(r.body for r in notices if r.address == "en")


async def test_a_recording_link_corrected_before_the_tick_sends_one_notice(
    runtime: Runtime, clock: FrozenClock
) -> None:
    await save(runtime, make_session("past", local(21, 18, 0), link=None))
    await subscribers_for_notices(runtime)
    await save(runtime, make_session("past", local(21, 18, 0), link="https://video.example/typo"))
    await save(runtime, make_session("past", local(21, 18, 0), link="https://video.example/r"))
    assert (await scheduler(runtime).tick()).notices == 3
    notices = await bulk(runtime, OutboundKind.NOTICE)
    assert sorted(r.address for r in notices) == ["ar", "en", "es"]
    assert all("https://video.example/r" in r.body for r in notices)


async def test_a_recording_link_corrected_after_the_tick_replaces_the_queued_notice(
    runtime: Runtime, clock: FrozenClock
) -> None:
    await save(runtime, make_session("past", local(21, 18, 0), link=None))
    await subscribers_for_notices(runtime)
    ticker = scheduler(runtime)
    await save(runtime, make_session("past", local(21, 18, 0), link="https://video.example/typo"))
    assert (await ticker.tick()).notices == 3
    await save(runtime, make_session("past", local(21, 18, 0), link="https://video.example/r"))
    assert (await ticker.tick()).notices == 3
    queued = [r for r in await bulk(runtime, OutboundKind.NOTICE) if r.status == "queued"]
    assert sorted(r.address for r in queued) == ["ar", "en", "es"]
    assert all("https://video.example/r" in r.body for r in queued)


async def test_wording_edits_are_silent(runtime: Runtime, clock: FrozenClock) -> None:
    await save(runtime, make_session("s", local(24, 12, 0)))
    await subscribers_for_notices(runtime)
    await save(runtime, make_session("s", local(24, 12, 0), title="A better title"))
    assert (await scheduler(runtime).tick()).notices == 0
    async with runtime.engine.connect() as connection:
        stored = (await catalog_repo.load(connection)).session("s")
    assert stored is not None
    assert stored.version == 1


async def test_changing_only_the_length_does_not_repeat_a_reminder(
    runtime: Runtime, clock: FrozenClock
) -> None:
    await save(runtime, make_session("s", local(24, 12, 0)))
    await person(runtime, "a")
    ticker = scheduler(runtime)
    clock.now = local(24, 10, 59)
    assert (await ticker.tick()).reminders == 1

    clock.now = local(24, 10, 59, 30)
    await save(runtime, make_session("s", local(24, 12, 0), minutes=90))
    await ticker.tick()
    channel = RecordingChannel(ChannelName.TELEGRAM)
    dispatcher = runtime.dispatcher({ChannelName.TELEGRAM: channel})
    clock.now = local(24, 11, 0)
    await dispatcher.drain(ChannelName.TELEGRAM)
    clock.now = local(24, 11, 5)
    await ticker.tick()
    await dispatcher.drain(ChannelName.TELEGRAM)
    assert [m.kind for m in channel.sent] == [OutboundKind.REMINDER]
