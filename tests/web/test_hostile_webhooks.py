"""Every malformed or hostile webhook request is a 4xx or a polite answer, never a 5xx.

Corpus (tests/support/hostile_webhooks.py): telegram 164, twilio_sms 74, twilio_status 33.

One server per database serves the whole module. Every case starts from the same small
world (two subscribers, one number that texted STOP) and is checked for: a 2xx or 4xx as
the case expects, never a 5xx; for a refused or ignored request, no row of contacts,
consent_events, subscriptions, outbox, inbound_log or inbound_seen changed; for an
authentic hostile text, its sender's contact, their words in the inbound log and exactly
one non-empty reply that is not the apology, accepted by the fake provider (the fake
Telegram refuses HTML it could not parse); and afterwards the server still answers an
ordinary "hi"."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from itertools import count

import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from bot.store.tables import outbox
from tests.conftest import NOW
from tests.support.chat import FrozenClock
from tests.support.fake_telegram import text_update
from tests.support.fresh import fresh_install
from tests.support.hostile_webhooks import (
    CASES,
    Case,
    Expect,
    Family,
    Request,
    Row,
    Snapshot,
    changes,
    post,
    resolve,
    snapshot,
    trim,
    world_requests,
)
from tests.support.server import RunningServer, running_server

APOLOGY = "Sorry, something went wrong on our side. Please try again in a moment."
MINIMUM_CASES = 130
# The status classes (2 for 2xx, 4 for 4xx) each expectation allows.
CLASSES = {
    Expect.REFUSED: {4},
    Expect.IGNORED: {2},
    Expect.ANSWERED: {2},
    Expect.UNCHANGED: {2, 4},
}

_probe_ids = count(990_001)


@pytest.fixture(scope="module")
async def server(session_runtime: Runtime, clock: FrozenClock) -> AsyncIterator[RunningServer]:
    clock.now = NOW
    await fresh_install(session_runtime.engine, NOW)
    # Some 300 replies in a few seconds: Telegram's 30 per second would make them queue.
    fast = replace(session_runtime.settings, telegram_messages_per_second=1000.0)
    async with running_server(session_runtime.with_settings(fast)) as running:
        yield running


@pytest.fixture(scope="module")
async def world(server: RunningServer) -> Snapshot:
    """The people every case starts with: two subscribers and one who texted STOP."""
    for step in world_requests():
        assert await post(server.client, server.url, step) == 200
    await settle(server)
    taken = await snapshot(server.services.runtime.engine)
    assert len(taken["subscriptions"]) == 2
    assert len(taken["consent_events"]) == 1
    return taken


def family_counts() -> Counter[Family]:
    return Counter(case.family for case in CASES)


def test_the_corpus_keeps_at_least_130_distinct_cases() -> None:
    assert len({case.id for case in CASES}) == len(CASES)
    assert len(CASES) >= MINIMUM_CASES


def test_the_docstring_gives_the_number_of_cases_per_family() -> None:
    counts = ", ".join(f"{family.value} {n}" for family, n in family_counts().items())
    assert f"Corpus (tests/support/hostile_webhooks.py): {counts}." in (__doc__ or "")


async def settle(server: RunningServer) -> None:
    """Wait for every reply the server started sending (and every button acknowledged)."""
    await server.services.inbox.close()


async def reply_of(server: RunningServer, address: str | None) -> tuple[int | None, str | None]:
    """The newest outbox row to `address`: its id and Twilio sid, for status callbacks."""
    async with server.services.runtime.engine.connect() as connection:
        row = (
            await connection.execute(
                select(outbox.c.id, outbox.c.provider_id)
                .where(outbox.c.address == address)
                .order_by(outbox.c.id.desc())
                .limit(1)
            )
        ).first()
    return (None, None) if row is None else (row.id, row.provider_id)


async def send(server: RunningServer, case: Case, request: Request) -> int:
    if case.family is Family.TWILIO_STATUS:
        request = resolve(request, *await reply_of(server, case.address))
    status = await post(server.client, server.url, request)
    await settle(server)
    return status


def apologies(server: RunningServer) -> set[str]:
    i18n = server.services.runtime.i18n
    return {i18n[language].gettext(APOLOGY) for language in ("en", "es", "ar")}


def delivered_to(server: RunningServer, family: Family, address: str) -> int:
    """How many messages the fake provider accepted for `address`."""
    if family is Family.TELEGRAM:
        return sum(1 for m in server.telegram.sent if m["chat_id"] == int(address))
    return sum(1 for m in server.twilio.sent if m["To"] == address)


async def probe(server: RunningServer, family: Family) -> None:
    """An ordinary "hi" from someone new is still answered."""
    number = next(_probe_ids)
    if family is Family.TELEGRAM:
        response = await server.post_update(text_update(number, number, "hi"))
        status, address = response.status, str(number)
    else:
        address = f"+1666{number:07d}"
        status, _ = await server.post_sms(address, "hi")
    await settle(server)
    assert status == 200
    assert delivered_to(server, family, address) == 1


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_a_hostile_request_is_refused_or_answered_politely(
    server: RunningServer,
    world: Snapshot,
    case: Case,
) -> None:
    engine = server.services.runtime.engine
    await trim(engine, world)
    for step in case.prelude:
        assert 200 <= await send(server, case, step) < 300
    sent_before = 0 if case.address is None else delivered_to(server, case.family, case.address)
    before = await snapshot(engine)

    status = await send(server, case, case.request)

    changed = changes(before, await snapshot(engine))
    assert status < 500
    assert status // 100 in CLASSES[case.expect]
    expected = case.status
    if expected is not None:
        assert status == expected
    if case.expect is Expect.ANSWERED:
        assert case.address is not None
        check_answered(server, case, changed, sent_before)
    else:
        assert changed == {}
    await probe(server, case.family)


def check_answered(
    server: RunningServer, case: Case, changed: dict[str, list[Row]], sent: int
) -> None:
    """The sender's contact, their words, one polite reply that reached the fake, nothing else."""
    assert set(changed) <= {"contacts", "outbox", "inbound_log", "inbound_seen"}
    contacts = changed.get("contacts", [])
    assert [row["address"] for row in contacts] == [case.address]
    assert [row["contact_id"] for row in changed.get("inbound_log", [])] == [contacts[0]["id"]]
    assert len(changed.get("inbound_seen", [])) <= 1
    replies = changed.get("outbox", [])
    assert [row["address"] for row in replies] == [case.address]
    assert replies[0]["body"].strip()
    assert replies[0]["body"] not in apologies(server)
    assert replies[0]["status"] == "sent"
    assert delivered_to(server, case.family, case.address) == sent + 1
