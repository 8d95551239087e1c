"""Talking to the console as a browser would: cookies over http://127.0.0.1, CSRF tokens."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from yarl import URL

from tests.support.server import ADMIN_PASSWORD

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_META = re.compile(r'<meta name="csrf-token" content="([^"]*)"')


def csrf_in(html: str) -> str:
    """The CSRF token a page carries (its forms, or the layout's meta tag for scripts)."""
    match = _TOKEN.search(html) or _META.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@asynccontextmanager
async def browser(base_url: str) -> AsyncIterator[aiohttp.ClientSession]:
    """A client that keeps the console's cookies (Secure, on a loopback IP) like Chromium does."""
    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[URL(base_url)])
    async with aiohttp.ClientSession(base_url, cookie_jar=jar) as client:
        yield client


async def sign_in(
    client: aiohttp.ClientSession, password: str = ADMIN_PASSWORD, next_page: str = "/admin/"
) -> aiohttp.ClientResponse:
    async with client.get("/admin/login") as page:
        token = csrf_in(await page.text())
    async with client.post(
        "/admin/login",
        data={"csrf_token": token, "password": password, "next": next_page},
        allow_redirects=False,
    ) as response:
        await response.read()
        return response


@asynccontextmanager
async def signed_in(base_url: str) -> AsyncIterator[aiohttp.ClientSession]:
    async with browser(base_url) as client:
        response = await sign_in(client)
        assert response.status == 303, response.status
        yield client


async def page_token(client: aiohttp.ClientSession, path: str = "/admin/") -> str:
    async with client.get(path) as page:
        assert page.status == 200, page.status
        return csrf_in(await page.text())
