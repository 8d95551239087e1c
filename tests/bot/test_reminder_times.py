"""Reminder times across DST changes (rule 4): whole days on the session's calendar.

2026-03-08 is the spring-forward day in California (02:00 → 03:00) and 2026-11-01 the
fall-back day (02:00 → 01:00), so "one day before" a 6 pm session is 23 and 25 hours.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.config import Settings
from bot.messages import Address, ChannelName, OutboundKind
from bot.reminder_times import due_at
from bot.runtime import Runtime
from bot.scheduler import Scheduler
from bot.store import catalog_repo, subscriptions
from bot.store import contacts as contact_store
from bot.store.tables import contacts, outbox
from catalog.models import Catalog, Localized, Session
from tests.support.chat import FrozenClock

LA = ZoneInfo("America/Los_Angeles")
NY = ZoneInfo("America/New_York")
DAY = 24 * 60


def make_session(session_id: str, starts_at: datetime, zone: ZoneInfo = LA) -> Session:
    return Session(
        id=session_id,
        starts_at=starts_at.astimezone(UTC),
        timezone=zone.key,
        duration_minutes=60,
        title=Localized({"en": f"Session {session_id}"}),
        summary=Localized({"en": "About it"}),
        link=Localized({"en": "https://meet.example/x"}),
    )


async def save(runtime: Runtime, *sessions: Session) -> None:
    async with runtime.engine.begin() as connection:
        await catalog_repo.save(connection, Catalog.of(sessions, ()), runtime.clock())


async def subscriber(runtime: Runtime, name: str, zone: str | None = None) -> int:
    now = runtime.clock()
    async with runtime.engine.begin() as connection:
        contact = await contact_store.touch(connection, Address(ChannelName.TELEGRAM, name), now)
        await subscriptions.subscribe(connection, contact.id, "*", now)
        await connection.execute(
            update(contacts).where(contacts.c.id == contact.id).values(timezone=zone)
        )
    return contact.id


async def reminders(runtime: Runtime) -> set[tuple[str, int, datetime]]:
    """(address, lead minutes, send_after) of every queued reminder."""
    async with runtime.engine.connect() as connection:
        rows = await connection.execute(
            select(outbox.c.address, outbox.c.idempotency_key, outbox.c.send_after).where(
                outbox.c.kind == OutboundKind.REMINDER.value
            )
        )
        return {(r.address, int(r.idempotency_key.split(":")[3]), r.send_after) for r in rows}


def scheduler(runtime: Runtime) -> Scheduler:
    settings = Settings(database_url=runtime.settings.database_url)
    return Scheduler(runtime.engine, runtime.i18n, settings, runtime.clock)


SPRING = datetime(2026, 3, 8, 18, 0, tzinfo=LA)
FALL = datetime(2026, 11, 1, 18, 0, tzinfo=LA)


def test_one_day_before_the_spring_forward_evening_is_23_hours() -> None:
    due = due_at(SPRING.astimezone(UTC), LA, DAY)
    assert due == datetime(2026, 3, 7, 18, 0, tzinfo=LA)
    assert SPRING - due == timedelta(hours=23)
    assert due.astimezone(LA).hour == 18


def test_one_hour_before_the_spring_forward_evening_is_17_local() -> None:
    due = due_at(SPRING.astimezone(UTC), LA, 60)
    assert due == datetime(2026, 3, 8, 17, 0, tzinfo=LA)
    assert due.astimezone(LA).hour == 17
    assert SPRING - due == timedelta(hours=1)


def test_one_day_before_the_fall_back_evening_is_25_hours() -> None:
    due = due_at(FALL.astimezone(UTC), LA, DAY)
    assert due == datetime(2026, 10, 31, 18, 0, tzinfo=LA)
    assert due.astimezone(LA).utcoffset() == timedelta(hours=-7)  # still PDT
    assert FALL - due == timedelta(hours=25)


def test_a_lead_of_days_and_minutes_takes_the_days_on_the_calendar() -> None:
    due = due_at(SPRING.astimezone(UTC), LA, DAY + 90)
    assert due == datetime(2026, 3, 7, 16, 30, tzinfo=LA)
    week = due_at(SPRING.astimezone(UTC), LA, 7 * DAY)
    assert week == datetime(2026, 3, 1, 18, 0, tzinfo=LA)


def test_the_result_does_not_depend_on_the_zone_of_the_given_start() -> None:
    utc = due_at(SPRING.astimezone(UTC), LA, DAY)
    assert due_at(SPRING, LA, DAY) == utc
    assert due_at(SPRING.astimezone(NY), LA, DAY) == utc


def test_a_short_lead_before_the_second_0130_is_plain_elapsed_time() -> None:
    # 01:30 happens twice on 1 November; the session is the second one (PST, 09:30 UTC).
    start = datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=LA).astimezone(UTC)
    assert start == datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    assert due_at(start, LA, 60) == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    assert due_at(start, LA, 30) == datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


# Local times the clocks skip (02:30 on 8 March) or pass twice (01:30 on 1 November), as
# sessions themselves or as the day-before time of a session on the next day.
ODD_STARTS = [
    pytest.param(datetime(2026, 3, 8, 2, 30, tzinfo=LA), id="skipped-0230-spring"),
    pytest.param(datetime(2026, 3, 9, 2, 30, tzinfo=LA), id="reminder-in-the-gap"),
    pytest.param(datetime(2026, 3, 8, 3, 30, tzinfo=LA), id="just-after-the-gap"),
    pytest.param(datetime(2026, 11, 1, 2, 30, tzinfo=LA), id="0230-fall"),
    pytest.param(datetime(2026, 11, 1, 1, 30, tzinfo=LA), id="ambiguous-first"),
    pytest.param(datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=LA), id="ambiguous-second"),
    pytest.param(datetime(2026, 11, 2, 1, 30, tzinfo=LA), id="reminder-in-the-repeat"),
]


@pytest.mark.parametrize("start", ODD_STARTS)
@pytest.mark.parametrize("lead", [DAY, 60, 30, 2 * DAY + 15, 7 * DAY])
def test_odd_local_times_give_sane_instants(start: datetime, lead: int) -> None:
    starts_at = start.astimezone(UTC)
    due = due_at(starts_at, LA, lead)
    assert due.tzinfo is not None
    days, minutes = divmod(lead, DAY)
    # Before the start by the lead, give or take the one DST hour per calendar day.
    assert timedelta(minutes=lead - 60) <= starts_at - due <= timedelta(minutes=lead + 60)
    if days == 0:
        assert starts_at - due == timedelta(minutes=minutes)
    else:
        # On the session's calendar: `days` days earlier, less the minutes, about the
        # same wall-clock time (an hour off when that time does not exist or repeats).
        local_start = start.astimezone(LA)
        local_due = (due + timedelta(minutes=minutes)).astimezone(LA)
        assert local_due.date() == local_start.date() - timedelta(days=days)
        drift = (local_due.hour - local_start.hour) * 60 + local_due.minute - local_start.minute
        assert abs(drift) <= 60


async def test_spring_forward_reminders_are_queued_for_the_exact_instants(
    runtime: Runtime, clock: FrozenClock
) -> None:
    clock.now = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)
    await save(runtime, make_session("spring", SPRING))
    await subscriber(runtime, "la")
    await subscriber(runtime, "ny", "America/New_York")
    ticker = scheduler(runtime)

    day_before = datetime(2026, 3, 7, 18, 0, tzinfo=LA)
    clock.now = day_before - timedelta(minutes=3)
    await ticker.tick()
    assert await reminders(runtime) == set()  # not before its look-ahead

    clock.now = day_before - timedelta(minutes=1)
    await ticker.tick()
    # 21:00 in New York is quiet: that one waits for 08:00 there (already EDT that day).
    assert await reminders(runtime) == {("la", DAY, day_before)}
    ny_morning = datetime(2026, 3, 8, 8, 0, tzinfo=NY)
    assert ny_morning.utcoffset() == timedelta(hours=-4)

    clock.now = ny_morning - timedelta(minutes=1)
    await ticker.tick()
    hour_before = datetime(2026, 3, 8, 17, 0, tzinfo=LA)
    clock.now = hour_before - timedelta(seconds=30)
    await ticker.tick()
    await ticker.tick()
    assert await reminders(runtime) == {
        ("la", DAY, day_before),
        ("ny", DAY, ny_morning),
        ("la", 60, hour_before),
        ("ny", 60, hour_before),
    }
    assert SPRING.astimezone(UTC) - day_before.astimezone(UTC) == timedelta(hours=23)


async def test_fall_back_reminder_is_25_hours_ahead_not_24(
    runtime: Runtime, clock: FrozenClock
) -> None:
    clock.now = datetime(2026, 10, 30, 12, 0, tzinfo=UTC)
    await save(runtime, make_session("fall", FALL))
    await subscriber(runtime, "la")
    await subscriber(runtime, "ny", "America/New_York")
    ticker = scheduler(runtime)

    # 24 hours before the start is 19:00 PDT: nothing may be due then that was not before.
    day_before = datetime(2026, 10, 31, 18, 0, tzinfo=LA)
    clock.now = day_before - timedelta(minutes=1)
    await ticker.tick()
    clock.now = FALL - timedelta(hours=24)
    await ticker.tick()
    assert await reminders(runtime) == {("la", DAY, day_before)}
    (row,) = await reminders(runtime)
    assert FALL - row[2] == timedelta(hours=25)
    assert row[2] == datetime(2026, 11, 1, 1, 0, tzinfo=UTC)

    # New York: 21:00 EDT is quiet; 08:00 the next morning is already EST there.
    ny_morning = datetime(2026, 11, 1, 8, 0, tzinfo=NY)
    assert ny_morning == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)
    clock.now = ny_morning
    await ticker.tick()
    assert ("ny", DAY, ny_morning) in await reminders(runtime)


async def test_a_session_at_a_skipped_local_time_is_reminded_without_error(
    runtime: Runtime, clock: FrozenClock
) -> None:
    # 02:30 on the spring-forward day does not exist; as an instant it is 03:30 PDT.
    start = datetime(2026, 3, 8, 2, 30, tzinfo=LA)
    next_day = datetime(2026, 3, 9, 2, 30, tzinfo=LA)
    clock.now = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)
    await save(runtime, make_session("gap", start), make_session("after-gap", next_day))
    await subscriber(runtime, "tokyo", "Asia/Tokyo")  # awake at those hours
    ticker = scheduler(runtime)
    for session_start in (start, next_day):
        for lead in (DAY, 60):
            due = due_at(session_start.astimezone(UTC), LA, lead)
            clock.now = due - timedelta(minutes=1)
            await ticker.tick()
    # The skipped 02:30 is the instant 03:30 PDT; the day before that is 03:30 PST.
    z = UTC
    assert await reminders(runtime) == {
        ("tokyo", DAY, datetime(2026, 3, 7, 11, 30, tzinfo=z)),
        ("tokyo", 60, datetime(2026, 3, 8, 9, 30, tzinfo=z)),
        # The day before 02:30 on the 9th is the skipped 02:30 on the 8th: 23 hours.
        ("tokyo", DAY, datetime(2026, 3, 8, 10, 30, tzinfo=z)),
        ("tokyo", 60, datetime(2026, 3, 9, 8, 30, tzinfo=z)),
    }
