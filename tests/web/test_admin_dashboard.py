"""The dashboard: counts that match the database, days on the bot's clock, the reminders ahead."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.admin import stats
from bot.messages import Address, ChannelName, OutboundKind
from bot.outbox import Status
from bot.runtime import Runtime
from bot.scheduler import Scheduler
from bot.store import catalog_repo
from bot.store.tables import outbox
from catalog.models import Catalog, Localized, Session
from tests.conftest import NOW
from tests.support.chat import FrozenClock
from tests.support.console import signed_in
from tests.support.console_people import add_inbound, add_outbound, add_person
from tests.support.server import RunningServer, running_server

TG, SMS, CONSOLE = ChannelName.TELEGRAM, ChannelName.SMS, ChannelName.CONSOLE
# NOW is 10:00 on Sunday 22 November in Los Angeles, the bot's zone.
TODAY = NOW - timedelta(hours=1)
# 07:00 UTC is still Saturday evening in Los Angeles: yesterday, not today.
LATE_YESTERDAY = datetime(2026, 11, 22, 7, 0, tzinfo=UTC)
THREE_DAYS_AGO = NOW - timedelta(days=3)
LONG_AGO = NOW - timedelta(days=20)
# Monday 23 November, 18:00 in Los Angeles.
STARTS = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


@pytest.fixture
async def server(runtime: Runtime) -> AsyncIterator[RunningServer]:
    async with running_server(runtime, workers=False) as running:
        yield running


async def dashboard(server: RunningServer) -> str:
    async with signed_in(server.url) as client, client.get("/admin/") as page:
        assert page.status == 200
        return await page.text()


def figure(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert match, f"no #{element_id} on the page"
    return match.group(1)


def row_count(html: str, table_id: str, label: str) -> int:
    table = html[html.index(f'id="{table_id}"') :]
    table = table[: table.index("</table>")]
    cell = rf'<th scope="row">(?:<bdi>)?{re.escape(label)}(?:</bdi>)?</th>'
    match = re.search(cell + r'<td class="num">(\d+)<', table)
    assert match, f"no row {label!r} in #{table_id}"
    return int(match.group(1))


@pytest.fixture
async def people(runtime: Runtime) -> dict[str, int]:
    return {
        "tg-en": await add_person(runtime, TG, "111111111", locale="en"),
        "tg-es": await add_person(runtime, TG, "222222222", locale="es", topics=["equity"]),
        "sms-ar": await add_person(runtime, SMS, "+15550001234", locale="ar"),
        "sms-unsettled": await add_person(runtime, SMS, "+15550005678", topics=["equity", "*"]),
        "sms-never-subscribed": await add_person(runtime, SMS, "+15550009999", topics=[]),
        "tg-stopped": await add_person(runtime, TG, "333333333", locale="en", opted_out=True),
        "terminal": await add_person(runtime, CONSOLE, "terminal", locale="es"),
    }


async def test_subscribers_are_counted_by_language_channel_and_topic(
    server: RunningServer, people: dict[str, int]
) -> None:
    html = await dashboard(server)
    assert figure(html, "subscribers-total") == "4"
    assert figure(html, "contacts-total") == "6", "the terminal chat is nobody"
    assert figure(html, "opted-out-total") == "1"
    assert row_count(html, "by-language-table", "English") == 2, "unsettled reads English"
    assert row_count(html, "by-language-table", "Spanish") == 1
    assert row_count(html, "by-language-table", "Arabic") == 1
    assert row_count(html, "by-channel-table", "Telegram") == 2
    assert row_count(html, "by-channel-table", "SMS") == 2
    assert row_count(html, "by-topic-table", "Every session") == 3
    assert row_count(html, "by-topic-table", "Equity and racial justice") == 2
    # One opt-out in the week against four subscribers.
    assert figure(html, "opt-out-rate") == "25%"


async def test_messages_in_and_out_are_counted_today_and_this_week(
    server: RunningServer, runtime: Runtime, people: dict[str, int]
) -> None:
    tg, sms = people["tg-en"], people["sms-ar"]
    for text in ("hi", "next", "sessions"):
        await add_inbound(runtime, tg, TG, text, TODAY)
    await add_inbound(runtime, sms, SMS, "hola", LATE_YESTERDAY)
    await add_inbound(runtime, sms, SMS, "2", THREE_DAYS_AGO)
    await add_inbound(runtime, sms, SMS, "más", THREE_DAYS_AGO)
    await add_inbound(runtime, sms, SMS, "old", LONG_AGO)
    await add_inbound(runtime, people["terminal"], CONSOLE, "test", TODAY)
    to_tg, to_sms = Address(TG, "111111111"), Address(SMS, "+15550001234")
    await add_outbound(runtime, tg, to_tg, "a", Status.SENT, TODAY)
    await add_outbound(runtime, tg, to_tg, "b", Status.SENT, TODAY)
    await add_outbound(runtime, sms, to_sms, "c", Status.DELIVERED, TODAY)
    await add_outbound(runtime, sms, to_sms, "d", Status.FAILED, TODAY)
    await add_outbound(runtime, sms, to_sms, "not sent", Status.SUPPRESSED, TODAY)
    await add_outbound(runtime, sms, to_sms, "waiting", Status.QUEUED, TODAY)
    await add_outbound(runtime, tg, to_tg, "e", Status.SENT, THREE_DAYS_AGO)
    await add_outbound(runtime, tg, to_tg, "f", Status.FAILED, LONG_AGO)
    terminal = Address(CONSOLE, "terminal")
    await add_outbound(runtime, people["terminal"], terminal, "x", Status.SENT, TODAY)

    html = await dashboard(server)

    assert (figure(html, "today-in"), figure(html, "today-out")) == ("3", "4")
    assert (figure(html, "week-in"), figure(html, "week-out")) == ("6", "5")
    # Telegram: 3 accepted; SMS: 1 delivered, 1 failed.
    assert figure(html, "delivery-rate") == "80%"


async def test_the_chart_is_an_accessible_svg_of_the_last_14_days(
    server: RunningServer, runtime: Runtime, people: dict[str, int]
) -> None:
    await add_inbound(runtime, people["tg-en"], TG, "hi", TODAY)
    html = await dashboard(server)
    svg = html[html.index('<svg id="traffic-chart"') : html.index("</svg>")]
    assert 'role="img"' in svg
    assert 'aria-labelledby="traffic-chart-title traffic-chart-desc"' in svg
    assert '<title id="traffic-chart-title">Messages in and out per day' in svg
    assert "1 messages in, 0 out" in svg
    assert svg.count('text-anchor="middle"') == 14, "one label per day"
    assert "Sun 22 Nov: In 1</title>" in svg
    numbers = html[html.index('id="traffic-table"') :]
    assert numbers[: numbers.index("</table>")].count("<tr>") == 15, "a header and 14 days"
    # The console's CSP allows no inline style or script.
    assert " style=" not in html
    assert "<script>" not in html


async def test_without_a_future_session_the_dashboard_says_so(server: RunningServer) -> None:
    html = await dashboard(server)
    assert "No session scheduled." in html
    assert 'href="/admin/catalog"' in html[html.index('id="no-session"') :]


async def upcoming_session(runtime: Runtime) -> Session:
    session = Session(
        id="reading-night",
        starts_at=STARTS,
        timezone="America/Los_Angeles",
        duration_minutes=60,
        title=Localized({"en": "Reading night", "es": "Noche de lectura"}),
        summary=Localized({"en": "Books for every family."}),
        link=Localized({"en": "https://example.org/reading"}),
        topics=("family-engagement",),
    )
    async with runtime.engine.begin() as connection:
        await catalog_repo.save(connection, Catalog.of([session], []), NOW)
    return session


@pytest.fixture
async def following(runtime: Runtime) -> None:
    """Three people the next session's reminders reach, one it does not."""
    await add_person(runtime, SMS, "+15550000001", locale="en")  # 1 day and 1 hour before
    await add_person(runtime, TG, "444444444", topics=["family-engagement"], reminder_minutes="120")
    await add_person(runtime, SMS, "+15550000003", locale="es", timezone="Europe/Madrid")
    await add_person(runtime, TG, "555555555", topics=["equity"])


