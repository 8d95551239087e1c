"""Hostile requests to the console: a 4xx or the form again with its field's error, never a 5xx.

Corpus: 105 requests in `tests/support/hostile_forms.py` (10 at the guard: CSRF, Origin,
sign-in, body; 23 session form; 8 resource form; 13 import; 24 broadcasts; 12 subscribers;
7 simulator; 8 sign-in and language switch), plus an unknown language's cookie and a NUL
in the simulator: 107 cases. Every request goes to `serve`'s real app on a socket, signed
in once per module (or as a stranger), and the stored data (catalog, broadcasts, people,
consent, messages) is compared before and after: a refused request changes none of it.
"""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlalchemy import delete, select

from bot import broadcasts
from bot.broadcasts import Draft
from bot.fanout import Audience
from bot.messages import ChannelName
from bot.runtime import Runtime
from bot.store import catalog_repo
from bot.store.tables import (
    admin_login_failures,
    admin_sessions,
    consent_events,
    contacts,
    inbound_log,
    inbound_seen,
    leases,
    outbox,
    session_events,
    subscriptions,
)
from bot.store.tables import (
    broadcasts as broadcast_table,
)
from catalog.io import BUNDLED_CATALOG, load_catalog
from catalog.models import Catalog, Localized, Session
from tests.conftest import NOW
from tests.support.chat import FrozenClock
from tests.support.console import browser, csrf_in, signed_in
from tests.support.console_people import add_person
from tests.support.hostile_forms import (
    CASES,
    HOSTILE_REQUESTS,
    PERSON_NAME,
    PERSON_NUMBER,
    RESOURCE_ID,
    SESSION_ID,
    HostileRequest,
)
from tests.support.server import ADMIN_PASSWORD, RunningServer, running_server

MINIMUM_CASES = 30
LA = ZoneInfo("America/Los_Angeles")
UPCOMING = Session(
    id=SESSION_ID,
    starts_at=datetime(2026, 12, 10, 17, 30, tzinfo=LA).astimezone(UTC),
    timezone="America/Los_Angeles",
    duration_minutes=90,
    title=Localized({"en": "Family Voice", "es": "La voz de las familias"}),
    summary=Localized({}),
    link=Localized({"en": "https://example.org/live"}),
)
# Everything a refused request must leave as it was (sign-in sessions and failures aside).
WATCHED = (broadcast_table, contacts, subscriptions, consent_events, outbox, inbound_log)


@dataclass(frozen=True)
class Console:
    server: RunningServer
    client: aiohttp.ClientSession
    token: str
    ids: dict[str, str]

    @property
    def runtime(self) -> Runtime:
        return self.server.services.runtime


async def seed(runtime: Runtime) -> dict[str, str]:
    """The bundled catalog, one session ahead, one person, a draft and a stale draft."""
    async with runtime.engine.begin() as connection:
        for table in (
            outbox,
            inbound_log,
            subscriptions,
            consent_events,
            inbound_seen,
            contacts,
            broadcast_table,
            session_events,
            leases,
            admin_sessions,
            admin_login_failures,
        ):
            await connection.execute(delete(table))
        bundled = load_catalog(BUNDLED_CATALOG)
        await catalog_repo.save(connection, bundled, NOW, replace=True)
        await catalog_repo.save(connection, Catalog.of([UPCOMING], [], bundled.topics), NOW)
        everyone = Audience(languages=(), channels=(), topics=(), subscribed=True)
        draft = await broadcasts.create(
            connection, Draft(texts={"en": "Family night"}, audience=everyone), NOW
        )
        stale = await broadcasts.create(
            connection,
            Draft(
                texts={"en": "Too late"},
                audience=everyone,
                send_at=NOW - timedelta(hours=1),
            ),
            NOW - timedelta(hours=3),
        )
    person = await add_person(
        runtime, ChannelName.SMS, PERSON_NUMBER, name=PERSON_NAME, locale="es"
    )
    return {
        "session": SESSION_ID,
        "resource": RESOURCE_ID,
        "draft": str(draft),
        "stale": str(stale),
        "person": str(person),
    }


@pytest.fixture(scope="module")
async def console(session_runtime: Runtime, clock: FrozenClock) -> AsyncIterator[Console]:
    clock.now = NOW
    ids = await seed(session_runtime)
    async with (
        running_server(session_runtime, workers=False) as server,
        signed_in(server.url) as client,
    ):
        async with client.get("/admin/") as page:
            token = csrf_in(await page.text())
        yield Console(server, client, token, ids)


