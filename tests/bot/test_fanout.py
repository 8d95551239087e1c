"""Fan-out: one rendering per (language, time zone) group, one row per recipient."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.config import Settings
from bot.fanout import Audience, Batch, Group, fan_out, groups, recipients
from bot.messages import Address, ChannelName, OutboundKind
from bot.runtime import Runtime
from bot.scheduler import Scheduler
from bot.store import catalog_repo, subscriptions
from bot.store import contacts as contact_store
from bot.store.tables import contacts, outbox
from catalog.models import Catalog, Localized, Session
from tests.support.chat import FrozenClock

DEFAULT_ZONE = "America/Los_Angeles"
LA = ZoneInfo(DEFAULT_ZONE)


async def person(runtime: Runtime, name: str, locale: str | None, zone: str | None) -> None:
    now = runtime.clock()
    async with runtime.engine.begin() as connection:
        contact = await contact_store.touch(connection, Address(ChannelName.TELEGRAM, name), now)
        await subscriptions.subscribe(connection, contact.id, "*", now)
        await connection.execute(
            update(contacts).where(contacts.c.id == contact.id).values(locale=locale, timezone=zone)
        )


@pytest.fixture
async def people(runtime: Runtime) -> None:
    await person(runtime, "a", "en", None)
    await person(runtime, "b", None, None)  # never chose a language: English
    await person(runtime, "c", "en", "America/New_York")
    await person(runtime, "d", "es", "America/New_York")
    await person(runtime, "e", "es", "America/New_York")
    await person(runtime, "f", "ar", None)
    await person(runtime, "g", "fr", DEFAULT_ZONE)  # same group as a and b
    await person(runtime, "h", "ar", "Nowhere/Bogus")
    await person(runtime, "i", "ar", "America")  # a directory of zones, not a zone


async def outbox_rows(runtime: Runtime) -> list[tuple[str, str, str, datetime]]:
    async with runtime.engine.connect() as connection:
        rows = await connection.execute(
            select(outbox.c.address, outbox.c.locale, outbox.c.body, outbox.c.send_after)
        )
        return sorted((r.address, r.locale, r.body, r.send_after) for r in rows)


async def test_groups_are_the_distinct_languages_and_zones(runtime: Runtime, people: None) -> None:
    async with runtime.engine.connect() as connection:
        found = await groups(connection, recipients(Audience()), DEFAULT_ZONE)
    assert sorted((g.language, g.zone_name) for g in found) == [
        ("ar", "America"),
        ("ar", DEFAULT_ZONE),
        ("ar", "Nowhere/Bogus"),
        ("en", DEFAULT_ZONE),
        ("en", "America/New_York"),
        ("es", "America/New_York"),
    ]
    zones = {g.zone_name: g.zone for g in found}
    assert zones["America/New_York"] == ZoneInfo("America/New_York")
    # Names Python cannot read fall back to the bot's zone for display.
    assert zones["Nowhere/Bogus"] == LA
    assert zones["America"] == LA


async def test_fan_out_renders_once_per_group_and_queues_everyone(
    runtime: Runtime, people: None
) -> None:
    now = runtime.clock()
    rendered: list[Group] = []

    def batch_for(group: Group) -> Batch:
        rendered.append(group)
        return Batch(
            kind=OutboundKind.BROADCAST,
            item="42",
            key_prefix="test:42:",
            body=f"{group.language} {group.zone.key}",
            send_after=now,
        )

    async with runtime.engine.begin() as connection:
        added = await fan_out(connection, recipients(Audience()), batch_for, DEFAULT_ZONE, now)
    assert added == 9
    assert len(rendered) == 6
    rows = await outbox_rows(runtime)
    assert [(a, locale, body) for a, locale, body, _ in rows] == [
        ("a", "en", f"en {DEFAULT_ZONE}"),
        ("b", "en", f"en {DEFAULT_ZONE}"),
        ("c", "en", "en America/New_York"),
        ("d", "es", "es America/New_York"),
        ("e", "es", "es America/New_York"),
        ("f", "ar", f"ar {DEFAULT_ZONE}"),
        ("g", "en", f"en {DEFAULT_ZONE}"),
        ("h", "ar", f"ar {DEFAULT_ZONE}"),
        ("i", "ar", f"ar {DEFAULT_ZONE}"),
    ]

    # A second run, here or in another process, adds nothing.
    async with runtime.engine.begin() as connection:
        again = await fan_out(connection, recipients(Audience()), batch_for, DEFAULT_ZONE, now)
    assert again == 0
    assert len(await outbox_rows(runtime)) == 9


async def test_a_group_without_a_batch_is_skipped(runtime: Runtime, people: None) -> None:
    now = runtime.clock()

    def only_spanish(group: Group) -> Batch | None:
        if group.language != "es":
            return None
        return Batch(OutboundKind.NOTICE, "s", "n:1:", "hola", now)

    async with runtime.engine.begin() as connection:
        added = await fan_out(connection, recipients(Audience()), only_spanish, DEFAULT_ZONE, now)
    assert added == 2
    assert [r[0] for r in await outbox_rows(runtime)] == ["d", "e"]


async def test_a_contact_with_an_unknown_zone_still_gets_reminders(
    runtime: Runtime, people: None, clock: FrozenClock
) -> None:
    start = datetime(2026, 11, 23, 12, 0, tzinfo=LA)
    session = Session(
        id="s",
        starts_at=start.astimezone(UTC),
        timezone=DEFAULT_ZONE,
        duration_minutes=60,
        title=Localized({"en": "Talk"}),
        summary=Localized({"en": "About"}),
        link=Localized({"en": "https://meet.example/t"}),
    )
    async with runtime.engine.begin() as connection:
        await catalog_repo.save(connection, Catalog.of([session], ()), clock.now)
    settings = Settings(database_url=runtime.settings.database_url)
    ticker = Scheduler(runtime.engine, runtime.i18n, settings, runtime.clock)
    clock.now = start - timedelta(days=1, minutes=1)
    report = await ticker.tick()
    assert report.reminders == 9
    rows = await outbox_rows(runtime)
    by_address = {a: (locale, send_after) for a, locale, _, send_after in rows}
    # Unknown zones read as the bot's own zone, for the time shown and for quiet hours.
    assert by_address["h"] == ("ar", start - timedelta(days=1))
    assert by_address["i"] == ("ar", start - timedelta(days=1))
    assert Counter(locale for locale, _ in by_address.values()) == {"en": 4, "es": 2, "ar": 3}
