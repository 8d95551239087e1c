"""Signing in to the console: nothing under /admin/ answers without ADMIN_PASSWORD."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.admin.signin import MAX_FAILURES_PER_ADDRESS
from bot.runtime import Runtime
from bot.store.tables import admin_sessions
from tests.support.console import browser, page_token, sign_in, signed_in
from tests.support.server import RunningServer, running_server

PAGES = (
    "/admin/",
    "/admin/catalog",
    "/admin/broadcasts",
    "/admin/subscribers",
    "/admin/simulator",
)


@pytest.fixture
async def server(runtime: Runtime) -> AsyncIterator[RunningServer]:
    async with running_server(runtime) as running:
        yield running


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_sends_a_stranger_to_the_sign_in_page(
    server: RunningServer, path: str
) -> None:
    async with browser(server.url) as client, client.get(path, allow_redirects=False) as page:
        assert page.status == 303
        assert page.headers["Location"].startswith("/admin/login?next=")


async def test_the_right_password_signs_in_with_a_secure_session_cookie(
    server: RunningServer,
) -> None:
    async with browser(server.url) as client:
        response = await sign_in(client, next_page="/admin/catalog")
        assert response.status == 303
        assert response.headers["Location"] == "/admin/catalog"
        cookie = response.cookies["admin_session"]
        assert cookie["secure"] and cookie["httponly"]
        assert cookie["samesite"] == "Strict"
        assert cookie["path"] == "/admin/"
        async with client.get("/admin/catalog", allow_redirects=False) as page:
            assert page.status == 200
            assert page.headers["Cache-Control"] == "no-store"
            assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    async with server.services.runtime.engine.connect() as connection:
        stored = await connection.scalar(select(admin_sessions.c.token_hash))
    assert stored is not None and stored != cookie.value, "only a hash of the token is kept"


async def test_a_wrong_password_is_refused_and_signs_nobody_in(server: RunningServer) -> None:
    async with browser(server.url) as client:
        response = await sign_in(client, password="guess")
        assert response.status == 401
        async with client.get("/admin/", allow_redirects=False) as page:
            assert page.status == 303


async def test_repeated_wrong_passwords_lock_the_address_out_even_with_the_right_one(
    server: RunningServer,
) -> None:
    async with browser(server.url) as client:
        for _ in range(MAX_FAILURES_PER_ADDRESS):
            assert (await sign_in(client, password="guess")).status == 401
        locked = await sign_in(client)
        assert locked.status == 429
        assert int(locked.headers["Retry-After"]) > 0


async def test_a_form_without_the_session_csrf_token_is_refused(server: RunningServer) -> None:
    async with signed_in(server.url) as client:
        async with client.post("/admin/logout", data={}, allow_redirects=False) as response:
            assert response.status == 403
        async with client.post(
            "/admin/logout", data={"csrf_token": "forged"}, allow_redirects=False
        ) as response:
            assert response.status == 403
        async with client.get("/admin/", allow_redirects=False) as page:
            assert page.status == 200, "the refused forms did not sign out"


async def test_a_post_from_another_site_is_refused_even_with_the_token(
    server: RunningServer,
) -> None:
    async with signed_in(server.url) as client:
        token = await page_token(client)
        async with client.post(
            "/admin/logout",
            data={"csrf_token": token},
            headers={"Origin": "https://evil.example"},
            allow_redirects=False,
        ) as response:
            assert response.status == 403


async def test_signing_out_ends_the_session_everywhere(server: RunningServer) -> None:
    async with signed_in(server.url) as client:
        token = await page_token(client)
        async with client.post(
            "/admin/logout", data={"csrf_token": token}, allow_redirects=False
        ) as response:
            assert response.status == 303
        async with client.get("/admin/", allow_redirects=False) as page:
            assert page.status == 303
    async with server.services.runtime.engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(admin_sessions)) == 0


async def test_a_forged_session_cookie_is_not_a_session(server: RunningServer) -> None:
    async with browser(server.url) as client:
        client.cookie_jar.update_cookies({"admin_session": "made-up"})
        async with client.get("/admin/api/anything", allow_redirects=False) as response:
            assert response.status == 401


async def test_sign_in_redirects_only_inside_the_console(server: RunningServer) -> None:
    async with browser(server.url) as client:
        response = await sign_in(client, next_page="//evil.example/")
        assert response.headers["Location"] == "/admin/"


async def test_the_console_speaks_spanish_when_the_browser_does(server: RunningServer) -> None:
    async with (
        browser(server.url) as client,
        client.get("/admin/login", headers={"Accept-Language": "es-MX,es;q=0.9"}) as page,
    ):
        assert '<html lang="es">' in await page.text()


async def test_without_admin_password_the_console_is_off(runtime: Runtime) -> None:
    async with (
        running_server(runtime, admin_password=None) as server,
        browser(server.url) as client,
    ):
        for path in ("/admin/login", *PAGES):
            async with client.get(path, allow_redirects=False) as page:
                assert page.status == 503, path
