"""The subscribers pages: find by name or last digits, masked numbers, a person's file, erasure."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.admin.masking import mask_address
from bot.messages import Address, ChannelName, OutboundKind
from bot.outbox import Status
from bot.runtime import Runtime
from bot.store import consent
from bot.store.consent import ConsentAction, ConsentSource
from bot.store.tables import contacts, inbound_log, outbox
from tests.conftest import NOW
from tests.support.console import page_token, signed_in
from tests.support.console_people import add_inbound, add_outbound, add_person
from tests.support.server import RunningServer, running_server

SMS, TG = ChannelName.SMS, ChannelName.TELEGRAM
ANA_NUMBER = "+15550123456"
BEN_NUMBER = "+15550987654"
TELEGRAM_ID = "7012345678"


@pytest.fixture
async def server(runtime: Runtime) -> AsyncIterator[RunningServer]:
    async with running_server(runtime, workers=False) as running:
        yield running


@pytest.fixture
async def people(runtime: Runtime) -> dict[str, int]:
    return {
        "ana": await add_person(
            runtime, SMS, ANA_NUMBER, name="Ana Pérez", locale="es", topics=["*", "equity"]
        ),
        "ben": await add_person(runtime, SMS, BEN_NUMBER, name="Ben Okafor", locale="en"),
        "layla": await add_person(runtime, TG, TELEGRAM_ID, name="ليلى", locale="ar"),
        "terminal": await add_person(runtime, ChannelName.CONSOLE, "ana-3456", name="Ana test"),
    }


async def get(server: RunningServer, path: str) -> tuple[int, str]:
    async with signed_in(server.url) as client, client.get(path) as page:
        return page.status, await page.text()


@pytest.mark.parametrize(
    ("channel", "address", "shown"),
    [
        (SMS, "+15551234567", "+1 ••• ••• 4567"),
        (SMS, "+34612345678", "+34 ••• ••• 5678"),
        (SMS, "+971501234567", "+971 ••• ••• 4567"),
        (SMS, "5551234567", "••• ••• 4567"),  # no country code: only the tail
        (SMS, "+1555", "+1 ••• •••"),  # too short to show any of it
        (TG, "123456789", "••• ••• 6789"),
        (TG, "12345", "••• •••"),
    ],
)
def test_addresses_are_masked_to_their_last_four_digits(
    channel: ChannelName, address: str, shown: str
) -> None:
    assert mask_address(channel.value, address) == shown


def full_numbers_in(html: str) -> list[str]:
    """Any full address (or its national digits) present in the page."""
    return [
        number
        for number in (ANA_NUMBER, ANA_NUMBER[2:], BEN_NUMBER, BEN_NUMBER[2:], TELEGRAM_ID)
        if number in html
    ]


async def test_search_by_the_last_four_digits_finds_the_person_masked(
    server: RunningServer, people: dict[str, int]
) -> None:
    status, html = await get(server, "/admin/subscribers?q=3456")
    assert status == 200
    assert "Ana Pérez" in html
    assert "+1 ••• ••• 3456" in html
    assert "Ben Okafor" not in html
    assert "Ana test" not in html, "the terminal chat is not a subscriber"
    assert full_numbers_in(html) == []
    assert f'href="/admin/subscribers/{people["ana"]}"' in html


async def test_search_accepts_digits_written_with_spaces_or_a_dash(
    server: RunningServer, people: dict[str, int]
) -> None:
    _, html = await get(server, "/admin/subscribers?q=87-654")
    assert "Ben Okafor" in html and "Ana Pérez" not in html


async def test_search_by_the_last_digits_of_a_telegram_id(
    server: RunningServer, people: dict[str, int]
) -> None:
    _, html = await get(server, "/admin/subscribers?q=5678")
    assert "ليلى" in html
    assert "••• ••• 5678" in html
    assert full_numbers_in(html) == []


async def test_search_by_name_ignores_case(server: RunningServer, people: dict[str, int]) -> None:
    _, html = await get(server, "/admin/subscribers?q=OKAF")
    assert "Ben Okafor" in html and "Ana Pérez" not in html
    _, html = await get(server, "/admin/subscribers?q=nobody-like-this")
    assert 'id="no-results"' in html


async def test_without_a_query_the_most_recent_people_are_listed_masked(
    server: RunningServer, runtime: Runtime, people: dict[str, int]
) -> None:
    await add_person(runtime, SMS, "+15550111111", name="Old", seen_at=NOW - timedelta(days=30))
    _, html = await get(server, "/admin/subscribers")
    names = [name for name in ("Ana Pérez", "Ben Okafor", "ليلى", "Old") if name in html]
    assert names == ["Ana Pérez", "Ben Okafor", "ليلى", "Old"]
    assert html.index("ليلى") < html.index("Old"), "most recently seen first"
    assert "Every session, Equity and racial justice" in html
    assert full_numbers_in(html) == []
    assert "+15550111111" not in html


async def test_the_list_is_capped_with_a_note(server: RunningServer, runtime: Runtime) -> None:
    for n in range(51):
        await add_person(runtime, SMS, f"+1555020{n:04d}", name=f"Parent {n}")
    _, html = await get(server, "/admin/subscribers?q=parent")
    assert html.count('href="/admin/subscribers/') == 50
    assert "Showing the first 50." in html


@pytest.fixture
async def ana_history(runtime: Runtime, people: dict[str, int]) -> None:
    ana = people["ana"]
    address = Address(SMS, ANA_NUMBER)
    async with runtime.engine.begin() as connection:
        await consent.record(
            connection, address, ConsentAction.OPT_OUT, ConsentSource.KEYWORD, NOW - timedelta(2)
        )
        await consent.record(
            connection, address, ConsentAction.OPT_IN, ConsentSource.KEYWORD, NOW - timedelta(1)
        )
    await add_inbound(runtime, ana, SMS, "hola", NOW - timedelta(hours=3))
    await add_outbound(
        runtime, ana, address, "¡Hola Ana!", Status.DELIVERED, NOW - timedelta(hours=3)
    )
    await add_inbound(runtime, ana, SMS, "مرحبا", NOW - timedelta(hours=1))
    await add_outbound(
        runtime, ana, address, "Lectura el viernes", Status.QUEUED, NOW, OutboundKind.BROADCAST
    )


async def test_a_persons_file_shows_their_consent_history_and_messages(
    server: RunningServer, people: dict[str, int], ana_history: None
) -> None:
    status, html = await get(server, f"/admin/subscribers/{people['ana']}")
    assert status == 200
    assert "Ana Pérez" in html and "+1 ••• ••• 3456" in html
    assert full_numbers_in(html) == []
    history = html[html.index('id="consent-table"') :]
    history = history[: history.index("</table>")]
    assert history.index("Opted in") < history.index("Opted out"), "newest first"
    assert "sent a keyword (STOP / START)" in history
    timeline = html[html.index('id="timeline"') :]
    order = [timeline.index(text) for text in ("Lectura el viernes", "مرحبا", "¡Hola Ana!", "hola")]
    assert order == sorted(order), "newest first"
    assert '<span dir="auto">مرحبا</span>' in timeline
    assert "delivered" in timeline and "queued" in timeline


async def delete(
    server: RunningServer, contact_id: int, data: dict[str, str]
) -> tuple[int, str, str | None]:
    async with signed_in(server.url) as client:
        token = await page_token(client, f"/admin/subscribers/{contact_id}")
        async with client.post(
            f"/admin/subscribers/{contact_id}/delete",
            data={"csrf_token": token, **data},
            allow_redirects=False,
        ) as response:
            return response.status, await response.text(), response.headers.get("Location")


async def ana_rows(runtime: Runtime) -> tuple[int, int]:
    async with runtime.engine.connect() as connection:
        inbound = await connection.scalar(select(func.count()).select_from(inbound_log))
        out = await connection.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.address == ANA_NUMBER)
        )
    return int(inbound or 0), int(out or 0)


async def test_deleting_asks_for_the_confirmation_first(
    server: RunningServer, runtime: Runtime, people: dict[str, int], ana_history: None
) -> None:
    status, html, _ = await delete(server, people["ana"], {})
    assert status == 400
    assert 'id="confirm-error"' in html
    assert await ana_rows(runtime) == (2, 2), "nothing was deleted"


async def test_deleting_with_confirmation_leaves_only_an_opt_out(
    server: RunningServer, runtime: Runtime, people: dict[str, int], ana_history: None
) -> None:
    status, _, location = await delete(server, people["ana"], {"confirm": "yes"})
    assert (status, location) == (303, "/admin/subscribers?erased=1")
    assert await ana_rows(runtime) == (0, 0)
    async with runtime.engine.connect() as connection:
        row = (
            await connection.execute(select(contacts).where(contacts.c.address == ANA_NUMBER))
        ).one()
        ledger = await consent.history(connection, Address(SMS, ANA_NUMBER))
    assert (row.display_name, row.locale, row.opted_out) == (None, None, True)
    assert [(action, source) for action, source, _ in ledger] == [("opt_out", "erasure")]
    _, html = await get(server, "/admin/subscribers?erased=1")
    assert 'id="erased-notice"' in html
    assert "Ana Pérez" not in html and "Ben Okafor" in html


async def test_deleting_needs_the_session_csrf_token(
    server: RunningServer, runtime: Runtime, people: dict[str, int], ana_history: None
) -> None:
    async with (
        signed_in(server.url) as client,
        client.post(
            f"/admin/subscribers/{people['ana']}/delete",
            data={"confirm": "yes"},
            allow_redirects=False,
        ) as response,
    ):
        assert response.status == 403
    assert await ana_rows(runtime) == (2, 2)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/subscribers/abc",
        "/admin/subscribers/0",
        "/admin/subscribers/99999999",
        "/admin/subscribers/123456789012345678901234567890",
        "/admin/subscribers/-1",
    ],
)
async def test_garbage_ids_are_not_found(
    server: RunningServer, people: dict[str, int], path: str
) -> None:
    status, _ = await get(server, path)
    assert status == 404


async def test_the_terminal_chat_has_no_file_and_cannot_be_deleted_here(
    server: RunningServer, people: dict[str, int]
) -> None:
    status, _ = await get(server, f"/admin/subscribers/{people['terminal']}")
    assert status == 404
    async with signed_in(server.url) as client:
        token = await page_token(client, "/admin/subscribers")
        async with client.post(
            f"/admin/subscribers/{people['terminal']}/delete",
            data={"csrf_token": token, "confirm": "yes"},
            allow_redirects=False,
        ) as response:
            assert response.status == 404