async def snapshot(runtime: Runtime) -> dict[str, Any]:
    async with runtime.engine.connect() as connection:
        rows = {
            table.name: sorted(map(repr, (await connection.execute(select(table))).all()))
            for table in WATCHED
        }
        rows["catalog"] = [repr(await catalog_repo.load(connection))]
    return rows


def form_data(case: HostileRequest, token: str) -> aiohttp.FormData | list[tuple[str, str]]:
    csrf = {"session": [("csrf_token", token)], "forged": [("csrf_token", "forged")]}
    fields = [*csrf.get(case.csrf, []), *case.fields]
    if case.upload is None:
        return fields
    data = aiohttp.FormData()
    for name, value in fields:
        data.add_field(name, value)
    filename, content = case.upload
    data.add_field("file", content, filename=filename, content_type="application/octet-stream")
    return data


async def sign_in_as(client: aiohttp.ClientSession, case: HostileRequest) -> aiohttp.ClientResponse:
    """The sign-in form posted with the case's password, `next` and page token."""
    async with client.get("/admin/login") as page:
        token = csrf_in(await page.text())
    password = case.extra.get("password", "")
    fields = {
        "csrf_token": "forged" if case.extra.get("csrf") == "forged" else token,
        "password": ADMIN_PASSWORD if password == "right" else password,
        "next": case.extra.get("next", "/admin/"),
    }
    return await client.post("/admin/login", data=fields, allow_redirects=False)


async def send(
    console: Console, client: aiohttp.ClientSession, case: HostileRequest
) -> tuple[int, str, str]:
    path = case.path.format(**console.ids)
    headers = dict(case.headers)
    if path == "/admin/login":
        response = await sign_in_as(client, case)
    elif case.method == "GET":
        response = await client.get(path, headers=headers, allow_redirects=False)
    elif case.json is not None or case.body is not None:
        if case.csrf == "session":
            headers["X-CSRF-Token"] = console.token
        if case.body is not None:
            headers["Content-Type"] = case.content_type
            response = await client.post(
                path, data=case.body, headers=headers, allow_redirects=False
            )
        else:
            response = await client.post(
                path, json=case.json, headers=headers, allow_redirects=False
            )
    else:
        response = await client.post(
            path, data=form_data(case, console.token), headers=headers, allow_redirects=False
        )
    async with response:
        return (
            response.status,
            await response.text(errors="replace"),
            response.headers.get("Location", ""),
        )


def test_the_corpus_has_at_least_30_requests() -> None:
    assert len(HOSTILE_REQUESTS) >= MINIMUM_CASES
    assert len(HOSTILE_REQUESTS) == 105, "the docstring's count"


@pytest.mark.parametrize("case", HOSTILE_REQUESTS, ids=lambda case: case.id)
async def test_a_hostile_request_is_refused_without_a_server_error_and_changes_nothing(
    console: Console, case: HostileRequest
) -> None:
    before = await snapshot(console.runtime)
    if case.signed_in:
        status, page, location = await send(console, console.client, case)
    else:
        async with browser(console.server.url) as stranger:
            status, page, location = await send(console, stranger, case)
    assert status == case.status, page[:500]
    if case.says:
        assert case.says in html.unescape(page), page[:2000]
    if case.never:
        assert case.never not in page
    if case.location is not None:
        assert location.startswith(case.location), location
        assert not any(char in location for char in "\r\n\\"), "no header or path tricks"
    assert await snapshot(console.runtime) == before


async def test_switching_to_an_unknown_language_sets_no_cookie(console: Console) -> None:
    async with (
        browser(console.server.url) as stranger,
        stranger.get("/admin/language?lang=xx", allow_redirects=False) as response,
    ):
        assert response.status == 303
        assert "admin_lang" not in response.cookies


async def test_a_nul_in_a_simulated_message_gets_the_answer_the_words_would_get(
    console: Console,
) -> None:
    """The simulator shows what a parent gets; "hola" with a stray NUL is still "hola".

    PostgreSQL text cannot hold U+0000: the conversation drops it before storing anything.
    """
    async with console.client.post(
        "/admin/api/simulator",
        json={"text": "hola\x00", "language": "auto"},
        headers={"X-CSRF-Token": console.token},
    ) as response:
        assert response.status == 200
        answers = (await response.json())["turns"][0]["answers"]
    assert answers[0]["text"].startswith("¡Hola!")


async def test_the_console_still_works_after_the_corpus(console: Console) -> None:
    """The module's session survived every refusal: a page loads, a search finds Ana."""
    async with console.client.get("/admin/subscribers?q=P%C3%A9rez") as page:
        assert page.status == 200
        assert PERSON_NAME in await page.text()
    assert CASES["search-like-percent"].never == PERSON_NAME