async def test_the_next_session_shows_when_its_reminders_go_out(
    server: RunningServer, runtime: Runtime, following: None
) -> None:
    await upcoming_session(runtime)
    html = await dashboard(server)
    assert "Reading night" in html
    assert "Mon 23 Nov 18:00" in html
    assert "3 subscribers follow it." in html
    table = html[html.index('id="reminder-schedule"') :]
    rows = re.findall(
        r"<tr><td>([^<]+)</td><td>([^<]+)</td><td class=\"num\">(\d+)</td>",
        table[: table.index("</table>")],
    )
    assert rows == [
        ("1 day before", "Sun 22 Nov 18:00", "1"),
        # 03:00 in Madrid: quiet hours hold it until 08:00 there.
        ("1 day before", "Sun 22 Nov 23:00", "1"),
        ("2 hours before", "Mon 23 Nov 16:00", "1"),
        # 02:00 in Madrid, and 08:00 would be after the start: 20:59 the evening before.
        ("1 hour before", "Mon 23 Nov 11:59", "1"),
        ("1 hour before", "Mon 23 Nov 17:00", "1"),
    ]


async def test_the_schedule_shown_is_the_one_the_scheduler_keeps(
    runtime: Runtime, clock: FrozenClock, following: None
) -> None:
    """Tick the real scheduler at each time shown: it queues exactly those reminders."""
    session = await upcoming_session(runtime)
    async with runtime.engine.connect() as connection:
        catalog = await catalog_repo.load(connection)
        shown = await stats.next_session(connection, catalog, NOW, runtime.settings.bot_timezone)
    assert shown is not None and shown.session.id == session.id
    scheduler = Scheduler(runtime.engine, runtime.i18n, runtime.settings, runtime.clock)
    for slot in shown.slots:
        clock.now = slot.at
        await scheduler.tick()
    async with runtime.engine.connect() as connection:
        rows = await connection.execute(
            select(outbox.c.idempotency_key, outbox.c.send_after).where(
                outbox.c.kind == OutboundKind.REMINDER.value
            )
        )
        queued = Counter((int(key.split(":")[3]), at) for key, at in rows)
    assert queued == Counter({(slot.lead_minutes, slot.at): slot.people for slot in shown.slots})
