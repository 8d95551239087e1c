"""Organizer broadcasts: validate, preview, send or schedule, cancel, follow, finish."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot import broadcasts
from bot.broadcasts import BroadcastStatus, Draft
from bot.channels.sms_text import Encoding
from bot.config import Settings
from bot.errors import BroadcastError
from bot.fanout import Audience
from bot.messages import Address, ChannelName, OutboundKind
from bot.outbox import Status
from bot.runtime import Runtime
from bot.scheduler import Scheduler
from bot.store import consent, subscriptions
from bot.store import contacts as contact_store
from bot.store.consent import ConsentAction, ConsentSource
from bot.store.tables import broadcasts as broadcast_table
from bot.store.tables import contacts, outbox
from tests.support.chat import FrozenClock, RecordingChannel

TG, SMS = ChannelName.TELEGRAM, ChannelName.SMS
ENGLISH = "Family reading night moved to the library. " * 5  # 220 GSM-7 characters
ARABIC = "أمسية القراءة العائلية في المكتبة " * 3  # 102 characters, UCS-2
PRICE = 0.05


@pytest.fixture
def settings(runtime: Runtime) -> Settings:
    return Settings(database_url=runtime.settings.database_url, sms_price_per_segment=PRICE)


async def person(
    runtime: Runtime,
    name: str,
    channel: ChannelName,
    locale: str | None,
    topics: Sequence[str] = ("*",),
    *,
    opted_out: bool = False,
) -> None:
    now = runtime.clock()
    address = Address(channel, name)
    async with runtime.engine.begin() as connection:
        contact = await contact_store.touch(connection, address, now)
        for topic in topics:
            await subscriptions.subscribe(connection, contact.id, topic, now)
        await connection.execute(
            update(contacts).where(contacts.c.id == contact.id).values(locale=locale)
        )
        if opted_out:
            await consent.record(
                connection, address, ConsentAction.OPT_OUT, ConsentSource.KEYWORD, now
            )


@pytest.fixture
async def people(runtime: Runtime) -> None:
    await person(runtime, "tg-en", TG, "en")
    await person(runtime, "tg-unset", TG, None, ["math"])  # never chose: English
    await person(runtime, "+15550101", SMS, "es")
    await person(runtime, "+15550102", SMS, "en", ["art"])
    await person(runtime, "+15550103", SMS, "ar")
    await person(runtime, "tg-ar", TG, "ar")
    await person(runtime, "tg-es-unsubscribed", TG, "es", [])
    await person(runtime, "+15550104", SMS, "en", [])  # wrote once, never subscribed
    await person(runtime, "tg-stopped", TG, "en", opted_out=True)
    await person(runtime, "terminal", ChannelName.CONSOLE, "en")


async def create(runtime: Runtime, draft: Draft) -> int:
    async with runtime.engine.begin() as connection:
        return await broadcasts.create(connection, draft, runtime.clock())


async def preview(runtime: Runtime, bid: int, settings: Settings) -> broadcasts.Preview:
    async with runtime.engine.connect() as connection:
        return await broadcasts.preview(connection, bid, settings, runtime.clock())


async def send(runtime: Runtime, bid: int, settings: Settings) -> BroadcastStatus:
    async with runtime.engine.begin() as connection:
        return await broadcasts.send(connection, bid, settings, runtime.clock())


async def progress(runtime: Runtime, bid: int) -> broadcasts.Progress:
    async with runtime.engine.connect() as connection:
        return await broadcasts.progress(connection, bid)


async def rows_of(runtime: Runtime, bid: int) -> list[Any]:
    async with runtime.engine.connect() as connection:
        return list(
            await connection.execute(
                select(outbox)
                .where(outbox.c.kind == OutboundKind.BROADCAST.value, outbox.c.item == str(bid))
                .order_by(outbox.c.id)
            )
        )


def scheduler(runtime: Runtime, settings: Settings) -> Scheduler:
    return Scheduler(runtime.engine, runtime.i18n, settings, runtime.clock)


# --- create ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("texts", "audience", "complaint"),
    [
        ({"es": "Hola"}, Audience(), "English"),
        ({"en": "   ", "es": "Hola"}, Audience(), "English"),
        ({"en": "Hi", "fr": "Salut"}, Audience(), "fr"),
        ({"en": "Hi"}, Audience(languages=("de",)), "de"),
        ({"en": "x" * 4097}, Audience(), "too long"),
    ],
)
async def test_create_refuses_what_cannot_be_sent(
    runtime: Runtime, texts: dict[str, str], audience: Audience, complaint: str
) -> None:
    with pytest.raises(BroadcastError, match=complaint):
        await create(runtime, Draft(texts, audience))
    async with runtime.engine.connect() as connection:
        assert await connection.scalar(select(broadcast_table.c.id)) is None


async def test_create_keeps_a_draft_and_drops_blank_texts(runtime: Runtime) -> None:
    bid = await create(runtime, Draft({"en": "  Hi  ", "es": " ", "ar": "مرحبا"}))
    async with runtime.engine.connect() as connection:
        row = (
            await connection.execute(select(broadcast_table).where(broadcast_table.c.id == bid))
        ).one()
    assert row.status == BroadcastStatus.DRAFT
    assert row.texts == {"en": "Hi", "ar": "مرحبا"}
    assert await rows_of(runtime, bid) == []


# --- preview --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("audience", "expected"),
    [
        (
            Audience(),
            {("en", TG): 2, ("es", SMS): 1, ("en", SMS): 1, ("ar", SMS): 1, ("ar", TG): 1},
        ),
        (
            Audience(subscribed=False),
            {
                ("en", TG): 2,
                ("es", SMS): 1,
                ("en", SMS): 2,
                ("ar", SMS): 1,
                ("ar", TG): 1,
                ("es", TG): 1,
            },
        ),
        (Audience(languages=("es",)), {("es", SMS): 1}),
        (Audience(languages=("es",), subscribed=False), {("es", SMS): 1, ("es", TG): 1}),
        (Audience(channels=(SMS,)), {("es", SMS): 1, ("en", SMS): 1, ("ar", SMS): 1}),
        (
            Audience(topics=("math",)),
            {("en", TG): 2, ("es", SMS): 1, ("ar", SMS): 1, ("ar", TG): 1},
        ),
        (
            Audience(topics=("art",), languages=("en",)),
            {("en", TG): 1, ("en", SMS): 1},
        ),
    ],
)
async def test_preview_counts_recipients_per_language_and_channel(
    runtime: Runtime,
    people: None,
    settings: Settings,
    audience: Audience,
    expected: dict[tuple[str, ChannelName], int],
) -> None:
    bid = await create(runtime, Draft({"en": "Hi"}, audience))
    shown = await preview(runtime, bid, settings)
    assert dict(shown.counts) == expected
    assert shown.total == sum(expected.values())
    assert shown.recipients_of("en") == sum(n for (lang, _), n in expected.items() if lang == "en")


async def test_preview_shows_segments_cost_and_fallbacks(
    runtime: Runtime, people: None, settings: Settings
) -> None:
    bid = await create(runtime, Draft({"en": ENGLISH, "ar": ARABIC}))
    shown = await preview(runtime, bid, settings)
    languages = {p.language: p for p in shown.languages}
    assert languages["en"].fallback is False
    assert languages["ar"].fallback is False
    assert languages["es"].fallback is True
    assert languages["es"].text == ENGLISH.strip()
    assert (languages["en"].encoding, languages["en"].segments) == (Encoding.GSM7, 2)
    assert (languages["ar"].encoding, languages["ar"].segments) == (Encoding.UCS2, 2)
    # SMS: one English, one Spanish (English text), one Arabic reader, 2 segments each.
    assert shown.sms_segments == 6
    assert shown.cost == pytest.approx(6 * PRICE)
    assert shown.seconds == pytest.approx(6 / settings.twilio_messages_per_second)
    assert shown.first_send == runtime.clock()
    assert shown.status is BroadcastStatus.DRAFT


# --- send -----------------------------------------------------------------------------


async def test_send_queues_one_row_per_recipient_in_their_language(
    runtime: Runtime, people: None, settings: Settings
) -> None:
    bid = await create(runtime, Draft({"en": ENGLISH, "ar": ARABIC}))
    expected = (await preview(runtime, bid, settings)).total
    assert await send(runtime, bid, settings) is BroadcastStatus.SENDING
    rows = await rows_of(runtime, bid)
    assert len(rows) == expected == 6
    bodies = {r.address: (r.locale, r.body) for r in rows}
    assert bodies == {
        "tg-en": ("en", ENGLISH.strip()),
        "tg-unset": ("en", ENGLISH.strip()),
        "+15550101": ("es", ENGLISH.strip()),  # no Spanish text: the English one
        "+15550102": ("en", ENGLISH.strip()),
        "+15550103": ("ar", ARABIC.strip()),
        "tg-ar": ("ar", ARABIC.strip()),
    }
    assert {r.status for r in rows} == {Status.QUEUED.value}
    assert len({r.idempotency_key for r in rows}) == 6
    shown = await progress(runtime, bid)
    assert (shown.status, shown.recipients, shown.queued) == (BroadcastStatus.SENDING, 6, 6)

    with pytest.raises(BroadcastError, match="already"):
        await send(runtime, bid, settings)
    assert len(await rows_of(runtime, bid)) == 6


async def test_a_scheduled_broadcast_is_queued_once_when_due(
    runtime: Runtime, people: None, settings: Settings, clock: FrozenClock
) -> None:
    at = clock.now + timedelta(hours=2)
    bid = await create(runtime, Draft({"en": "Tonight"}, send_at=at))
    assert await send(runtime, bid, settings) is BroadcastStatus.SCHEDULED
    assert await rows_of(runtime, bid) == []
    with pytest.raises(BroadcastError):
        await send(runtime, bid, settings)

    first, second = scheduler(runtime, settings), scheduler(runtime, settings)
    clock.now = at - timedelta(seconds=1)
    assert (await first.tick()).broadcast_messages == 0
    clock.now = at
    reports = list(await asyncio.gather(first.tick(), second.tick()))
    reports.append(await first.tick())
    assert sum(r.broadcast_messages for r in reports) == 6
    rows = await rows_of(runtime, bid)
    assert len(rows) == 6
    assert {r.send_after for r in rows} == {at}
    assert (await progress(runtime, bid)).status is BroadcastStatus.SENDING


async def test_cancel_stops_what_is_queued(
    runtime: Runtime, people: None, settings: Settings
) -> None:
    bid = await create(runtime, Draft({"en": "Hi"}))
    await send(runtime, bid, settings)
    first = (await rows_of(runtime, bid))[0].id
    async with runtime.engine.begin() as connection:
        # One is in flight already: it finishes.
        await connection.execute(
            update(outbox).where(outbox.c.id == first).values(status=Status.SENDING.value)
        )
        assert await broadcasts.cancel(connection, bid, runtime.clock()) == 5
    shown = await progress(runtime, bid)
    assert shown.status is BroadcastStatus.CANCELLED
    assert (shown.cancelled, shown.queued, shown.sending) == (5, 0, 1)
    assert Counter(r.status for r in await rows_of(runtime, bid)) == {
        "cancelled": 5,
        "sending": 1,
    }
    async with runtime.engine.begin() as connection:
        with pytest.raises(BroadcastError, match="already cancelled"):
            await broadcasts.cancel(connection, bid, runtime.clock())


async def test_a_cancelled_scheduled_broadcast_is_never_queued(
    runtime: Runtime, people: None, settings: Settings, clock: FrozenClock
) -> None:
    at = clock.now + timedelta(minutes=30)
    bid = await create(runtime, Draft({"en": "Later"}, send_at=at))
    await send(runtime, bid, settings)
    async with runtime.engine.begin() as connection:
        assert await broadcasts.cancel(connection, bid, runtime.clock()) == 0
    clock.now = at + timedelta(minutes=1)
    assert (await scheduler(runtime, settings).tick()).broadcast_messages == 0
    assert await rows_of(runtime, bid) == []


async def test_a_broadcast_is_done_when_nothing_is_left_to_send(
    runtime: Runtime, people: None, settings: Settings
) -> None:
    bid = await create(runtime, Draft({"en": "Hi", "es": "Hola"}))
    await send(runtime, bid, settings)
    ticker = scheduler(runtime, settings)
    assert (await ticker.tick()).broadcasts_finished == 0

    # Someone stops before their turn: suppressed at send time, counted as opted out.
    await person(runtime, "+15550101", SMS, "es", opted_out=True)
    channels = {TG: RecordingChannel(TG), SMS: RecordingChannel(SMS)}
    dispatcher = runtime.dispatcher(channels)
    await dispatcher.drain(TG)
    assert (await ticker.tick()).broadcasts_finished == 0  # SMS still queued
    await dispatcher.drain(SMS)
    assert len(channels[TG].sent) == 3
    assert sorted(m.address.id for m in channels[SMS].sent) == ["+15550102", "+15550103"]

    report = await ticker.tick()
    assert report.broadcasts_finished == 1
    assert (await ticker.tick()).broadcasts_finished == 0
    shown = await progress(runtime, bid)
    assert shown.status is BroadcastStatus.DONE
    assert (shown.sent, shown.opted_out, shown.queued) == (5, 1, 0)
    assert shown.fraction == 1.0


async def test_progress_counts_each_outcome(
    runtime: Runtime, people: None, settings: Settings
) -> None:
    bid = await create(runtime, Draft({"en": "Hi"}))
    await send(runtime, bid, settings)
    outcomes = [
        Status.SENT,
        Status.DELIVERED,
        Status.FAILED,
        Status.REFUSED,
        Status.SUPPRESSED,
        Status.QUEUED,
    ]
    rows = await rows_of(runtime, bid)
    async with runtime.engine.begin() as connection:
        for row, status in zip(rows, outcomes, strict=True):
            await connection.execute(
                update(outbox).where(outbox.c.id == row.id).values(status=status.value)
            )
    shown = await progress(runtime, bid)
    assert (shown.recipients, shown.sent, shown.delivered) == (6, 1, 1)
    assert (shown.failed, shown.opted_out, shown.queued) == (2, 1, 1)
    assert shown.settled == 5
    assert shown.fraction == pytest.approx(5 / 6)
    assert (await scheduler(runtime, settings).tick()).broadcasts_finished == 0


async def test_an_empty_audience_finishes_at_once(runtime: Runtime, settings: Settings) -> None:
    bid = await create(runtime, Draft({"en": "Hi"}))
    await send(runtime, bid, settings)
    assert (await scheduler(runtime, settings).tick()).broadcasts_finished == 1
    assert (await progress(runtime, bid)).status is BroadcastStatus.DONE


async def test_latest_and_recent_list_the_newest_first(runtime: Runtime) -> None:
    one = await create(runtime, Draft({"en": "1"}, created_by="ana"))
    two = await create(runtime, Draft({"en": "2"}, created_by="ben"))
    async with runtime.engine.connect() as connection:
        assert await broadcasts.latest(connection) == two
        assert await broadcasts.latest(connection, "ana") == one
        assert await broadcasts.latest(connection, "nobody") is None
        assert [r.id for r in await broadcasts.recent(connection)] == [two, one]
